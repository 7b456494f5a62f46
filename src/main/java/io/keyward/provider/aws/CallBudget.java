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

    private final Duration deadline;
    private long deadlineNanos;
    private boolean armed;

    private CallBudget(Duration deadline) {
        this.deadline = deadline;
    }

    /** A budget of {@code deadline}; the clock starts at {@link #arm()}. Used by one thread. */
    static CallBudget of(Duration deadline) {
        return new CallBudget(deadline);
    }

    /** Starts the clock, once: when the call is about to wait on AWS for the first time. */
    void arm() {
        if (!armed) {
            armed = true;
            deadlineNanos = System.nanoTime() + deadline.toNanos();
        }
    }

    /** What is left, for the next call's {@code apiCallTimeout}; throws once the deadline has passed. */
    Duration remaining(String operation) {
        arm();
        long left = deadlineNanos - System.nanoTime();
        if (left < MINIMUM.toNanos()) {
            throw new KeyUnavailableException("AWS KMS did not answer " + operation + " within the "
                    + deadline.toMillis() + " ms deadline");
        }
        return Duration.ofNanos(left);
    }

}
