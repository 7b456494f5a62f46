package io.keyward.testing.gcp;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.QuotaFailure;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.protobuf.StatusProto;
import io.keyward.testing.Sleep;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Cloud KMS stand-in that speaks the real wire protocol: gRPC over HTTP/2 (Netty, plaintext) on a loopback port,
 * serving {@code google.cloud.kms.v1.KeyManagementService} and {@code google.iam.v1.IAMPolicy} with real AES-GCM,
 * real key version states and per-key IAM policies ({@link CloudKmsState}). The unmodified
 * {@code KeyManagementServiceClient} reaches it; nothing in the SDK is mocked.
 *
 * <p>Identity: a request with {@code authorization: Bearer owner-token} is the customer's administrator
 * ({@link CloudKmsState#OWNER}); a request with no token is keyward's workload identity ({@link CloudKmsState#KEYWARD}),
 * because the plaintext test transport carries no credentials. Any other token is UNAUTHENTICATED, and
 * {@link #rejectRequestsWithoutToken(boolean)} makes token-less requests UNAUTHENTICATED too.
 *
 * <p>Faults, as the network and Google's front end would produce them: {@link #stop()} (connection refused),
 * {@link #delayResponses(Duration)}, {@link #throttleNext(int)} (RESOURCE_EXHAUSTED with a QuotaFailure, as Cloud
 * KMS answers when a quota is exceeded, https://cloud.google.com/kms/quotas), and {@link #requestCount()}.
 */
public final class CloudKmsTestServer implements AutoCloseable {
    static final String OWNER_TOKEN = "owner-token";
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private static final Metadata.Key<String> ROUTING =
            Metadata.Key.of("x-goog-request-params", Metadata.ASCII_STRING_MARSHALLER);

    private final CloudKmsState state = new CloudKmsState();
    private final AtomicInteger requests = new AtomicInteger();
    /** The routing header of every request (the SDK sends the resource name there), for counting by resource. */
    private final java.util.Queue<String> routingParams = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final AtomicInteger throttle = new AtomicInteger();
    private final AtomicInteger failures = new AtomicInteger();
    private volatile Status failWith = Status.INTERNAL;
    private volatile Duration delay = Duration.ZERO;
    private volatile boolean rejectWithoutToken;
    private volatile String lastRoutingHeader;
    private final int port;
    private Server server;
    private CloudKmsCustomer customer;

    private CloudKmsTestServer() {
        this.server = build(0);
        this.port = server.getPort();
    }

    /** Starts a server on a free loopback port. */
    public static CloudKmsTestServer start() {
        return new CloudKmsTestServer();
    }

    private Server build(int onPort) {
        try {
            return NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort))
                    // Restarting on the same port must not fail on the previous socket's TIME_WAIT.
                    .withOption(ChannelOption.SO_REUSEADDR, true)
                    .addService(CloudKmsServices.keyManagement(state))
                    .addService(CloudKmsServices.iamPolicy(state))
                    .intercept(new FrontEnd())
                    .build()
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the Cloud KMS test server", e);
        }
    }

    /** {@code host:port} for the provider's {@code endpoint} option. */
    public String endpoint() {
        return "127.0.0.1:" + port;
    }

    /** The options a tenant sends to reach this server: loopback endpoint, plaintext transport. */
    public Map<String, String> providerOptions() {
        return Map.of("endpoint", endpoint(), "transport", "plaintext");
    }

    /** The customer's administrator, acting on this server through the real SDK client. */
    public synchronized CloudKmsCustomer customer() {
        if (customer == null) {
            customer = new CloudKmsCustomer(endpoint(), OWNER_TOKEN);
        }
        return customer;
    }

    /** Test-side clock skip: versions of {@code cryptoKey} scheduled for destruction are destroyed now. */
    public void finishScheduledDestruction(String cryptoKey) {
        state.finishScheduledDestruction(cryptoKey);
    }

    /** Stops listening: new connections are refused and open ones are closed. Idempotent. */
    public synchronized void stop() {
        if (server != null) {
            server.shutdownNow();
            try {
                server.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            server = null;
        }
    }

    /** Listens again on the same port, with the same keys. Idempotent. */
    public synchronized void restart() {
        if (server == null) {
            server = build(port);
            if (customer != null) {
                customer.reconnectNow();
            }
        }
    }

    public synchronized boolean running() {
        return server != null;
    }

    /** Delays every answer by {@code d}; {@link Duration#ZERO} restores normal speed. */
    public void delayResponses(Duration d) {
        this.delay = d;
    }

    /** Answers the next {@code n} requests with RESOURCE_EXHAUSTED; 0 stops throttling. */
    public void throttleNext(int n) {
        throttle.set(n);
    }

    /** Answers the next {@code n} requests with {@code status} (e.g. INTERNAL, UNAVAILABLE from Google's front end). */
    public void failNext(int n, Status status) {
        failWith = status;
        failures.set(n);
    }

    /** Requests received so far (throttled and rejected ones included). */
    /**
     * Requests whose routing header names a resource containing {@code fragment} (URL-encoded as the SDK sends it):
     * unlike {@link #requestCount()}, not moved by the health prober's calls for other keys.
     */
    public long requestCountFor(String fragment) {
        String encoded = java.net.URLEncoder.encode(fragment, java.nio.charset.StandardCharsets.UTF_8);
        return routingParams.stream().filter(p -> p.contains(fragment) || p.contains(encoded)).count();
    }

    public int requestCount() {
        return requests.get();
    }

    /** The last {@code x-goog-request-params} routing header received (Google's front end routes on it). */
    public String lastRoutingHeader() {
        return lastRoutingHeader;
    }

    public void rejectRequestsWithoutToken(boolean reject) {
        this.rejectWithoutToken = reject;
    }

    @Override
    public synchronized void close() {
        if (customer != null) {
            customer.close();
            customer = null;
        }
        stop();
    }

    /** What Google's front end does before a request reaches Cloud KMS: count, throttle, delay, authenticate. */
    private final class FrontEnd implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                ServerCallHandler<Q, R> next) {
            requests.incrementAndGet();
            String routed = headers.get(ROUTING);
            routingParams.add(routed == null ? "" : routed);
            if (throttle.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                StatusRuntimeException e = quotaExceeded();
                call.close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
                return new ServerCall.Listener<>() { };
            }
            if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                call.close(failWith, new Metadata());
                return new ServerCall.Listener<>() { };
            }
            Duration d = delay;
            if (!d.isZero()) {
                Sleep.quietly(d);
            }
            String authorization = headers.get(AUTHORIZATION);
            String principal;
            if (authorization == null && !rejectWithoutToken) {
                principal = CloudKmsState.KEYWARD;
            } else if (("Bearer " + OWNER_TOKEN).equals(authorization)) {
                principal = CloudKmsState.OWNER;
            } else {
                call.close(Status.UNAUTHENTICATED.withDescription("Request had invalid authentication credentials. "
                        + "Expected OAuth 2 access token, login cookie or other valid authentication credential."),
                        new Metadata());
                return new ServerCall.Listener<>() { };
            }
            String routing = headers.get(ROUTING);
            if (routing != null) {
                lastRoutingHeader = routing;
            }
            Context context = Context.current().withValue(CloudKmsServices.PRINCIPAL, principal)
                    .withValue(CloudKmsServices.ROUTING, routing);
            return Contexts.interceptCall(context, call, headers, next);
        }
    }

    private static StatusRuntimeException quotaExceeded() {
        String description = "Quota exceeded for quota metric 'Cryptographic requests' and limit 'Cryptographic "
                + "requests per minute' of service 'cloudkms.googleapis.com' for consumer 'project_number:100000000001'.";
        com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
                .setCode(Code.RESOURCE_EXHAUSTED_VALUE)
                .setMessage(description)
                .addDetails(Any.pack(ErrorInfo.newBuilder().setReason("RATE_LIMIT_EXCEEDED")
                        .setDomain("googleapis.com").putMetadata("service", "cloudkms.googleapis.com").build()))
                .addDetails(Any.pack(QuotaFailure.newBuilder().addViolations(QuotaFailure.Violation.newBuilder()
                        .setSubject("project_number:100000000001")
                        .setDescription("Cryptographic requests per minute")).build()))
                .build();
        return StatusProto.toStatusRuntimeException(status);
    }
}
