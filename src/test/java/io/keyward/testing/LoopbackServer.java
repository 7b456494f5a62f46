package io.keyward.testing;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The JDK's HTTP(S) server on the loopback address, for test servers that stop (connection refused) and start again
 * on the same port; every path goes to one handler, on daemon threads.
 */
public final class LoopbackServer implements AutoCloseable {
    /** Makes the (unstarted) server bound to {@code at}: plain HTTP, or HTTPS with its configurator. */
    @FunctionalInterface
    public interface Factory {
        HttpServer create(InetSocketAddress at) throws IOException;
    }

    private final Factory factory;
    private final HttpHandler handler;
    private final ExecutorService executor;
    private volatile HttpServer server;
    private volatile int port;

    /** Not listening yet: see {@link #start()}. */
    public LoopbackServer(String threadName, Factory factory, HttpHandler handler) {
        this.factory = factory;
        this.handler = handler;
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Listens: first on a free port, after a {@link #stop()} on the same port as before, waiting up to 5 s for the
     * stopped server to let go of it. Does nothing while listening.
     */
    public synchronized void start() {
        if (server != null) {
            return;
        }
        long giveUp = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            try {
                HttpServer s = factory.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                s.setExecutor(executor);
                s.createContext("/", handler);
                s.start();
                port = s.getAddress().getPort();
                server = s;
                return;
            } catch (BindException e) {
                if (System.nanoTime() > giveUp) {
                    throw new IllegalStateException("port " + port + " stays in use", e);
                }
                Sleep.quietly(Duration.ofMillis(50));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Stops listening: connections are refused until {@link #start()}. */
    public synchronized void stop() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
    }

    public int port() {
        return port;
    }

    @Override
    public void close() {
        stop();
        executor.shutdownNow();
    }
}
