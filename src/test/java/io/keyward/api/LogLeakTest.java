package io.keyward.api;

import io.keyward.testing.Api;
import io.keyward.testing.FaultyKeyProvider;
import io.keyward.testing.LogCapture;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.LogManager;
import java.util.logging.Logger;

import static io.keyward.testing.Api.admin;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Acceptance 7 (STYLE.md §9): a full walkthrough, errors included, writes no token, plaintext, ciphertext or data
 * key to any log record, in any encoding we hand out (base64, base64url, hex). The capture proves it works by
 * seeing the access-log line of every request.
 */
@QuarkusTest
class LogLeakTest {

    @Inject
    FaultyKeyProvider faulty;

    /** Everything that must never be logged, with a name for the failure message. */
    private final Map<String, String> secrets = new LinkedHashMap<>();

    private void secret(String name, String value) {
        secrets.put(name, value);
    }

    /** A byte secret in every text form the API or a careless log line could give it. */
    private void secretBytes(String name, byte[] value) {
        secrets.put(name + " (base64)", Base64.getEncoder().encodeToString(value));
        secrets.put(name + " (base64url)", Base64.getUrlEncoder().withoutPadding().encodeToString(value));
        secrets.put(name + " (hex)", HexFormat.of().formatHex(value));
        secrets.put(name + " (HEX)", HexFormat.of().withUpperCase().formatHex(value));
    }

    private static String rid(String step) {
        return "leak-" + step;
    }

    @Test
    void aFullWalkthroughLogsNoTokenPlaintextCiphertextOrKey() {
        assertInstanceOf(org.jboss.logmanager.LogManager.class, LogManager.getLogManager(),
                "the JBoss LogManager must be the JUL manager, or this capture sees nothing");
        Logger keyward = Logger.getLogger("io.keyward");
        java.util.logging.Level before = keyward.getLevel();
        // keyward's own DEBUG lines too: a leak there is one config change away from production.
        keyward.setLevel(org.jboss.logmanager.Level.DEBUG);
        List<String> requestIds = new ArrayList<>();
        try (LogCapture capture = LogCapture.install()) {
            walkthrough(requestIds);
            List<LogCapture.Captured> records = capture.records();

            List<String> access = records.stream().filter(r -> "io.keyward.access".equals(r.logger()))
                    .map(LogCapture.Captured::text).toList();
            for (String id : requestIds) {
                assertTrue(access.stream().anyMatch(t -> t.contains("mdc requestId=" + id + "\n")),
                        "the capture must see the access-log line of request " + id + "; saw " + access.size());
            }
            assertTrue(records.stream().anyMatch(r -> r.logger().equals("io.keyward.keys.Revocations")),
                    "the capture must see keyward's other loggers too (kill switch warning)");

            List<String> leaks = new ArrayList<>();
            for (LogCapture.Captured r : records) {
                for (Map.Entry<String, String> s : secrets.entrySet()) {
                    if (needles(s.getValue()).stream().anyMatch(r.text()::contains)) {
                        leaks.add(s.getKey() + " in " + r.level() + " " + r.logger() + ": " + clip(r.text()));
                    }
                }
            }
            if (!leaks.isEmpty()) {
                fail(leaks.size() + " leak(s):\n" + String.join("\n", leaks));
            }
        } finally {
            keyward.setLevel(before);
        }
    }

    /** The whole value, and a window from its middle so a partial or re-wrapped leak is caught as well. */
    private static List<String> needles(String value) {
        if (value.length() < 40) {
            return List.of(value);
        }
        int mid = value.length() / 2;
        return List.of(value, value.substring(mid - 12, mid + 12));
    }

    private static String clip(String s) {
        return s.length() > 400 ? s.substring(0, 400) + "..." : s;
    }

    private void walkthrough(List<String> ids) {
        String u = UUID.randomUUID().toString().substring(0, 8);
        String tenant = "leak-" + u;
        String other = "leak-other-" + u;
        String kek = "leak-kek-" + u;
        secret("admin token", Api.ADMIN_TOKEN);

        step(ids, "create-key").body(Map.of("name", kek)).post("/v1/local-kms/keys").then().statusCode(201);
        step(ids, "create-tenant").body(Map.of("id", tenant, "name", "Leak Corp")).post("/v1/tenants").then()
                .statusCode(201);
        String keyId = step(ids, "attach").body(Map.of("provider", "local", "keyUri", "local:" + kek))
                .post("/v1/tenants/" + tenant + "/keys").then().statusCode(201).extract().path("id");
        Api.tenant(other);

        String app = step(ids, "app-key").body(Map.of("name", "leak-app", "roles", List.of("app"), "tenants",
                List.of(tenant))).post("/v1/api-keys").then().statusCode(201).extract().path("token");
        secret("app token", app);
        secret("app token without prefix", app.substring(3));

        String marker = "LEAK-MARKER-PLAINTEXT-" + u + "-card-4111111111111111";
        byte[] plaintext = marker.getBytes(StandardCharsets.UTF_8);
        secret("plaintext", marker);
        secretBytes("plaintext", plaintext);
        Map<String, String> ctx = Map.of("record", "leak-" + u);

        String ct = appStep(ids, app, "encrypt").body(Map.of("plaintext", Api.b64(plaintext), "context", ctx))
                .post("/v1/tenants/" + tenant + "/encrypt").then().statusCode(200).extract().path("ciphertext");
        secretBytes("ciphertext", Api.unb64(ct));
        appStep(ids, app, "decrypt").body(Map.of("ciphertext", ct, "context", ctx))
                .post("/v1/tenants/" + tenant + "/decrypt").then().statusCode(200)
                .body("plaintext", equalTo(Api.b64(plaintext)));

        JsonPath dk = appStep(ids, app, "datakey").body(Map.of("context", ctx)).post("/v1/tenants/" + tenant
                + "/datakey").then().statusCode(200).extract().jsonPath();
        secretBytes("datakey plaintext", Api.unb64(dk.getString("plaintextKey")));
        secretBytes("datakey wrapped", Api.unb64(dk.getString("wrappedKey")));
        appStep(ids, app, "unwrap").body(Map.of("wrappedKey", dk.getString("wrappedKey"), "context", ctx))
                .post("/v1/tenants/" + tenant + "/datakey:unwrap").then().statusCode(200);

        byte[] second = ("SECOND-" + marker).getBytes(StandardCharsets.UTF_8);
        secretBytes("batch plaintext", second);
        JsonPath batch = appStep(ids, app, "encrypt-batch").body(Map.of("items", List.of(
                Map.of("id", "a", "plaintext", Api.b64(plaintext), "context", ctx),
                Map.of("id", "b", "plaintext", Api.b64(second)),
                Map.of("id", "c", "plaintext", "!!" + marker)))).post("/v1/tenants/" + tenant + "/encrypt:batch")
                .then().statusCode(200).extract().jsonPath();
        secretBytes("batch ciphertext a", Api.unb64(batch.getString("items[0].ciphertext")));
        secretBytes("batch ciphertext b", Api.unb64(batch.getString("items[1].ciphertext")));
        appStep(ids, app, "decrypt-batch").body(Map.of("items", List.of(
                Map.of("id", "a", "ciphertext", batch.getString("items[0].ciphertext"), "context", ctx),
                Map.of("id", "b", "ciphertext", batch.getString("items[1].ciphertext"), "context", Map.of("x", "y")))))
                .post("/v1/tenants/" + tenant + "/decrypt:batch").then().statusCode(200);

        String rewrapped = appStep(ids, app, "rewrap").body(Map.of("ciphertext", ct, "context", ctx))
                .post("/v1/tenants/" + tenant + "/rewrap").then().statusCode(200).extract().path("ciphertext");
        secretBytes("rewrapped ciphertext", Api.unb64(rewrapped));

        // Errors, each carrying secrets in its request.
        step(ids, "revoke").body(Map.of("reason", "leak test")).post("/v1/tenants/" + tenant + ":revoke").then()
                .statusCode(200);
        appStep(ids, app, "decrypt-revoked").body(Map.of("ciphertext", ct, "context", ctx))
                .post("/v1/tenants/" + tenant + "/decrypt").then().statusCode(403);
        step(ids, "restore").post("/v1/tenants/" + tenant + ":restore").then().statusCode(200);

        String bogus = "kw_BOGUS-" + marker;
        secret("rejected token", bogus);
        Api.as(bogus).header("X-Request-Id", rid("bad-token")).get("/v1/tenants").then().statusCode(401);
        ids.add(rid("bad-token"));
        appStep(ids, app, "wrong-tenant").body(Map.of("plaintext", Api.b64(plaintext)))
                .post("/v1/tenants/" + other + "/encrypt").then().statusCode(403);
        appStep(ids, app, "admin-only").get("/v1/tenants").then().statusCode(403);
        appStep(ids, app, "bad-base64").body(Map.of("plaintext", "**" + marker + "**"))
                .post("/v1/tenants/" + tenant + "/encrypt").then().statusCode(400);
        appStep(ids, app, "bad-json").body("{\"plaintext\": " + marker + "}")
                .post("/v1/tenants/" + tenant + "/encrypt").then().statusCode(400);
        appStep(ids, app, "wrong-type").body("{\"plaintext\": [\"" + marker + "\"]}")
                .post("/v1/tenants/" + tenant + "/encrypt").then().statusCode(400);
        appStep(ids, app, "wrong-context").body(Map.of("ciphertext", ct, "context", Map.of("record", "other")))
                .post("/v1/tenants/" + tenant + "/decrypt").then().statusCode(400);
        byte[] tampered = Api.unb64(ct);
        tampered[tampered.length - 3] ^= 0x40;
        secretBytes("tampered ciphertext", tampered);
        appStep(ids, app, "tampered").body(Map.of("ciphertext", Api.b64(tampered), "context", ctx))
                .post("/v1/tenants/" + tenant + "/decrypt").then().statusCode(400);
        appStep(ids, app, "too-large").body(Map.of("plaintext", Api.b64(new byte[1024 * 1024 + 1])))
                .post("/v1/tenants/" + tenant + "/encrypt").then().statusCode(413);
        appStep(ids, app, "unwrap-wrong-context").body(Map.of("wrappedKey", dk.getString("wrappedKey")))
                .post("/v1/tenants/" + tenant + "/datakey:unwrap").then().statusCode(400);

        // The customer's KMS revokes, then a provider has a bug.
        step(ids, "disable-key").post("/v1/local-kms/keys/" + kek + ":disable").then().statusCode(200);
        step(ids, "check-revoked").post("/v1/tenants/" + tenant + "/keys/" + keyId + ":check").then().statusCode(200)
                .body("status", equalTo("REVOKED"));
        step(ids, "restore-fails").post("/v1/tenants/" + tenant + ":restore").then().statusCode(409);
        String buggy = "leak-bug-" + u;
        String faultyTenant = "leak-faulty-" + u;
        Api.tenantWithFaultyKey(faultyTenant, buggy);
        faulty.set(buggy, FaultyKeyProvider.Mode.BUG);
        step(ids, "provider-bug").body(Map.of("plaintext", Api.b64(plaintext), "context", ctx))
                .post("/v1/tenants/" + faultyTenant + "/encrypt").then().statusCode(503);
        faulty.set(buggy, FaultyKeyProvider.Mode.UNAVAILABLE);
        step(ids, "provider-down").body(Map.of("context", ctx)).post("/v1/tenants/" + faultyTenant + "/datakey").then()
                .statusCode(503);
        assertEquals(ids.size(), ids.stream().distinct().count());
    }

    private static io.restassured.specification.RequestSpecification step(List<String> ids, String step) {
        ids.add(rid(step));
        return admin().header("X-Request-Id", rid(step));
    }

    private static io.restassured.specification.RequestSpecification appStep(List<String> ids, String app, String step) {
        ids.add(rid(step));
        return Api.as(app).header("X-Request-Id", rid(step));
    }
}
