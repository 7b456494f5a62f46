package io.keyward.testing.azure;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.keyward.testing.TestCertificate;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTPS reverse proxy in front of a Key Vault emulator (Lowkey Vault) that adds what an emulator cannot do:
 * stop/start (connection refused), delayed answers, and throttling (429 Throttled with Retry-After, as Key Vault
 * sends). It also serves the Entra ID token endpoint ({@link EntraTokenService}) for the client-secret identity,
 * since the emulator accepts any bearer token. Vault requests (forwarded or answered by a fault) are counted.
 */
public final class KeyVaultFaultProxy implements AutoCloseable {
    private static final List<String> FORWARDED_REQUEST_HEADERS = List.of("Authorization", "Content-Type", "Accept",
            "x-ms-client-request-id");
    private static final List<String> RETURNED_HEADERS = List.of("Content-Type", "WWW-Authenticate", "Retry-After",
            "x-ms-request-id");

    private final String upstream;
    private final HttpClient client;
    private final TestCertificate certificate = TestCertificate.forLoopback("localhost");
    private final EntraTokenService entra;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "key-vault-fault-proxy");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger vaultRequests = new AtomicInteger();
    private final AtomicInteger throttleRemaining = new AtomicInteger();
    private volatile Duration delay = Duration.ZERO;
    private HttpsServer server;
    private int port;

    /**
     * @param upstream      the emulator's base URL, e.g. {@code https://localhost:49153}
     * @param upstreamTrust trusts the emulator's certificate
     * @param tenantId      the tenant the emulator's challenge names (Lowkey Vault: the first path segment)
     */
    public KeyVaultFaultProxy(String upstream, SSLContext upstreamTrust, String tenantId) {
        this.upstream = upstream;
        this.client = HttpClient.newBuilder().sslContext(upstreamTrust).connectTimeout(Duration.ofSeconds(5)).build();
        this.entra = new EntraTokenService(tenantId, UUID.randomUUID().toString());
        startServer();
    }

    public synchronized void startServer() {
        if (server != null) {
            return;
        }
        try {
            HttpsServer s = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
            s.setHttpsConfigurator(new HttpsConfigurator(certificate.serverContext()));
            s.setExecutor(executor);
            s.createContext("/", this::handle);
            s.start();
            server = s;
            port = s.getAddress().getPort();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the fault proxy", e);
        }
    }

    public synchronized void stopServer() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
    }

    public void delayResponses(Duration d) {
        delay = d == null ? Duration.ZERO : d;
    }

    public void throttleNext(int n) {
        throttleRemaining.set(Math.max(0, n));
    }

    public int vaultRequestCount() {
        return vaultRequests.get();
    }

    public String vaultUrl() {
        return "https://localhost:" + port;
    }

    public Map<String, String> clientSecretOptions() {
        return Map.of("tenantId", entra.tenantId(), "clientId", entra.clientId(), "clientSecret",
                entra.clientSecret(), "authorityHost", vaultUrl(), "trustCertificatePem", certificate.pem());
    }

    @Override
    public void close() {
        stopServer();
        executor.shutdownNow();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            String path = ex.getRequestURI().getRawPath();
            if (path.endsWith("/oauth2/v2.0/token") && "POST".equals(ex.getRequestMethod())) {
                String tenant = path.substring(1, path.indexOf('/', 1));
                EntraTokenService.Answer a = entra.token(tenant, new String(body, StandardCharsets.UTF_8));
                send(ex, a.status(), new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsBytes(a.json()));
                return;
            }
            vaultRequests.incrementAndGet();
            if (!delay.isZero()) {
                Thread.sleep(delay.toMillis());
            }
            if (throttleRemaining.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
                ex.getResponseHeaders().set("Retry-After", "0");
                send(ex, 429, ("{\"error\":{\"code\":\"Throttled\",\"message\":\"Request was not processed because "
                        + "too many requests were received.\"}}").getBytes(StandardCharsets.UTF_8));
                return;
            }
            forward(ex, body);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            send(ex, 502, "{\"error\":{\"code\":\"BadGateway\",\"message\":\"proxy\"}}".getBytes(StandardCharsets.UTF_8));
        }
    }

    private void forward(HttpExchange ex, byte[] body) throws IOException, InterruptedException {
        String query = ex.getRequestURI().getRawQuery();
        HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(upstream + ex.getRequestURI().getRawPath()
                + (query == null ? "" : "?" + query))).timeout(Duration.ofSeconds(10));
        for (String h : FORWARDED_REQUEST_HEADERS) {
            String v = ex.getRequestHeaders().getFirst(h);
            if (v != null) {
                rb.header(h, v);
            }
        }
        rb.method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body));
        HttpResponse<byte[]> r = client.send(rb.build(), HttpResponse.BodyHandlers.ofByteArray());
        for (String h : RETURNED_HEADERS) {
            r.headers().firstValue(h).ifPresent(v -> ex.getResponseHeaders().set(h, v));
        }
        send(ex, r.statusCode(), r.body());
    }

    private static void send(HttpExchange ex, int status, byte[] out) throws IOException {
        if (!ex.getResponseHeaders().containsKey("Content-Type")) {
            ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        }
        ex.sendResponseHeaders(status, out.length == 0 ? -1 : out.length);
        if (out.length > 0) {
            ex.getResponseBody().write(out);
        }
    }
}
