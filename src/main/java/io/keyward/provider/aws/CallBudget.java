package io.keyward.provider.aws;

import io.keyward.provider.KeyUnavailableException;

import java.time.Duration;

/**
 * The time one provider call may still spend. A {@code check} makes several AWS calls (AssumeRole when the
 * session is stale, DescribeKey, Encrypt, Decrypt); they share one deadline so that the caller is never held
 * longer than {@code keyward.providers.aws.deadline}, whatever the SDK's per-call timeouts would allow.
 */
final class CallBudget {
    /** Below this, starting another HTTP exchange is pointless: report the deadline instead. */
    private static final Duration MINIMUM = Duration.ofMillis(20);

    private final long deadlineNanos;
    private final Duration deadline;

    private CallBudget(Duration deadline) {
        this.deadline = deadline;
        this.deadlineNanos = System.nanoTime() + deadline.toNanos();
    }

    static CallBudget start(Duration deadline) {
        return new CallBudget(deadline);
    }

    /** What is left, for the next call's {@code apiCallTimeout}; throws once the deadline has passed. */
    Duration remaining(String operation) {
        long left = deadlineNanos - System.nanoTime();
        if (left < MINIMUM.toNanos()) {
            throw new KeyUnavailableException("AWS KMS did not answer " + operation + " within the "
                    + deadline.toMillis() + " ms deadline");
        }
        return Duration.ofNanos(left);
    }

    Duration deadline() {
        return deadline;
    }
}
