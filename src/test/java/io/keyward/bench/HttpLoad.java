package io.keyward.bench;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * A closed-loop HTTP load generator: {@code connections} threads, each sending its next request as soon as the
 * previous answer arrived (so at most {@code connections} in flight), a warm-up whose results are thrown away,
 * then a fixed measuring window. Latencies go into an HdrHistogram (microseconds, 3 significant digits). Any
 * answer but the expected status counts as an error and fails the run: a benchmark of errors measures nothing.
 */
final class HttpLoad {
    record Result(long requests, long errors, double seconds, Histogram latencyMicros) {
        double requestsPerSecond() {
            return requests / seconds;
        }

        double p50Millis() {
            return latencyMicros.getValueAtPercentile(50) / 1000.0;
        }

        double p99Millis() {
            return latencyMicros.getValueAtPercentile(99) / 1000.0;
        }
    }

    private final HttpClient client;
    private final String token;

    HttpLoad(String token) {
        this.token = token;
        // HTTP/1.1 with a pool: each closed-loop thread keeps reusing one keep-alive connection.
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    HttpRequest post(URI uri, String json) {
        return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build();
    }

    HttpResponse<String> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("request failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Runs {@code requests} (thread index → request; the request is built once per thread) closed-loop. */
    Result run(IntFunction<HttpRequest> requests, int connections, Duration warmUp, Duration measure) {
        phase(requests, connections, warmUp, null);
        Histogram h = new Histogram(60_000_000L, 3);
        return phase(requests, connections, measure, h);
    }

    private Result phase(IntFunction<HttpRequest> requests, int connections, Duration length, Histogram into) {
        AtomicLong count = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        List<Histogram> perThread = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        long end = start + length.toNanos();
        for (int i = 0; i < connections; i++) {
            HttpRequest req = requests.apply(i);
            Histogram h = new Histogram(60_000_000L, 3);
            perThread.add(h);
            Thread t = new Thread(() -> {
                while (System.nanoTime() < end) {
                    long t0 = System.nanoTime();
                    HttpResponse<String> r = send(req);
                    long t1 = System.nanoTime();
                    if (r.statusCode() != 200) {
                        errors.incrementAndGet();
                        continue;
                    }
                    h.recordValue(Math.max(1, (t1 - t0) / 1000));
                    count.incrementAndGet();
                }
            }, "bench-load-" + i);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (errors.get() > 0) {
            throw new IllegalStateException(errors.get() + " requests did not answer 200 under load");
        }
        if (into != null) {
            perThread.forEach(into::add);
        }
        return new Result(count.get(), errors.get(), seconds, into);
    }
}
