package io.keyward.provider.aws;

import io.keyward.provider.ProviderSettings;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpConfigurationOption;
import software.amazon.awssdk.http.SdkHttpService;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;
import software.amazon.awssdk.utils.AttributeMap;

import java.net.URI;
import java.time.Duration;
import java.util.Iterator;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * SDK clients, created on first use and kept: one KMS client per (Region, endpoint, role, external id), one STS
 * client per (Region, STS endpoint), all over one shared HTTP connection pool. Building any of them does no
 * network I/O; keyward builds the provider at every start, so nothing here happens before the first call.
 *
 * <p>Every client carries the operator's bounds: {@code apiCallAttemptTimeout} = attempt timeout,
 * {@code apiCallTimeout} = deadline (each request also gets the time left of its own call, see
 * {@link CallBudget}), and the SDK's standard retry strategy with {@code maxAttempts = maxRetries + 1} and
 * full-jitter exponential backoff (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
 */
final class AwsKmsClients implements AutoCloseable {
    /** Shortest session STS grants: a removed trust policy takes effect within 15 minutes at most. */
    static final int SESSION_SECONDS = 900;
    static final String SESSION_NAME = "keyward";

    private final ProviderSettings settings;
    private final Supplier<AwsCredentialsProvider> baseCredentialsSource;
    private final ConcurrentHashMap<KmsKey, KeyAccess> kms = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<StsKey, StsClient> sts = new ConcurrentHashMap<>();
    private volatile AwsCredentialsProvider baseCredentials;
    private volatile SdkHttpClient http;
    private volatile boolean closed;

    /** A KMS client and the credentials it signs with (resolved ahead of a call to bound AssumeRole's time). */
    record KeyAccess(KmsClient kms, AwsCredentialsProvider credentials) {
    }

    private record KmsKey(String region, URI endpoint, String roleArn, String externalId, URI stsEndpoint) {
    }

    private record StsKey(String region, URI endpoint) {
    }

    /**
     * @param baseCredentials keyward's own identity, or null for the SDK's default chain (environment, system
     *                        properties, web identity / IRSA, profile, container and instance metadata)
     */
    AwsKmsClients(ProviderSettings settings, AwsCredentialsProvider baseCredentials) {
        this.settings = settings;
        this.baseCredentialsSource = baseCredentials != null ? () -> baseCredentials
                : () -> DefaultCredentialsProvider.builder().build();
    }

    KeyAccess forKey(AwsKeyReference ref) {
        if (closed) {
            throw new IllegalStateException("the aws-kms provider is closed");
        }
        KmsKey key = new KmsKey(ref.region(), ref.endpoint(), ref.roleArn(), ref.externalId(), ref.stsEndpoint());
        return kms.computeIfAbsent(key, this::build);
    }

    private KeyAccess build(KmsKey key) {
        AwsCredentialsProvider credentials = key.roleArn() == null ? baseCredentials()
                : StsAssumeRoleCredentialsProvider.builder()
                        .stsClient(sts.computeIfAbsent(new StsKey(key.region(), key.stsEndpoint()), this::buildSts))
                        .refreshRequest(r -> r.roleArn(key.roleArn()).externalId(key.externalId())
                                .roleSessionName(SESSION_NAME).durationSeconds(SESSION_SECONDS))
                        .build();
        var builder = KmsClient.builder()
                .region(Region.of(key.region()))
                .credentialsProvider(credentials)
                .httpClient(http())
                .overrideConfiguration(overrides());
        if (key.endpoint() != null) {
            builder.endpointOverride(key.endpoint());
        }
        return new KeyAccess(builder.build(), credentials);
    }

    private StsClient buildSts(StsKey key) {
        var builder = StsClient.builder()
                .region(Region.of(key.region()))
                .credentialsProvider(baseCredentials())
                .httpClient(http())
                .overrideConfiguration(overrides());
        if (key.endpoint() != null) {
            builder.endpointOverride(key.endpoint());
        }
        return builder.build();
    }

    private ClientOverrideConfiguration overrides() {
        return ClientOverrideConfiguration.builder()
                .apiCallAttemptTimeout(settings.attemptTimeout())
                .apiCallTimeout(settings.deadline())
                .retryStrategy(retryStrategy(settings))
                .build();
    }

    /**
     * The SDK's standard strategy (retries throttling, 5xx, timeouts and I/O errors; never AccessDenied or
     * validation errors), bounded by {@code maxRetries}, with full-jitter backoff scaled to the deadline so that
     * at least one retry fits inside it.
     */
    static RetryStrategy retryStrategy(ProviderSettings settings) {
        Duration deadline = settings.deadline();
        Duration base = min(Duration.ofMillis(100), deadline.dividedBy(10));
        Duration throttlingBase = min(Duration.ofSeconds(1), deadline.dividedBy(5));
        Duration max = min(Duration.ofSeconds(20), deadline.dividedBy(2));
        return AwsRetryStrategy.standardRetryStrategy().toBuilder()
                .maxAttempts(settings.maxRetries() + 1)
                .backoffStrategy(BackoffStrategy.exponentialDelay(base, max))
                .throttlingBackoffStrategy(BackoffStrategy.exponentialDelay(throttlingBase, max))
                .build();
    }

    private AwsCredentialsProvider baseCredentials() {
        AwsCredentialsProvider b = baseCredentials;
        if (b == null) {
            synchronized (this) {
                if (baseCredentials == null) {
                    baseCredentials = baseCredentialsSource.get();
                }
                b = baseCredentials;
            }
        }
        return b;
    }

    /**
     * One HTTP client for all SDK clients (one connection pool, one idle reaper), from the implementation on
     * the class path (apache5-client); timeouts bounded by the attempt timeout.
     */
    private SdkHttpClient http() {
        SdkHttpClient h = http;
        if (h == null) {
            synchronized (this) {
                if (http == null) {
                    Duration connect = min(settings.attemptTimeout(), Duration.ofSeconds(2));
                    AttributeMap defaults = AttributeMap.builder()
                            .put(SdkHttpConfigurationOption.CONNECTION_TIMEOUT, connect)
                            .put(SdkHttpConfigurationOption.READ_TIMEOUT, settings.attemptTimeout())
                            .put(SdkHttpConfigurationOption.CONNECTION_ACQUIRE_TIMEOUT, settings.deadline())
                            .build();
                    Iterator<SdkHttpService> found = ServiceLoader.load(SdkHttpService.class,
                            AwsKmsClients.class.getClassLoader()).iterator();
                    if (!found.hasNext()) {
                        throw new IllegalStateException("no AWS SDK HTTP client on the class path");
                    }
                    http = found.next().createHttpClientBuilder().buildWithDefaults(defaults);
                }
                h = http;
            }
        }
        return h;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    @Override
    public synchronized void close() {
        closed = true;
        kms.values().forEach(a -> {
            a.kms().close();
            if (a.credentials() instanceof AutoCloseable c) {
                closeQuietly(c);
            }
        });
        kms.clear();
        sts.values().forEach(StsClient::close);
        sts.clear();
        if (http != null) {
            http.close();
        }
        if (baseCredentials instanceof AutoCloseable c) {
            closeQuietly(c);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing credential caches; nothing to report
        }
    }
}
