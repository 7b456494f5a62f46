package io.keyward.audit;

import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Duration;

/**
 * At shutdown, writes the audit events still buffered in memory (the database was away when they happened), for at
 * most {@link #BOUND}: then whatever is left is lost, counted in {@code keyward_audit_events_lost_total} and reported
 * by number in one ERROR line, never by content.
 *
 * <p>Quarkus fires {@link ShutdownEvent} after the HTTP drain ({@code quarkus.shutdown.timeout}), so requests that
 * finished during the drain have recorded their events by now, and before the datasources close.
 */
@Singleton
public class AuditShutdown {
    private static final Logger LOG = Logger.getLogger(AuditShutdown.class);
    /** Kept small: Kubernetes kills the pod at terminationGracePeriodSeconds (delay + timeout + this, plus margin). */
    static final Duration BOUND = Duration.ofSeconds(5);
    private static final Duration RETRY_PAUSE = Duration.ofMillis(200);

    /**
     * What the flush at shutdown did: events that left the buffer through the database ({@code written}; one the
     * database refuses for good is among them, counted lost and logged by {@link AuditLog} as at any time), events
     * given up ({@code lost}), and whether one was still being written when the bound passed (it ends up written, or
     * counted lost when its write fails).
     */
    public record Outcome(int written, int lost, boolean oneStillWriting) {
    }

    private final AuditLog log;
    private final AuditBuffer buffer;

    public AuditShutdown(AuditLog log, AuditBuffer buffer) {
        this.log = log;
        this.buffer = buffer;
    }

    void onStop(@Observes ShutdownEvent event) {
        flushBeforeExit(BOUND);
    }

    /**
     * Retries the buffered events against the database until they are all written or {@code bound} has passed; the
     * rest are dropped from the buffer and counted lost. The flush runs on its own thread so a database call that
     * hangs cannot hold the exit past the bound.
     */
    public Outcome flushBeforeExit(Duration bound) {
        int before = buffer.size();
        if (before == 0) {
            return new Outcome(0, 0, false);
        }
        LOG.warnf("shutdown: %d audit events still buffered, writing them (for at most %d ms)", before,
                bound.toMillis());
        long deadline = System.nanoTime() + bound.toNanos();
        Thread flusher = new Thread(() -> {
            while (buffer.size() > 0 && System.nanoTime() < deadline) {
                log.flush();
                if (buffer.size() > 0) {
                    try {
                        Thread.sleep(RETRY_PAUSE.toMillis());
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }, "keyward-audit-shutdown-flush");
        flusher.setDaemon(true);
        flusher.start();
        try {
            flusher.join(Math.max(1, bound.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Not interrupted: a JDBC call cut short could leave its event both written and counted lost. The thread is
        // a daemon; the buffer, once abandoned, counts that event lost if its write fails.
        int lost = buffer.abandon();
        boolean writing = buffer.writing();
        int written = Math.max(0, before - lost - (writing ? 1 : 0));
        if (lost > 0 || writing) {
            LOG.errorf("shutdown: %d buffered audit events LOST (database unreachable for %d ms)%s; %d written. "
                    + "Their tenants' trails miss these events; the chains still verify.", lost, bound.toMillis(),
                    writing ? ", 1 more still being written (counted lost if that fails)" : "", written);
        } else {
            LOG.infof("shutdown: %d buffered audit events written", written);
        }
        return new Outcome(written, lost, writing);
    }
}
