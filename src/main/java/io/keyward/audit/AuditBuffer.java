package io.keyward.audit;

import io.keyward.config.KeywardConfig;
import io.keyward.config.KeywardConfig.Audit.OnOverflow;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Audit events that could not be written because the database was unreachable, oldest first, until
 * {@link AuditLog} flushes them in order. Bounded: when full, {@code keyward.audit.on-overflow} decides whether
 * key-manager calls are refused ({@code fail-closed}) or the oldest event is dropped ({@code drop-oldest}).
 */
@Singleton
public class AuditBuffer {
    private static final Logger LOG = Logger.getLogger(AuditBuffer.class);
    /**
     * In fail-closed mode new key-manager calls stop at {@code buffer-size}; calls already in flight (bounded by the
     * request threads) still record their outcome, into this much room beyond it.
     */
    static final int IN_FLIGHT_ROOM = 1024;

    /** An event as it happened, not yet chained (its position and hashes are given when it is written). */
    record Pending(String id, Actor actor, String tenantId, String keyId, String action, String outcome,
            String detail, Instant createdAt) {
    }

    private final Deque<Pending> queue = new ArrayDeque<>();
    /** The event the flusher is writing now: never dropped, or it could be both dropped and written. */
    private Pending claimed;
    /** The event being written when the rest was given up at shutdown ({@link #abandon()}): lost if that write fails. */
    private Pending givenUp;
    private final int capacity;
    private final OnOverflow onOverflow;
    private final Counter dropped;
    private final Counter lost;

    public AuditBuffer(KeywardConfig config, MeterRegistry registry) {
        this.capacity = Math.max(1, config.audit().bufferSize());
        this.onOverflow = config.audit().onOverflow();
        Gauge.builder("keyward.audit.buffered", this, AuditBuffer::size)
                .description("Audit events waiting for the database").register(registry);
        this.dropped = Counter.builder("keyward.audit.events.dropped")
                .description("Buffered audit events dropped (on-overflow=drop-oldest)").register(registry);
        this.lost = Counter.builder("keyward.audit.events.lost")
                .description("Audit events that could not be written nor buffered").register(registry);
    }

    public synchronized int size() {
        return queue.size();
    }

    synchronized boolean isEmpty() {
        return queue.isEmpty();
    }

    /** fail-closed and full: no key-manager call may start whose outcome the trail could not keep. */
    public synchronized boolean full() {
        return onOverflow == OnOverflow.FAIL_CLOSED && queue.size() >= capacity;
    }

    public double dropped() {
        return dropped.count();
    }

    public double lost() {
        return lost.count();
    }

    void add(Pending p) {
        Pending droppedEvent = null;
        boolean kept = true;
        synchronized (this) {
            if (queue.size() >= capacity) {
                if (onOverflow == OnOverflow.DROP_OLDEST) {
                    droppedEvent = dropOldestUnclaimed();
                } else if (queue.size() >= capacity + IN_FLIGHT_ROOM) {
                    kept = false;
                }
            }
            if (kept) {
                queue.addLast(p);
            }
        }
        if (droppedEvent != null) {
            dropped.increment();
            LOG.errorf("audit buffer full, oldest event dropped: tenant=%s action=%s outcome=%s at %s",
                    droppedEvent.tenantId(), droppedEvent.action(), droppedEvent.outcome(), droppedEvent.createdAt());
        }
        if (!kept) {
            lostOne(p.tenantId(), p.action(), p.outcome(), "audit buffer full");
        }
    }

    private Pending dropOldestUnclaimed() {
        var it = queue.iterator();
        while (it.hasNext()) {
            Pending p = it.next();
            if (p != claimed) {
                it.remove();
                return p;
            }
        }
        return null;
    }

    /** The oldest event, which the caller (the one flusher) now writes; null when empty. */
    synchronized Pending claim() {
        claimed = queue.peekFirst();
        return claimed;
    }

    /** The flusher is done with {@code p}: removed if written (or given up), kept at the head if not. */
    synchronized void release(Pending p, boolean done) {
        if (done) {
            queue.remove(p);
        } else if (p == givenUp) {
            queue.remove(p);
            lost.increment();
        }
        if (p == givenUp) {
            givenUp = null;
        }
        claimed = null;
    }

    /**
     * Shutdown ({@link AuditShutdown}): empties the buffer and counts every event that was in it as lost; returns how
     * many. The one event the flusher may be writing at this instant is left to it: written, or counted lost when it
     * is released unwritten ({@link #release}), so no event is counted twice. Not logged one by one: the caller
     * reports the number.
     */
    int abandon() {
        int n = 0;
        synchronized (this) {
            givenUp = claimed;
            for (var it = queue.iterator(); it.hasNext(); ) {
                if (it.next() != claimed) {
                    it.remove();
                    n++;
                }
            }
        }
        if (n > 0) {
            lost.increment(n);
        }
        return n;
    }

    /** Whether the flusher is writing an event right now. */
    synchronized boolean writing() {
        return claimed != null;
    }

    void lostOne(String tenantId, String action, String outcome, String why) {
        lost.increment();
        LOG.errorf("audit event lost: tenant=%s action=%s outcome=%s (%s)", tenantId, action, outcome, why);
    }
}
