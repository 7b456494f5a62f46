package io.keyward.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import io.restassured.specification.RequestSpecification;

import java.io.IOException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.emptyOrNullString;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Small REST Assured vocabulary for API tests: an admin or app caller, and the walkthrough's steps. */
public final class Api {
    public static final String ADMIN_TOKEN = "test-admin-token";
    public static final String PROBLEM_JSON = "application/problem+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Api() {
    }

    public static RequestSpecification as(String token) {
        return given().contentType(ContentType.JSON).header("Authorization", "Bearer " + token);
    }

    public static RequestSpecification admin() {
        return as(ADMIN_TOKEN);
    }

    /** A unique id with a readable prefix, so tests never collide within one run. */
    public static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Creates a local KMS key, a tenant and attaches the key; returns the tenant key id. */
    public static String tenantWithLocalKey(String tenant, String localKey) {
        admin().body(Map.of("name", localKey)).post("/v1/local-kms/keys").then().statusCode(201);
        admin().body(Map.of("id", tenant, "name", tenant)).post("/v1/tenants").then().statusCode(201);
        return admin().body(Map.of("provider", "local", "keyUri", "local:" + localKey, "options", Map.of()))
                .post("/v1/tenants/" + tenant + "/keys").then().statusCode(201).extract().path("id");
    }

    public static String appToken(String... tenants) {
        return admin().body(Map.of("name", unique("app"), "roles", java.util.List.of("app"), "tenants",
                java.util.List.of(tenants))).post("/v1/api-keys").then().statusCode(201).extract().path("token");
    }

    public static ValidatableResponse encrypt(String token, String tenant, byte[] plaintext, Map<String, String> ctx) {
        return as(token).body(Map.of("plaintext", b64(plaintext), "context", ctx))
                .post("/v1/tenants/" + tenant + "/encrypt").then();
    }

    public static ValidatableResponse decrypt(String token, String tenant, String ciphertext, Map<String, String> ctx) {
        return as(token).body(Map.of("ciphertext", ciphertext, "context", ctx))
                .post("/v1/tenants/" + tenant + "/decrypt").then();
    }

    /**
     * Decrypts {@code ciphertext} every 100 ms until keyward answers {@code status}, failing the test if it still
     * answers otherwise after {@code within}; returns how long it took.
     */
    public static Duration awaitDecryptStatus(String token, String tenant, String ciphertext, Map<String, String> ctx,
            int status, Duration within) {
        long start = System.nanoTime();
        long giveUp = start + within.toNanos();
        int last = -1;
        while (System.nanoTime() < giveUp) {
            last = decrypt(token, tenant, ciphertext, ctx).extract().statusCode();
            if (last == status) {
                return Duration.ofNanos(System.nanoTime() - start);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
        return fail("decrypt still answers " + last + " after " + within);
    }

    /** Creates a tenant with no key. */
    public static void tenant(String tenant) {
        admin().body(Map.of("id", tenant, "name", tenant)).post("/v1/tenants").then().statusCode(201);
    }

    /** Creates a tenant whose primary key lives in the {@link FaultyKeyProvider}; returns the tenant key id. */
    public static String tenantWithFaultyKey(String tenant, String faultyKey) {
        tenant(tenant);
        return attach(tenant, FaultyKeyProvider.ID, FaultyKeyProvider.SCHEME + faultyKey).statusCode(201)
                .extract().path("id");
    }

    public static ValidatableResponse attach(String tenant, String provider, String keyUri) {
        return admin().body(Map.of("provider", provider, "keyUri", keyUri, "options", Map.of()))
                .post("/v1/tenants/" + tenant + "/keys").then();
    }

    public static void localKey(String name) {
        admin().body(Map.of("name", name)).post("/v1/local-kms/keys").then().statusCode(201);
    }

    public static ValidatableResponse datakey(String token, String tenant, Map<String, String> ctx) {
        return as(token).body(Map.of("context", ctx)).post("/v1/tenants/" + tenant + "/datakey").then();
    }

    public static ValidatableResponse unwrapDatakey(String token, String tenant, String wrapped, Map<String, String> ctx) {
        return as(token).body(Map.of("wrappedKey", wrapped, "context", ctx))
                .post("/v1/tenants/" + tenant + "/datakey:unwrap").then();
    }

    /** An API key's id, from the list (tokens are never listed). */
    public static String apiKeyId(String name) {
        List<Map<String, Object>> items = admin().get("/v1/api-keys").then().statusCode(200).extract().path("items");
        return items.stream().filter(k -> name.equals(k.get("name"))).map(k -> (String) k.get("id")).findFirst()
                .orElseThrow(() -> new AssertionError("no API key named " + name));
    }

    /** The audit actor of the bootstrap admin key that {@link #admin()} uses. */
    public static String adminActor() {
        return "api-key:" + apiKeyId("bootstrap");
    }

    /**
     * Asserts an RFC 7807 answer: the status, {@code application/problem+json}, and a body whose {@code code},
     * {@code status}, {@code type}, {@code title} and {@code requestId} are all there and agree.
     */
    public static ValidatableResponse problem(ValidatableResponse r, int status, String code) {
        return r.statusCode(status)
                .header("Content-Type", startsWith(PROBLEM_JSON))
                .body("code", equalTo(code))
                .body("status", equalTo(status))
                .body("type", startsWith("urn:keyward:problem:"))
                .body("title", not(emptyOrNullString()))
                .body("requestId", not(emptyOrNullString()));
    }

    /** The same check for a response read off a raw socket; returns the parsed body. */
    public static JsonNode problem(RawHttp.Response r, int status, String code) {
        if (r.status() != status) {
            fail("expected " + status + " " + code + " but got " + r);
        }
        String ct = r.header("Content-Type");
        if (ct == null || !ct.startsWith(PROBLEM_JSON)) {
            fail("expected " + PROBLEM_JSON + " but got " + r);
        }
        JsonNode body;
        try {
            body = JSON.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("problem body is not JSON: " + r, e);
        }
        assertNotNull(body, "empty problem body: " + r);
        assertEquals(code, body.path("code").asText(null), () -> "code of " + r);
        assertEquals(status, body.path("status").asInt(), () -> "status field of " + r);
        assertTrue(body.path("type").asText("").startsWith("urn:keyward:problem:"), () -> "type of " + r);
        assertTrue(!body.path("requestId").asText("").isEmpty(), () -> "requestId of " + r);
        return body;
    }

    public static JsonNode json(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new AssertionError("not JSON", e);
        }
    }

    public static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    public static byte[] unb64(String s) {
        return Base64.getDecoder().decode(s);
    }

    static {
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
    }
}
