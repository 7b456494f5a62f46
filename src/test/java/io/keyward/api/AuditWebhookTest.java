package io.keyward.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.keyward.db.Database;
import io.keyward.testing.Api;
import io.keyward.testing.LoopbackServer;
import io.keyward.testing.Sleep;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static io.keyward.testing.Api.admin;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.hasKey;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code PUT/DELETE /v1/tenants/{t}/audit-webhook} and delivery: every event of the tenant is POSTed, signed
 * with {@code X-Keyward-Signature: sha256=<hex HMAC of the body>}, and retried when the receiver fails.
 */
@QuarkusTest
class AuditWebhookTest {
    private static final String SECRET = "a-webhook-secret-0123456789";

    @Inject
    Database db;

    /** What a receiver saw: one entry per request, in arrival order. */
    private record Received(int status, String eventId, String signature, byte[] body) {
        JsonNode json() {
            return Api.json(body);
        }
    }

    /** A loopback receiver that answers 503 to its first {@code failFirst} requests, then 204. */
    private static final class Receiver implements AutoCloseable {
        final List<Received> requests = new CopyOnWriteArrayList<>();
        final AtomicInteger toFail;
        final LoopbackServer server;

        Receiver(int failFirst) {
            toFail = new AtomicInteger(failFirst);
            server = new LoopbackServer("webhook-receiver", at -> HttpServer.create(at, 0), this::handle);
            server.start();
        }

        private void handle(HttpExchange x) throws IOException {
            byte[] body = x.getRequestBody().readAllBytes();
            int status = toFail.getAndDecrement() > 0 ? 503 : 204;
            requests.add(new Received(status, x.getRequestHeaders().getFirst("X-Keyward-Event-Id"),
                    x.getRequestHeaders().getFirst("X-Keyward-Signature"), body));
            x.sendResponseHeaders(status, -1);
            x.close();
        }

        String url() {
            return "http://127.0.0.1:" + server.port() + "/hooks/keyward";
        }

        List<Received> accepted() {
            return requests.stream().filter(r -> r.status() == 204).toList();
        }

        /** Waits (up to 30 s: retries back off) until an accepted delivery matches. */
        Received await(Predicate<JsonNode> event) {
            long giveUp = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < giveUp) {
                for (Received r : accepted()) {
                    if (event.test(r.json())) {
                        return r;
                    }
                }
                Sleep.quietly(Duration.ofMillis(50));
            }
            return fail("no accepted delivery matched; received " + requests.size() + " requests");
        }

        @Override
        public void close() {
            server.close();
        }
    }

    private static String hmac(byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    }

    private static void put(String t, String url) {
        admin().body(Map.of("url", url, "secret", SECRET)).put("/v1/tenants/" + t + "/audit-webhook").then()
                .statusCode(200).body("url", equalTo(url)).body("$", not(hasKey("secret")));
    }

    private static Predicate<JsonNode> requestId(String rid) {
        return j -> rid.equals(j.path("requestId").asText(null));
    }

    @Test
    void eventsAreDeliveredSignedAndRetriedUntilTheReceiverAccepts() throws Exception {
        String t = Api.unique("hook");
        Api.tenantWithLocalKey(t, Api.unique("kek"));
        try (Receiver receiver = new Receiver(2)) {
            put(t, receiver.url());
            String rid = "r-hook-" + t;
            admin().header("X-Request-Id", rid).body(Map.of("reason", "drill")).post("/v1/tenants/" + t + ":revoke")
                    .then().statusCode(200);

            Received revoke = receiver.await(requestId(rid));
            Received set = receiver.await(j -> "audit-webhook.set".equals(j.path("action").asText()));
            assertEquals("tenant.revoke", revoke.json().path("action").asText());
            assertEquals(t, revoke.json().path("tenantId").asText());

            List<Received> all = receiver.requests;
            assertEquals(2, all.stream().filter(r -> r.status() == 503).count(), "the first two attempts failed");
            Set<String> acceptedIds = receiver.accepted().stream().map(Received::eventId).collect(Collectors.toSet());
            assertEquals(Set.of(set.eventId(), revoke.eventId()), acceptedIds, "each event accepted, once");
            assertEquals(2, receiver.accepted().size());
            for (Received r : all) {
                assertEquals(hmac(r.body()), r.signature(), "every attempt is signed over its exact body");
                assertTrue(acceptedIds.contains(r.eventId()), "failed attempts were retried until accepted");
                Received ok = r.eventId().equals(set.eventId()) ? set : revoke;
                assertArrayEquals(ok.body(), r.body(), "a retry sends the same bytes");
                assertEquals(r.eventId(), r.json().path("id").asText());
            }

            // The delivered object is the export's line for that event: a SIEM can chain webhooks and exports.
            String export = admin().accept(AuditResource.NDJSON).get("/v1/tenants/" + t + "/audit:export").then()
                    .statusCode(200).extract().asString();
            JsonNode line = export.lines().map(l -> Api.json(l.getBytes(StandardCharsets.UTF_8)))
                    .filter(j -> revoke.eventId().equals(j.path("id").asText())).findFirst().orElseThrow();
            assertEquals(line, revoke.json());
        }
    }

    @Test
    void theSecretIsSealedAndNeverShown() {
        String t = Api.unique("hook-secret");
        Api.tenant(t);
        put(t, "http://127.0.0.1:9/never");
        String stored = db.queryOne("SELECT secret_sealed FROM audit_webhook WHERE tenant_id = ?", rs -> rs.getString(1),
                t).orElseThrow();
        assertFalse(stored.contains(SECRET), "stored sealed");
        assertTrue(stored.startsWith("v2:"), "sealed under a named root key");
        String trail = admin().get("/v1/tenants/" + t + "/audit").then().statusCode(200).extract().asString();
        assertFalse(trail.contains(SECRET), "not in the audit trail either");
        admin().delete("/v1/tenants/" + t + "/audit-webhook").then().statusCode(204);
    }

    @Test
    void afterDeleteNoEventIsSentAndAReplacementGetsOnlyLaterEvents() {
        String t = Api.unique("hook-del");
        Api.tenantWithLocalKey(t, Api.unique("kek"));
        try (Receiver first = new Receiver(0); Receiver second = new Receiver(0)) {
            put(t, first.url());
            first.await(j -> "audit-webhook.set".equals(j.path("action").asText()));
            admin().delete("/v1/tenants/" + t + "/audit-webhook").then().statusCode(204);
            assertEquals(0L, db.queryOne("SELECT COUNT(*) FROM audit_webhook WHERE tenant_id = ?",
                    rs -> rs.getLong(1), t).orElseThrow());
            admin().delete("/v1/tenants/" + t + "/audit-webhook").then().statusCode(204);
            String unsent = "r-unsent-" + t;
            admin().header("X-Request-Id", unsent).post("/v1/tenants/" + t + ":revoke").then().statusCode(200);
            put(t, second.url());
            String sent = "r-sent-" + t;
            admin().header("X-Request-Id", sent).post("/v1/tenants/" + t + ":revoke").then().statusCode(200);
            second.await(requestId(sent));
            // The webhook is looked up when the event is written, so "unsent" was never queued to anyone.
            for (Receiver r : List.of(first, second)) {
                assertTrue(r.requests.stream().noneMatch(x -> requestId(unsent).test(x.json())));
            }
            assertTrue(first.requests.stream().noneMatch(x -> requestId(sent).test(x.json())));
        }
    }

    @Test
    void badWebhookInputIsRefused() {
        String t = Api.unique("hook-bad");
        Api.tenant(t);
        String path = "/v1/tenants/" + t + "/audit-webhook";
        for (Map<String, Object> body : List.<Map<String, Object>>of(
                Map.of("secret", SECRET),
                Map.of("url", "ftp://example.com/x", "secret", SECRET),
                Map.of("url", "http://user:pw@example.com/x", "secret", SECRET),
                Map.of("url", "/relative", "secret", SECRET),
                Map.of("url", "http://exa mple.com/", "secret", SECRET),
                Map.of("url", "https://example.com/" + "x".repeat(2048), "secret", SECRET),
                Map.of("url", "https://example.com/x"),
                Map.of("url", "https://example.com/x", "secret", "short"),
                Map.of("url", "https://example.com/x", "secret", "s".repeat(1025)),
                Map.of("url", 7, "secret", SECRET))) {
            Api.problem(admin().body(body).put(path).then(), 400, "INVALID_REQUEST");
        }
        Api.problem(admin().put(path).then(), 400, "INVALID_REQUEST");
        String ghost = "/v1/tenants/" + Api.unique("ghost") + "/audit-webhook";
        Api.problem(admin().body(Map.of("url", "https://example.com/x", "secret", SECRET)).put(ghost).then(), 404,
                "TENANT_NOT_FOUND");
        Api.problem(admin().delete(ghost).then(), 404, "TENANT_NOT_FOUND");
        Api.problem(Api.as(Api.appToken(t)).body(Map.of("url", "https://example.com/x", "secret", SECRET)).put(path)
                .then(), 403, "FORBIDDEN");
    }
}
