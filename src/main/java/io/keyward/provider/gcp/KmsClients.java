package io.keyward.provider.gcp;

import com.google.api.gax.core.FixedExecutorProvider;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.retrying.RetrySettings;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.api.gax.rpc.StatusCode;
import com.google.cloud.kms.v1.KeyManagementServiceClient;
import com.google.cloud.kms.v1.KeyManagementServiceSettings;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.ProviderSettings;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One Cloud KMS SDK client per endpoint, opened on first use and shared by every tenant key that names that endpoint.
 * Constructing this class does no I/O and starts no thread; opening a client (which may look up Application Default
 * Credentials, and on Compute Engine ask the metadata server) runs off the caller's thread and is bounded by the
 * calling operation's deadline. A failed open is forgotten so the next call tries again.
 */
final class KmsClients implements AutoCloseable {
    /** Retried with jittered exponential backoff by gax; every other status is final. */
    static final Set<StatusCode.Code> RETRYABLE = Set.of(StatusCode.Code.UNAVAILABLE,
            StatusCode.Code.DEADLINE_EXCEEDED, StatusCode.Code.RESOURCE_EXHAUSTED);

    private final RetrySettings retrySettings;
    private final ConcurrentHashMap<KmsEndpoint, CompletableFuture<Opened>> clients = new ConcurrentHashMap<>();
    private final ExecutorService opener;
    private final ScheduledExecutorService background;

    record Opened(KeyManagementServiceClient client, ManagedChannel channel) {
    }

    KmsClients(ProviderSettings settings) {
        this.retrySettings = retrySettings(settings);
        // Thread pools create their threads on first task, so construction stays free of side effects.
        this.opener = Executors.newCachedThreadPool(daemon("keyward-gcp-kms-open"));
        this.background = Executors.newScheduledThreadPool(1, daemon("keyward-gcp-kms-retry"));
    }

    /**
     * gax retry policy from keyward's bounds: each attempt gets {@code attemptTimeout}, at most {@code maxRetries}
     * retries, and the whole call (attempts plus backoff) ends at {@code deadline}. gax caps the last attempt's
     * timeout at the time left and jitters each delay uniformly in [0, delay) (ExponentialRetryAlgorithm).
     */
    static RetrySettings retrySettings(ProviderSettings s) {
        Duration initialDelay = min(Duration.ofMillis(100), s.deadline().dividedBy(10));
        Duration maxDelay = min(Duration.ofSeconds(1), s.deadline().dividedBy(4));
        return RetrySettings.newBuilder()
                .setInitialRetryDelayDuration(initialDelay)
                .setRetryDelayMultiplier(2.0)
                .setMaxRetryDelayDuration(maxDelay)
                .setInitialRpcTimeoutDuration(s.attemptTimeout())
                .setRpcTimeoutMultiplier(1.0)
                .setMaxRpcTimeoutDuration(s.attemptTimeout())
                .setTotalTimeoutDuration(s.deadline())
                .setMaxAttempts(s.maxRetries() + 1)
                .build();
    }

    /** The call settings for one RPC: the configured policy, with the total timeout cut to what the call has left. */
    RetrySettings retrySettings(Duration remaining) {
        return retrySettings.toBuilder().setTotalTimeoutDuration(min(remaining, retrySettings.getTotalTimeoutDuration()))
                .build();
    }

    KeyManagementServiceClient client(KmsEndpoint endpoint, CallBudget budget) {
        CompletableFuture<Opened> opening = clients.computeIfAbsent(endpoint,
                e -> CompletableFuture.supplyAsync(() -> open(e), opener));
        String what = "opening a Cloud KMS client for " + endpoint.authority();
        try {
            return opening.get(budget.remaining(what).toNanos(), TimeUnit.NANOSECONDS).client();
        } catch (TimeoutException e) {
            // Keep the opening future: it finishes in the background and the next call uses it.
            throw new KeyUnavailableException(what + " took longer than keyward's deadline (loading Google credentials)");
        } catch (ExecutionException e) {
            clients.remove(endpoint, opening);
            if (e.getCause() instanceof ProviderException p) {
                throw p;
            }
            throw new KeyUnavailableException(what + " failed (" + e.getCause().getClass().getSimpleName() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KeyUnavailableException(what + " was interrupted");
        }
    }

    private Opened open(KmsEndpoint endpoint) {
        AtomicReference<ManagedChannel> self = new AtomicReference<>();
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress(endpoint.host(), endpoint.port())
                .userAgent("keyward")
                .intercept(new ReconnectPromptly(self));
        if (endpoint.plaintext()) {
            builder.usePlaintext();
        } else {
            builder.useTransportSecurity();
        }
        ManagedChannel channel = builder.build();
        self.set(channel);
        try {
            KeyManagementServiceSettings.Builder settings = KeyManagementServiceSettings.newBuilder()
                    .setEndpoint(endpoint.authority())
                    .setTransportChannelProvider(FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel)))
                    // Application Default Credentials: workload identity on GKE, the attached service account on
                    // Compute Engine / Cloud Run, or GOOGLE_APPLICATION_CREDENTIALS
                    // (https://cloud.google.com/docs/authentication/application-default-credentials). Loaded once,
                    // here, off the caller's thread.
                    .setCredentialsProvider(endpoint.plaintext() ? NoCredentialsProvider.create()
                            : KeyManagementServiceSettings.defaultCredentialsProviderBuilder().build())
                    .setBackgroundExecutorProvider(FixedExecutorProvider.create(background));
            settings.encryptSettings().setRetrySettings(retrySettings).setRetryableCodes(RETRYABLE);
            settings.decryptSettings().setRetrySettings(retrySettings).setRetryableCodes(RETRYABLE);
            settings.getCryptoKeySettings().setRetrySettings(retrySettings).setRetryableCodes(RETRYABLE);
            return new Opened(KeyManagementServiceClient.create(settings.build()), channel);
        } catch (IOException e) {
            // ClientContext.create fails with IOException when no credentials can be loaded.
            channel.shutdownNow();
            throw new KeyMisconfiguredException("keyward found no usable Google Application Default Credentials for "
                    + endpoint.authority() + " (configure workload identity, an attached service account or "
                    + "GOOGLE_APPLICATION_CREDENTIALS)");
        } catch (RuntimeException e) {
            channel.shutdownNow();
            throw new KeyMisconfiguredException("cannot create a Cloud KMS client for " + endpoint.authority() + " ("
                    + e.getClass().getSimpleName() + ")");
        }
    }

    @Override
    public void close() {
        for (CompletableFuture<Opened> f : clients.values()) {
            Opened opened = f.getNow(null);
            if (opened != null) {
                opened.client().close();
                opened.channel().shutdownNow();
            }
        }
        clients.clear();
        opener.shutdownNow();
        background.shutdownNow();
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * When an RPC fails with UNAVAILABLE (connection refused, reset), skip gRPC's reconnect backoff (1 s growing to
     * 120 s, https://github.com/grpc/grpc/blob/master/doc/connection-backoff.md) so the next attempt connects again
     * at once. Without this, calls keep failing fast for up to two minutes after Cloud KMS is reachable again.
     * Reconnects stay bounded: keyward's own retry policy decides how often calls are made.
     */
    private static final class ReconnectPromptly implements ClientInterceptor {
        private final AtomicReference<ManagedChannel> channel;

        ReconnectPromptly(AtomicReference<ManagedChannel> channel) {
            this.channel = channel;
        }

        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                @Override
                public void start(Listener<R> listener, Metadata headers) {
                    super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                        @Override
                        public void onClose(Status status, Metadata trailers) {
                            ManagedChannel c = channel.get();
                            if (status.getCode() == Status.Code.UNAVAILABLE && c != null) {
                                c.resetConnectBackoff();
                            }
                            super.onClose(status, trailers);
                        }
                    }, headers);
                }
            };
        }
    }
}
