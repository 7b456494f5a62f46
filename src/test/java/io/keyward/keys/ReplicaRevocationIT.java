package io.keyward.keys;

import io.keyward.testing.Dirs;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Two keyward replicas (the packaged jar, twice, prod profile) sharing one PostgreSQL schema: a revocation,
 * retire or restore made on replica A reaches replica B through LISTEN/NOTIFY within a second, although B holds
 * the tenant's DEK and a fresh tenant snapshot; and a B whose listener connection was killed never serves a
 * tenant from state older than what it re-read after the break. Runs in both suites: PostgreSQL is always on
 * 127.0.0.1:5432 here (the README's test setup), whichever database the rest of the suite uses.
 */
class ReplicaRevocationIT {
    static final String ADMIN = "Bearer replica-it-admin-token";
    static final String PG = "jdbc:postgresql://127.0.0.1:5432/test";
    static final String SCHEMA = "keyward_replicas";
    static final Path DATA = Path.of("target/it-replicas-data").toAbsolutePath();
    /** Propagation bound this test holds the listener to (the snapshot alone would take up to 5 s). */
    static final long BOUND_MS = 1_000;
    static final List<Process> PROCESSES = new ArrayList<>();
    static String a;
    static String b;

    @BeforeAll
    static void twoReplicas() throws Exception {
        try (Connection c = pg(); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
            st.execute("CREATE SCHEMA " + SCHEMA);
        }
        Dirs.deleteTree(DATA);
        a = start("a", Map.of());
        // Local KMS keys are files in the shared data dir, read by a replica when it starts: make them first.
        for (String k : List.of("kek-kill", "kek-key", "kek-retire-1", "kek-retire-2", "kek-missed")) {
            as(a).body(Map.of("name", k)).post("/v1/local-kms/keys").then().statusCode(201);
        }
        // B waits a second before reconnecting, so the test can act while its listener is down.
        b = start("b", Map.of("KEYWARD_REPLICAS_RECONNECT_MIN_BACKOFF", "1s"));
    }

    @AfterAll
    static void stop() throws Exception {
        for (Process p : PROCESSES) {
            p.destroy();
        }
        for (Process p : PROCESSES) {
            p.waitFor();
        }
        try (Connection c = pg(); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
        }
    }

    @Test
    void killSwitchOnAStopsBWithinOneSecondAndRestoreOnAResumesIt() throws Exception {
        String ct = tenantWithCiphertext("r-kill", "kek-kill");
        decrypt(b, "r-kill", ct).then().statusCode(200); // B: DEK cached, snapshot fresh

        as(a).body(Map.of("reason", "it")).post("/v1/tenants/r-kill:revoke").then().statusCode(200);
        long ms = untilStatus(b, "r-kill", ct, 403);
        System.out.printf("replicas: kill switch on A refused on B after %d ms%n", ms);
        assertEquals("KEY_REVOKED", decrypt(b, "r-kill", ct).then().extract().path("code"));
        assertTrue(ms < BOUND_MS, "B refused only after " + ms + " ms");

        as(a).post("/v1/tenants/r-kill:restore").then().statusCode(200);
        ms = untilStatus(b, "r-kill", ct, 200);
        System.out.printf("replicas: restore on A served on B after %d ms%n", ms);
        assertTrue(ms < BOUND_MS, "B served again only after " + ms + " ms");
    }

    @Test
    void keyFoundRevokedOnAStopsBWithinOneSecond() throws Exception {
        String ct = tenantWithCiphertext("r-key", "kek-key");
        decrypt(b, "r-key", ct).then().statusCode(200);

        as(a).post("/v1/local-kms/keys/kek-key:disable").then().statusCode(200);
        String keyId = as(a).get("/v1/tenants/r-key").then().statusCode(200).extract().path("keys[0].id");
        as(a).post("/v1/tenants/r-key/keys/" + keyId + ":check").then().statusCode(200);
        long ms = untilStatus(b, "r-key", ct, 403);
        System.out.printf("replicas: key found revoked on A refused on B after %d ms%n", ms);
        assertTrue(ms < BOUND_MS, "B refused only after " + ms + " ms");

        as(a).post("/v1/local-kms/keys/kek-key:enable").then().statusCode(200);
        as(a).post("/v1/tenants/r-key:restore").then().statusCode(200);
        ms = untilStatus(b, "r-key", ct, 200);
        assertTrue(ms < BOUND_MS, "B served again only after " + ms + " ms");
    }

    @Test
    void retireOnAStopsBWithinOneSecond() throws Exception {
        String ct = tenantWithCiphertext("r-retire", "kek-retire-1");
        String oldKey = as(a).get("/v1/tenants/r-retire").then().statusCode(200).extract().path("keys[0].id");
        as(a).body(Map.of("provider", "local", "keyUri", "local:kek-retire-2"))
                .post("/v1/tenants/r-retire/keys").then().statusCode(201);
        decrypt(b, "r-retire", ct).then().statusCode(200);

        as(a).body(Map.of("force", true)).post("/v1/tenants/r-retire/keys/" + oldKey + ":retire")
                .then().statusCode(200);
        long ms = untilStatus(b, "r-retire", ct, 409);
        System.out.printf("replicas: retire on A refused on B after %d ms%n", ms);
        assertEquals("KEY_RETIRED", decrypt(b, "r-retire", ct).then().extract().path("code"));
        assertTrue(ms < BOUND_MS, "B refused only after " + ms + " ms");
    }

    @Test
    void bNeverServesFromStateOlderThanItsListenerBreak() throws Exception {
        String ct = tenantWithCiphertext("r-missed", "kek-missed");
        String appName = listenerApplicationName(b);

        // 1. Revoked on A while B's listener is down: B's next request re-reads the tenant.
        decrypt(b, "r-missed", ct).then().statusCode(200);
        terminateBackend(appName);
        await(() -> !listenerUp(b), "B notices its listener connection is gone");
        as(a).body(Map.of("reason", "while b was deaf")).post("/v1/tenants/r-missed:revoke").then().statusCode(200);
        Response r = decrypt(b, "r-missed", ct);
        assertEquals(403, r.statusCode(), "B served a tenant revoked while its listener was down");
        assertEquals("KEY_REVOKED", r.path("code"));
        await(() -> listenerUp(b), "B reconnects");
        as(a).post("/v1/tenants/r-missed:restore").then().statusCode(200);
        untilStatus(b, "r-missed", ct, 200);

        // 2. Revoked on A while B is down, B reconnects, and only then sees a request: it re-reads first.
        decrypt(b, "r-missed", ct).then().statusCode(200);
        long lastServed = System.nanoTime();
        terminateBackend(appName);
        await(() -> !listenerUp(b), "B notices its listener connection is gone");
        as(a).body(Map.of("reason", "missed")).post("/v1/tenants/r-missed:revoke").then().statusCode(200);
        await(() -> listenerUp(b), "B reconnects");
        r = decrypt(b, "r-missed", ct);
        long sinceServed = (System.nanoTime() - lastServed) / 1_000_000;
        System.out.printf("replicas: B reconnected and refused the missed revocation %d ms after it last served%n",
                sinceServed);
        assertEquals(403, r.statusCode(), "B served from a snapshot older than its reconnect");
        // Under the 5 s snapshot age, so it was the reconnect, not the snapshot expiring, that made B re-read.
        assertTrue(sinceServed < 5_000, "test too slow to prove anything: " + sinceServed + " ms");
        assertTrue(backendCount(appName) == 1, "B LISTENs again on one connection");
    }

    private static String tenantWithCiphertext(String tenant, String kek) {
        as(a).body(Map.of("id", tenant, "name", tenant)).post("/v1/tenants").then().statusCode(201);
        as(a).body(Map.of("provider", "local", "keyUri", "local:" + kek)).post("/v1/tenants/" + tenant + "/keys")
                .then().statusCode(201);
        String pt = Base64.getEncoder().encodeToString(("secret of " + tenant).getBytes());
        return as(a).body(Map.of("plaintext", pt)).post("/v1/tenants/" + tenant + "/encrypt").then().statusCode(200)
                .extract().path("ciphertext");
    }

    private static Response decrypt(String base, String tenant, String ct) {
        return as(base).body(Map.of("ciphertext", ct)).post("/v1/tenants/" + tenant + "/decrypt");
    }

    /** Milliseconds until B answers {@code status}; fails after 10 s. */
    private static long untilStatus(String base, String tenant, String ct, int status) throws InterruptedException {
        long start = System.nanoTime();
        while (System.nanoTime() - start < 10_000_000_000L) {
            if (decrypt(base, tenant, ct).statusCode() == status) {
                return (System.nanoTime() - start) / 1_000_000;
            }
            Thread.sleep(10);
        }
        return fail("no " + status + " from " + base + " within 10 s");
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long start = System.nanoTime();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - start > 15_000_000_000L) {
                fail("not within 15 s: " + what);
            }
            Thread.sleep(20);
        }
    }

    private static Map<String, Object> listenerCheck(String base) {
        List<Map<String, Object>> checks = given().baseUri(base).get("/q/health/ready").then().extract()
                .path("checks");
        for (Map<String, Object> c : checks) {
            if ("keyward revocation listener".equals(c.get("name"))) {
                @SuppressWarnings("unchecked")
                Map<String, Object> data = (Map<String, Object>) c.get("data");
                return data;
            }
        }
        return fail("no revocation listener check in " + base + "/q/health/ready");
    }

    private static boolean listenerUp(String base) {
        return "up".equals(listenerCheck(base).get("listener"));
    }

    private static String listenerApplicationName(String base) throws Exception {
        await(() -> listenerUp(base), "listener up");
        String name = (String) listenerCheck(base).get("applicationName");
        assertEquals(1, backendCount(name), "one listener connection named " + name);
        return name;
    }

    private static void terminateBackend(String applicationName) throws SQLException {
        try (Connection c = pg(); PreparedStatement ps = c.prepareStatement(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ?")) {
            ps.setString(1, applicationName);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next() && rs.getBoolean(1), "terminated " + applicationName);
            }
        }
    }

    private static int backendCount(String applicationName) throws SQLException {
        try (Connection c = pg(); PreparedStatement ps = c.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = ?")) {
            ps.setString(1, applicationName);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private static RequestSpecification as(String base) {
        return given().baseUri(base).header("Authorization", ADMIN).contentType(ContentType.JSON);
    }

    private static Connection pg() throws SQLException {
        return DriverManager.getConnection(PG, "postgres", "");
    }

    private static String start(String name, Map<String, String> extraEnv) throws Exception {
        int port = freePort();
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", Path.of("target/quarkus-app/quarkus-run.jar").toAbsolutePath().toString());
        Map<String, String> env = pb.environment();
        env.put("KEYWARD_PORT", Integer.toString(port));
        env.put("KEYWARD_DATA_DIR", DATA.toString());
        env.put("KEYWARD_BOOTSTRAP_TOKEN", ADMIN.substring("Bearer ".length()));
        env.put("KEYWARD_PROVIDERS_LOCAL_ALLOW_IN_PRODUCTION", "true");
        env.put("QUARKUS_DATASOURCE_PG_JDBC_URL", PG + "?currentSchema=" + SCHEMA);
        env.put("QUARKUS_DATASOURCE_PG_USERNAME", "postgres");
        env.putAll(extraEnv);
        pb.redirectErrorStream(true).redirectOutput(Path.of("target/replica-" + name + ".log").toFile());
        Process p = pb.start();
        PROCESSES.add(p);
        String base = "http://127.0.0.1:" + port;
        long start = System.nanoTime();
        while (System.nanoTime() - start < 90_000_000_000L) {
            if (!p.isAlive()) {
                fail("replica " + name + " exited; see target/replica-" + name + ".log");
            }
            try {
                if (given().baseUri(base).get("/q/health/ready").statusCode() == 200) {
                    return base;
                }
            } catch (Exception notYet) {
                // connection refused while it starts
            }
            Thread.sleep(200);
        }
        return fail("replica " + name + " not ready within 90 s; see target/replica-" + name + ".log");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
