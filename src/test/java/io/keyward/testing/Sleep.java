package io.keyward.testing;

import java.time.Duration;

/** Sleeping in test servers and fakes, where an interrupt only means "stop waiting". */
public final class Sleep {
    private Sleep() {
    }

    /** Sleeps for {@code d}; on interrupt, returns early with the thread's interrupt flag set again. */
    public static void quietly(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
