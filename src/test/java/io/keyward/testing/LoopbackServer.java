package io.keyward.testing;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Executor;

/** Starts the JDK's HTTP(S) server on the loopback address for the test servers that stop and start again. */
public final class LoopbackServer {
    /** Makes the (unstarted) server bound to {@code at}: plain HTTP, or HTTPS with its configurator. */
    @FunctionalInterface
    public interface Factory {
        HttpServer create(InetSocketAddress at) throws IOException;
    }

    private LoopbackServer() {
    }

    /**
     * Starts a server on {@code port} (0 for any free one) that hands every path to {@code handler}; a restart on
     * the port of a server just stopped waits up to 5 s for the port to be free again.
     */
    public static HttpServer start(int port, Factory factory, Executor executor, HttpHandler handler) {
        long giveUp = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            try {
                HttpServer s = factory.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                s.setExecutor(executor);
                s.createContext("/", handler);
                s.start();
                return s;
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
}
