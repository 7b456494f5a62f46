package io.keyward.ops;

import io.keyward.testing.Dirs;
import io.keyward.testing.vault.VaultAdmin;
import io.keyward.testing.vault.VaultTestServer;
import io.keyward.testing.vault.VaultTransitFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The packaged jar (prod profile, default shutdown settings: delay 5 s, timeout 30 s) receives SIGTERM while a key
 * check waits on a slow Vault (every Vault answer 2 s late; a check makes several calls): readiness turns DOWN at once
 * while new requests are still served, the check outlives the delay and completes with 200, then new connections are
 * refused and the process exits within delay + timeout, after logging a clean stop; its log carries neither the admin
 * token nor the Vault token.
 *
 * <p>The exit code is 143 (128 + SIGTERM), not 0: Quarkus stops the application in the JVM's shutdown hook and the
 * JVM then exits as a process terminated by SIGTERM does. Kubernetes and Docker treat that as a normal stop.
 */
class GracefulShutdownIT {
    static final String ADMIN = "shutdown-it-admin-token";
    static final Path DATA = Path.of("target/it-shutdown-data").toAbsolutePath();
    static final Path LOG = Path.of("target/shutdown-it.log").toAbsolutePath();
    static final Duration VAULT_LATENCY = Duration.ofSeconds(2);
    static final long DELAY_MS = 5_000;
    static final long TIMEOUT_MS = 30_000;
    /** 128 + 15: the JVM's exit status after SIGTERM once its shutdown hooks (Quarkus' graceful stop) have run. */
    static final int EXIT_AFTER_SIGTERM = 143;

    static VaultTestServer vault;
    static String vaultToken;
    static Process keyward;
    static int port;
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeAll
    static void start() throws Exception {
        vault = VaultTestServer.inMemory();
        VaultAdmin admin = VaultAdmin.of(vault);
        admin.enableTransit(VaultTransitFixture.MOUNT);
        admin.createKey(VaultTransitFixture.MOUNT, "drain-kek", "aes256-gcm96");
        admin.writePolicy("keyward-drain", VaultTransitFixture.rules("drain-kek", "grant"));
        vaultToken = admin.createToken(List.of("keyward-drain"), "1h");

        Dirs.deleteTree(DATA);
        port = freePort();
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", Path.of("target/quarkus-app/quarkus-run.jar").toAbsolutePath().toString());
        Map<String, String> env = pb.environment();
        env.put("KEYWARD_PORT", Integer.toString(port));
        env.put("KEYWARD_DATA_DIR", DATA.toString());
        env.put("KEYWARD_BOOTSTRAP_TOKEN", ADMIN);
        // One slow attempt, no retry: the key check below takes the Vault's latency, not a multiple of it.
        env.put("KEYWARD_PROVIDERS_VAULT_ATTEMPT_TIMEOUT", "20s");
        env.put("KEYWARD_PROVIDERS_VAULT_DEADLINE", "25s");
        env.put("KEYWARD_HEALTH_PROBE_INTERVAL", "1h");
        // The delay the Helm chart sets (the built-in default is 0s).
        env.put("QUARKUS_SHUTDOWN_DELAY", "5s");
        pb.redirectErrorStream(true).redirectOutput(LOG.toFile());
        keyward = pb.start();
        long giveUp = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (status("GET", "/q/health/ready", null) != 200) {
            if (!keyward.isAlive() || System.nanoTime() > giveUp) {
                fail("keyward did not become ready; see " + LOG);
            }
            Thread.sleep(200);
        }
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (keyward != null && keyward.isAlive()) {
            keyward.destroyForcibly().waitFor();
        }
        if (vault != null) {
            vault.close();
        }
    }

    @Test
    void sigtermReportsNotReadyKeepsServingDrainsTheInFlightRequestThenRefusesAndExits() throws Exception {
        assertEquals(201, status("POST", "/v1/tenants", "{\"id\":\"drain\",\"name\":\"Drain\"}"));
        HttpResponse<String> attached = send("POST", "/v1/tenants/drain/keys", "{\"provider\":\"vault-transit\","
                + "\"keyUri\":\"" + VaultTransitFixture.keyUri("drain-kek") + "\",\"options\":{\"address\":\""
                + vault.address() + "\",\"token\":\"" + vaultToken + "\"}}");
        assertEquals(201, attached.statusCode(), attached.body());
        Matcher id = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"").matcher(attached.body());
        assertTrue(id.find(), attached.body());

        vault.delayResponses(VAULT_LATENCY);
        int before = vault.requestCount();
        long sent = System.nanoTime();
        CompletableFuture<HttpResponse<String>> inFlight = HTTP.sendAsync(request("POST",
                "/v1/tenants/drain/keys/" + id.group(1) + ":check", "{}"), HttpResponse.BodyHandlers.ofString());
        while (vault.requestCount() == before) {
            assertTrue(System.nanoTime() - sent < 10_000_000_000L, "the key check never reached Vault");
            Thread.sleep(10);
        }

        long term = System.nanoTime();
        keyward.destroy(); // SIGTERM
        Long notReadyMs = null;
        boolean servedWhileNotReady = false;
        while (ms(term) < DELAY_MS - 1_000) {
            int ready = status("GET", "/q/health/ready", null);
            if (ready == 503 && notReadyMs == null) {
                notReadyMs = ms(term);
            }
            if (notReadyMs != null && !servedWhileNotReady) {
                // A load balancer that has not noticed yet still gets answers.
                servedWhileNotReady = status("GET", "/v1/tenants/drain", null) == 200;
            }
            Thread.sleep(50);
        }
        assertNotNull(notReadyMs, "readiness never answered 503 during the shutdown delay");
        assertTrue(servedWhileNotReady, "new requests were not served during the shutdown delay");

        HttpResponse<String> done = inFlight.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        long inFlightMs = ms(sent);
        long completedAfterTermMs = ms(term);
        assertEquals(200, done.statusCode(), done.body());
        assertTrue(done.body().contains("\"status\""), done.body());

        long refusedMs = -1;
        while (ms(term) < DELAY_MS + TIMEOUT_MS + 10_000) {
            if (!accepts()) {
                refusedMs = ms(term);
                break;
            }
            Thread.sleep(20);
        }
        assertTrue(refusedMs >= 0, "keyward still accepted connections long after the drain");
        assertTrue(keyward.waitFor(DELAY_MS + TIMEOUT_MS + 10_000 - ms(term), TimeUnit.MILLISECONDS),
                "keyward did not exit within delay + timeout + 10 s");
        long exitMs = ms(term);
        int exit = keyward.exitValue();
        System.out.printf("shutdown: readiness 503 after %d ms; in-flight key check (each Vault answer %d ms late) answered 200 "
                + "%d ms after SIGTERM (%d ms after it was sent); connections refused after %d ms; exit code %d "
                + "after %d ms%n", notReadyMs, VAULT_LATENCY.toMillis(), completedAfterTermMs, inFlightMs, refusedMs,
                exit, exitMs);
        assertEquals(EXIT_AFTER_SIGTERM, exit, "exit code after SIGTERM; see " + LOG);
        assertTrue(completedAfterTermMs > DELAY_MS, "the request outlived the delay, so the drain waited for it");

        String log = Files.readString(LOG);
        assertFalse(log.contains(ADMIN), "admin token in the log");
        assertFalse(log.contains(vaultToken), "Vault token in the log");
        assertTrue(log.contains("keyward stopped"), "a clean stop is logged");
    }

    private static long ms(long since) {
        return (System.nanoTime() - since) / 1_000_000;
    }

    private static boolean accepts() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (ConnectException refused) {
            return false;
        } catch (IOException other) {
            return true;
        }
    }

    private static HttpRequest request(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(40)).header("Authorization", "Bearer " + ADMIN)
                .header("Content-Type", "application/json");
        return b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private static HttpResponse<String> send(String method, String path, String body) throws Exception {
        return HTTP.send(request(method, path, body), HttpResponse.BodyHandlers.ofString());
    }

    /** The status, or -1 when no connection could be made. */
    private static int status(String method, String path, String body) {
        try {
            return send(method, path, body).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
