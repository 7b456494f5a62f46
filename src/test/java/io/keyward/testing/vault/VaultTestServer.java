package io.keyward.testing.vault;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.keyward.testing.LoopbackServer;
import io.keyward.testing.Sleep;
import io.keyward.testing.TestCertificate;
import io.keyward.testing.vault.VaultBackend.Reply;
import io.keyward.testing.vault.VaultBackend.Request;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Vault HTTP endpoint for tests: the wire protocol of Vault's HTTP API ({@code /v1/...}, {@code X-Vault-Token},
 * {@code X-Vault-Namespace}, JSON bodies, {@code {"errors":[...]}}), answered either by {@link InMemoryVault} or by a
 * real Vault behind it ({@link #proxying}), with the network faults the provider must survive: stopped (connection
 * refused, same port on restart), slow answers, throttling (Vault's 429 "rate limit quota exceeded") and a request
 * counter. Optionally over TLS with a generated certificate ({@link #inMemoryTls()}).
 */
public final class VaultTestServer implements AutoCloseable {
    /** The root token of the in-memory Vault. */
    public static final String ROOT_TOKEN = "hvs.keyward-test-root";

    private final VaultBackend backend;
    private final String rootToken;
    private final TestCertificate certificate;
    private final LoopbackServer server = new LoopbackServer("vault-test-server", this::bind, this::handle);
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger throttled = new AtomicInteger();
    private volatile Duration delay = Duration.ZERO;

    private VaultTestServer(VaultBackend backend, String rootToken, TestCertificate certificate) {
        this.backend = backend;
        this.rootToken = rootToken;
        this.certificate = certificate;
        start();
    }

    /** An in-memory Vault over plain HTTP on a free loopback port. */
    public static VaultTestServer inMemory() {
        return new VaultTestServer(new InMemoryVault(ROOT_TOKEN), ROOT_TOKEN, null);
    }

    /** An in-memory Vault over HTTPS with a fresh self-signed certificate for 127.0.0.1 ({@link #caPem()}). */
    public static VaultTestServer inMemoryTls() {
        return new VaultTestServer(new InMemoryVault(ROOT_TOKEN), ROOT_TOKEN, 
                TestCertificate.forLoopback("keyward vault test server"));
    }

    /** Fronts a real Vault (e.g. a Testcontainers dev server) so the same faults can be injected. */
    public static VaultTestServer proxying(String upstreamAddress, String rootToken) {
        return new VaultTestServer(new UpstreamVault(upstreamAddress), rootToken, null);
    }

    public String address() {
        return (certificate == null ? "http" : "https") + "://127.0.0.1:" + server.port();
    }

    public String rootToken() {
        return rootToken;
    }

    /** The PEM certificate an https server presents (to pass as {@code caCertificate}). */
    public String caPem() {
        if (certificate == null) {
            throw new IllegalStateException("plain http server");
        }
        return certificate.pem();
    }

    /** The in-memory Vault (seal, login counters); absent when proxying a real Vault. */
    public InMemoryVault inMemoryVault() {
        if (!(backend instanceof InMemoryVault v)) {
            throw new IllegalStateException("proxying a real Vault");
        }
        return v;
    }

    /** Stops listening: connections are refused until {@link #start()}. */
    public void stop() {
        server.stop();
    }

    /** Listens again, on the same port as before. */
    public void start() {
        server.start();
    }

    private HttpServer bind(InetSocketAddress at) throws IOException {
        if (certificate == null) {
            return HttpServer.create(at, 64);
        }
        HttpsServer https = HttpsServer.create(at, 64);
        https.setHttpsConfigurator(new HttpsConfigurator(certificate.serverContext()));
        return https;
    }

    /** Delays every answer by {@code d} ({@link Duration#ZERO} for normal speed). */
    public void delayResponses(Duration d) {
        delay = d;
    }

    /** Answers the next {@code n} requests with Vault's rate-limit error (429). */
    public void throttleNext(int n) {
        throttled.set(n);
    }

    public int requestCount() {
        return requests.get();
    }

    private void handle(HttpExchange ex) throws IOException {
        requests.incrementAndGet();
        try {
            Duration d = delay;
            if (!d.isZero()) {
                Sleep.quietly(d);
            }
            String raw = ex.getRequestURI().getRawPath();
            if (!raw.startsWith("/v1/")) {
                send(ex, Reply.error(404, "unsupported path"));
                return;
            }
            String path = raw.substring("/v1/".length());
            if (throttled.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
                // Resource quotas: "request path ...: rate limit quota exceeded", HTTP 429
                // (https://developer.hashicorp.com/vault/docs/concepts/resource-quotas).
                send(ex, Reply.wrappedError(429, "request path \"" + path + "\": rate limit quota exceeded"));
                return;
            }
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            String token = ex.getRequestHeaders().getFirst("X-Vault-Token");
            String bearer = ex.getRequestHeaders().getFirst("Authorization");
            if (token == null && bearer != null && bearer.startsWith("Bearer ")) {
                token = bearer.substring("Bearer ".length());
            }
            String method = ex.getRequestMethod();
            if (method.equals("PUT")) {
                method = "POST"; // "Vault currently considers PUT and POST to be synonyms."
            }
            send(ex, backend.handle(new Request(method, path, ex.getRequestURI().getRawQuery(), token,
                    ex.getRequestHeaders().getFirst("X-Vault-Namespace"), body)));
        } catch (IOException | RuntimeException e) {
            // The client went away (timeout, server stopped): nothing to answer.
        } finally {
            ex.close();
        }
    }

    private static void send(HttpExchange ex, Reply reply) throws IOException {
        reply.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
        if (reply.status() == 204 || reply.body().length == 0) {
            ex.sendResponseHeaders(reply.status(), -1);
            return;
        }
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(reply.status(), reply.body().length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(reply.body());
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
