package io.keyward.testing.aws;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback HTTP server that plays the network for a test: it can be stopped (connection refused) and started
 * again on the same port, slowed down, made to throttle the next N requests, and it counts what it received.
 * What it answers is up to its {@link Backend}: a protocol emulator, or a forwarder to a real peer.
 */
public final class FaultInjectingHttpServer implements AutoCloseable {

    /** One received request; header names are lower case. */
    public record Call(String method, String rawPath, String rawQuery, Map<String, List<String>> headers, byte[] body) {
        public String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null || v.isEmpty() ? null : v.get(0);
        }
    }

    /** One answer. */
    public record Reply(int status, String contentType, byte[] body, Map<String, String> headers) {
        public Reply(int status, String contentType, byte[] body) {
            this(status, contentType, body, Map.of());
        }
    }

    /** What the server speaks. */
    public interface Backend {
        Reply handle(Call call);

        /** The protocol's own throttling error for {@code call}. */
        Reply throttled(Call call);
    }

    private final Backend backend;
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger throttleLeft = new AtomicInteger();
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "aws-test-server");
        t.setDaemon(true);
        return t;
    });
    private volatile Duration delay = Duration.ZERO;
    private volatile HttpServer server;
    private int port;

    public FaultInjectingHttpServer(Backend backend) {
        this.backend = backend;
    }

    /** Starts listening (on a free loopback port the first time, on the same port afterwards). */
    public synchronized FaultInjectingHttpServer start() {
        if (server != null) {
            return this;
        }
        IOException last = null;
        for (int attempt = 0; attempt < 50; attempt++) {
            try {
                HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
                s.createContext("/", this::exchange);
                s.setExecutor(executor);
                s.start();
                port = s.getAddress().getPort();
                server = s;
                return this;
            } catch (IOException e) {
                last = e; // the port may linger for a moment after stop()
                sleep(Duration.ofMillis(20));
            }
        }
        throw new UncheckedIOException("cannot listen on port " + port, last);
    }

    /** Closes the listening socket and every connection: clients get "connection refused". */
    public synchronized void stop() {
        HttpServer s = server;
        server = null;
        if (s != null) {
            s.stop(0);
        }
    }

    public boolean running() {
        return server != null;
    }

    public URI endpoint() {
        if (port == 0) {
            throw new IllegalStateException("not started yet");
        }
        return URI.create("http://127.0.0.1:" + port);
    }

    /** Every answer waits this long first; {@link Duration#ZERO} also releases answers already waiting. */
    public void delayResponses(Duration d) {
        delay = d;
    }

    public void throttleNext(int n) {
        throttleLeft.set(n);
    }

    public int requestCount() {
        return requests.get();
    }

    private void exchange(HttpExchange ex) throws IOException {
        long arrived = System.nanoTime();
        requests.incrementAndGet();
        try (ex) {
            Call call = read(ex);
            waitOutDelay(arrived);
            if (server == null) {
                return; // stopped while waiting: drop the connection
            }
            Reply reply = throttleLeft.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0 ? backend.throttled(call)
                    : backend.handle(call);
            ex.getResponseHeaders().set("Content-Type", reply.contentType());
            reply.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
            ex.sendResponseHeaders(reply.status(), reply.body().length == 0 ? -1 : reply.body().length);
            if (reply.body().length > 0) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(reply.body());
                }
            }
        } catch (IOException e) {
            // the client gave up (attempt timeout) or the server stopped: nothing to answer
        }
    }

    private void waitOutDelay(long arrivedNanos) {
        while (server != null) {
            long left = arrivedNanos + delay.toNanos() - System.nanoTime();
            if (left <= 0) {
                return;
            }
            sleep(Duration.ofNanos(Math.min(left, 10_000_000L)));
        }
    }

    private static Call read(HttpExchange ex) throws IOException {
        Map<String, List<String>> headers = new TreeMap<>();
        ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), new ArrayList<>(v)));
        byte[] body = ex.getRequestBody().readAllBytes();
        URI uri = ex.getRequestURI();
        return new Call(ex.getRequestMethod(), uri.getRawPath(), uri.getRawQuery(), headers, body);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(Math.max(1, d.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop();
        executor.shutdownNow();
    }
}
