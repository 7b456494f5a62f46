package io.keyward.keys;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs one task on many threads released together by a start gate, so they all miss a cache at once.
 *
 * <p>{@link #awaitOthersParked} lets a loader hold the first miss open until every other thread has passed the
 * gate and is parked (waiting on the in-flight load), which makes "exactly one load" deterministic instead of
 * depending on how the scheduler of a busy 2-core machine happens to interleave the threads.
 */
final class Stampede implements AutoCloseable {
    private final int threads;
    private final ExecutorService pool;
    private final CountDownLatch gate = new CountDownLatch(1);
    private final AtomicInteger passedGate = new AtomicInteger();
    private final Set<Thread> workers = ConcurrentHashMap.newKeySet();

    Stampede(int threads) {
        this.threads = threads;
        this.pool = Executors.newFixedThreadPool(threads);
    }

    /** Submits {@code threads} copies of {@code task}, opens the gate, and returns each thread's outcome. */
    <T> List<Outcome<T>> run(Callable<T> task) throws InterruptedException {
        List<Future<T>> futures = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            futures.add(pool.submit(() -> {
                workers.add(Thread.currentThread());
                gate.await();
                passedGate.incrementAndGet();
                return task.call();
            }));
        }
        gate.countDown();
        List<Outcome<T>> out = new ArrayList<>();
        for (Future<T> f : futures) {
            try {
                out.add(new Outcome<>(f.get(60, TimeUnit.SECONDS), null));
            } catch (java.util.concurrent.ExecutionException e) {
                out.add(new Outcome<>(null, e.getCause()));
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("a stampede thread did not finish within 60 s", e);
            }
        }
        return out;
    }

    /**
     * Called from inside a loader: waits (bounded) until every other thread has passed the gate and is parked,
     * i.e. is waiting for this load rather than still on its way to the cache.
     */
    void awaitOthersParked(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Thread me = Thread.currentThread();
        while (System.nanoTime() < deadline) {
            if (passedGate.get() == threads && workers.size() == threads
                    && workers.stream().filter(t -> t != me).allMatch(t -> t.getState() == Thread.State.WAITING
                            || t.getState() == Thread.State.TIMED_WAITING)) {
                return;
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        // Not fatal: the assertions of the calling test then decide; but say why it may be flaky.
        System.err.println("Stampede: not all threads parked within " + timeout);
    }

    record Outcome<T>(T value, Throwable error) {
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
