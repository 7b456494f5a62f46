package io.keyward.provider.pkcs11;

import io.keyward.provider.KeyUnavailableException;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A bounded pool of logged-in read-only sessions on one slot. A PKCS#11 session runs one operation at a time, so a
 * thread holds a session for the length of one encrypt or decrypt. At most {@code max} sessions are open; a caller
 * that finds them all busy waits no longer than its own budget. Sessions idle longer than {@code idleNanos} are
 * closed (all but one, so the token stays logged in), which returns the token's session count to its baseline
 * after a burst. A session that failed in a way that may have broken it is closed, never reused.
 */
final class TokenSessions implements AutoCloseable {
    private record Idle(long handle, long since) {
    }

    private final Cryptoki module;
    private final long slot;
    private final int max;
    private final long idleNanos;
    private final Semaphore permits;
    private final Deque<Idle> idle = new ArrayDeque<>();
    private final AtomicInteger open = new AtomicInteger();
    private volatile boolean closed;

    TokenSessions(Cryptoki module, long slot, int max, long idleNanos) {
        this.module = module;
        this.slot = slot;
        this.max = max;
        this.idleNanos = idleNanos;
        this.permits = new Semaphore(max, true);
    }

    long slot() {
        return slot;
    }

    /** Sessions open now, idle or in use. */
    int openSessions() {
        return open.get();
    }

    /** A logged-in session; give it back with {@link #release}. */
    long borrow(Supplier<char[]> pin, long budgetNanos) {
        try {
            if (!permits.tryAcquire(budgetNanos, TimeUnit.NANOSECONDS)) {
                throw new KeyUnavailableException("all " + max + " PKCS#11 sessions of the token are busy");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KeyUnavailableException("interrupted while waiting for a PKCS#11 session");
        }
        try {
            Idle reused;
            synchronized (idle) {
                reused = idle.pollLast();
            }
            if (reused != null) {
                return reused.handle();
            }
            // The PIN first: a PIN that cannot be read must not leave an open session behind.
            char[] p = pin.get();
            try {
                long session = module.openSession(slot, false);
                open.incrementAndGet();
                try {
                    module.login(session, slot, p);
                } catch (RuntimeException e) {
                    discard(session);
                    throw e;
                }
                return session;
            } finally {
                java.util.Arrays.fill(p, '\0');
            }
        } catch (RuntimeException e) {
            permits.release();
            throw e;
        }
    }

    /** Returns a session; {@code healthy=false} closes it instead of pooling it. */
    void release(long session, boolean healthy) {
        try {
            if (healthy && !closed) {
                synchronized (idle) {
                    idle.addLast(new Idle(session, System.nanoTime()));
                }
            } else {
                discard(session);
            }
        } finally {
            permits.release();
        }
        trim();
    }

    /** Closes idle sessions past the idle timeout, keeping the most recently used one. */
    void trim() {
        long now = System.nanoTime();
        while (true) {
            Idle oldest;
            synchronized (idle) {
                oldest = idle.peekFirst();
                if (oldest == null || idle.size() <= 1 && !closed || now - oldest.since() < idleNanos && !closed) {
                    return;
                }
                idle.pollFirst();
            }
            discard(oldest.handle());
        }
    }

    /** Closes every idle session (the token went away, or the pool is shutting down). */
    void discardIdle() {
        while (true) {
            Idle i;
            synchronized (idle) {
                i = idle.pollFirst();
            }
            if (i == null) {
                return;
            }
            discard(i.handle());
        }
    }

    private void discard(long session) {
        open.decrementAndGet();
        try {
            module.closeSession(session);
        } catch (RuntimeException ignored) {
            // The session is gone either way; a failing close must not hide the caller's outcome.
        }
    }

    @Override
    public void close() {
        closed = true;
        discardIdle();
    }
}
