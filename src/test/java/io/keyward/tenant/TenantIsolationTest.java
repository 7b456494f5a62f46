package io.keyward.tenant;

import io.keyward.testing.Api;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.keyward.testing.Api.admin;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A wrapped DEK produced under one tenant's key is never sent to another tenant's key. */
@QuarkusTest
class TenantIsolationTest {

    private static List<Map<String, Object>> kmsCalls(String tenant) {
        return admin().get("/v1/tenants/" + tenant + "/audit?limit=500").then().statusCode(200)
                .extract().jsonPath().<Map<String, Object>>getList("items").stream()
                .filter(e -> String.valueOf(e.get("action")).startsWith("kms.")).toList();
    }

    @Test
    void ciphertextOfTenantAIsRefusedByTenantBWithoutAnyProviderCall() {
        String a = Api.unique("iso-a");
        String b = Api.unique("iso-b");
        // Both tenants use the SAME customer key: only keyward's routing and AAD keep them apart.
        String kek = Api.unique("shared");
        Api.tenantWithLocalKey(a, kek);
        admin().body(Map.of("id", b, "name", b)).post("/v1/tenants").then().statusCode(201);
        admin().body(Map.of("provider", "local", "keyUri", "local:" + kek)).post("/v1/tenants/" + b + "/keys")
                .then().statusCode(201);
        String app = Api.appToken(a, b);

        String ct = Api.encrypt(app, a, "only for a".getBytes(), Map.of()).statusCode(200).extract().path("ciphertext");
        int before = kmsCalls(b).size();
        Api.decrypt(app, b, ct, Map.of()).statusCode(400).body("code", equalTo("INVALID_CIPHERTEXT"));
        Api.as(app).body(Map.of("ciphertext", ct)).post("/v1/tenants/" + b + "/rewrap").then().statusCode(400)
                .body("code", equalTo("INVALID_CIPHERTEXT"));
        assertEquals(before, kmsCalls(b).size(), "tenant B's key must not be asked to unwrap tenant A's DEK");

        String wrappedKey = Api.as(app).body(Map.of()).post("/v1/tenants/" + a + "/datakey").then().statusCode(200)
                .extract().path("wrappedKey");
        Api.as(app).body(Map.of("wrappedKey", wrappedKey)).post("/v1/tenants/" + b + "/datakey:unwrap").then()
                .statusCode(400).body("code", equalTo("INVALID_CIPHERTEXT"));
        assertEquals(before, kmsCalls(b).size());
        assertTrue(kmsCalls(a).stream().anyMatch(e -> "kms.wrap".equals(e.get("action"))));
    }
}
