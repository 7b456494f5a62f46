package io.keyward.testing;

import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import io.restassured.specification.RequestSpecification;

import java.util.Base64;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;

/** Small REST Assured vocabulary for API tests: an admin or app caller, and the walkthrough's steps. */
public final class Api {
    public static final String ADMIN_TOKEN = "test-admin-token";

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
