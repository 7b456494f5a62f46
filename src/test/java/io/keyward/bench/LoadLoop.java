package io.keyward.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** An in-process closed loop: {@code threads} threads calling {@code op} back to back for a fixed time. */
final class LoadLoop {
    interface Op {
        void run(int thread, long iteration) throws Exception;
    }

    /** Operations per second over {@code length}; the first failure stops the loop and is rethrown. */
    static double run(int threads, Duration length, Op op) {
        AtomicLong count = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long start = System.nanoTime();
        long end = start + length.toNanos();
        List<Thread> all = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            int thread = i;
            Thread t = new Thread(() -> {
                long n = 0;
                try {
                    while (System.nanoTime() < end && failure.get() == null) {
                        op.run(thread, n++);
                        count.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "bench-loop-" + i);
            all.add(t);
            t.start();
        }
        for (Thread t : all) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        if (failure.get() != null) {
            throw new IllegalStateException("operation failed under load", failure.get());
        }
        return count.get() / ((System.nanoTime() - start) / 1e9);
    }

    private LoadLoop() {
    }
}
