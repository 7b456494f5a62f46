package io.keyward.provider.vault;

import io.github.jopenlibs.vault.Vault;
import io.keyward.provider.Backoff;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.ProviderSettings;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Runs Vault requests for one provider operation: every request bounded by the attempt timeout and by the
 * operation's deadline, retryable failures (timeouts, refused connections, 429, 412, 5xx) retried at most
 * {@code maxRetries} times with jittered exponential backoff that never sleeps past the deadline, and a refused
 * client token replaced by one fresh login before the refusal counts as revoked.
 */
final class BoundedRetry {
    /** Below this, another attempt cannot get an answer back in time. */
    private static final long MIN_ATTEMPT_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final ProviderSettings settings;
    private final long baseBackoffNanos;

    BoundedRetry(ProviderSettings settings) {
        this.settings = settings;
        long eighth = settings.attemptTimeout().toNanos() / 8;
        this.baseBackoffNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(25),
                Math.min(eighth, TimeUnit.MILLISECONDS.toNanos(250)));
    }

    /** One Vault request; throws {@link VaultFailure} when it does not succeed. */
    interface Request<T> {
        T send(Vault vault);
    }

    /** Starts the clock of one provider operation (which may send several requests). */
    Deadline start() {
        return new Deadline(System.nanoTime() + settings.deadline().toNanos());
    }

    <T> T run(VaultSession session, Deadline deadline, Request<T> request) {
        int retries = 0;
        boolean freshLogin = false;
        session.http().setDeadline(deadline.atNanos());
        try {
            while (true) {
                Vault vault = null;
                try {
                    if (deadline.remainingNanos() < MIN_ATTEMPT_NANOS) {
                        throw VaultFailure.unavailableNoRetry("no answer from Vault within the "
                                + settings.deadline().toMillis() + " ms deadline");
                    }
                    vault = session.client(deadline.atNanos());
                    return request.send(vault);
                } catch (ProviderException e) {
                    throw e;
                } catch (VaultFailure f) {
                    if (f.tokenRefused() && session.canLogIn() && !freshLogin) {
                        // A cached token may have been revoked or expired early: one fresh login decides.
                        session.tokenRefused(vault);
                        freshLogin = true;
                        continue;
                    }
                    if (!f.retryable() || retries >= settings.maxRetries()) {
                        throw giveUp(f, retries);
                    }
                    long pause = backoff(retries);
                    if (deadline.remainingNanos() - pause < MIN_ATTEMPT_NANOS) {
                        throw giveUp(f, retries);
                    }
                    sleep(pause, f, retries);
                    retries++;
                } catch (RuntimeException unexpected) {
                    // A driver bug must not escape the SPI, nor its message (it may quote a request): type only.
                    throw new KeyUnavailableException("calling Vault failed unexpectedly ("
                            + unexpected.getClass().getSimpleName() + ")");
                }
            }
        } finally {
            session.http().clearDeadline();
        }
    }

    private static ProviderException giveUp(VaultFailure f, int retries) {
        if (retries > 0 && f.error() instanceof KeyUnavailableException) {
            return new KeyUnavailableException(f.error().getMessage() + " (" + (retries + 1) + " attempts)");
        }
        return f.error();
    }

    private long backoff(int retries) {
        return Backoff.equalJitterNanos(baseBackoffNanos, Math.min(retries, 6), TimeUnit.SECONDS.toNanos(1));
    }

    private static void sleep(long nanos, VaultFailure f, int retries) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw giveUp(f, retries);
        }
    }

    record Deadline(long atNanos) {
        long remainingNanos() {
            return atNanos - System.nanoTime();
        }

        Duration remaining() {
            return Duration.ofNanos(Math.max(0, remainingNanos()));
        }
    }
}
