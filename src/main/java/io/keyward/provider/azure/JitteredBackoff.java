package io.keyward.provider.azure;

import io.keyward.provider.Backoff;
import com.azure.core.http.policy.RetryStrategy;

import java.io.IOException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * Exponential backoff with "equal jitter" (half the delay fixed, half random), so many replicas retrying one
 * throttled vault spread out; azure-core's {@code ExponentialBackoff} jitters by only 5%. Which HTTP answers are
 * retried is azure-core's default (408, 429, 500, 502-504; see {@link RetryStrategy#shouldRetry}); a
 * {@code Retry-After} header from Key Vault takes precedence over this delay (azure-core {@code RetryPolicy}).
 *
 * <p>Exceptions are retried only when they are network failures (I/O, per-attempt timeout) and not certificate
 * failures; azure-core's default would also retry, for instance, a refused client secret.
 */
final class JitteredBackoff implements RetryStrategy {
    private final int maxRetries;
    private final long baseNanos;
    private final long maxNanos;

    JitteredBackoff(int maxRetries, Duration base, Duration max) {
        this.maxRetries = maxRetries;
        this.baseNanos = Math.max(1, base.toNanos());
        this.maxNanos = Math.max(baseNanos, max.toNanos());
    }

    @Override
    public int getMaxRetries() {
        return maxRetries;
    }

    @Override
    public Duration calculateRetryDelay(int retryAttempts) {
        return Duration.ofNanos(Backoff.equalJitterNanos(baseNanos, retryAttempts, maxNanos));
    }

    @Override
    public boolean shouldRetryException(Throwable throwable) {
        return isNetworkFailure(throwable);
    }

    static boolean isNetworkFailure(Throwable throwable) {
        boolean network = false;
        for (Throwable c = throwable; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof CertificateException) {
                return false;
            }
            if (c instanceof IOException || c instanceof TimeoutException) {
                network = true;
            }
        }
        return network;
    }
}
