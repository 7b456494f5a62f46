package io.keyward.seal;

import io.keyward.db.Database;
import io.keyward.provider.KeySpec;
import io.keyward.provider.ProviderSettings;
import io.keyward.tenant.TenantStore;
import io.keyward.testing.Api;
import io.keyward.testing.pkcs11.Pkcs11Fixture;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.keyward.testing.Api.admin;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A seal root-key rotation as an operator runs it, with keyward serving throughout: the new key seals, the old one
 * (under {@code previous-root-keys}) still opens, {@code seal:reseal} moves every stored credential to the new key,
 * and then the old key is no longer needed. The credential here is a PKCS#11 PIN, used for real by every check.
 */
@QuarkusTest
@TestProfile(SealRotationTest.Rotating.class)
class SealRotationTest {
    static final String OLD = key(0x11);
    static final String NEW = key(0x22);

    @Inject
    Database db;

    @Inject
    TenantStore store;

    /** Mid-rotation configuration: NEW seals, OLD still opens. */
    public static class Rotating implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("keyward.seal.root-key", NEW, "keyward.seal.previous-root-keys", OLD);
        }
    }

    private static String key(int fill) {
        byte[] k = new byte[32];
        java.util.Arrays.fill(k, (byte) fill);
        return Base64.getEncoder().encodeToString(k);
    }

    @Test
    void credentialsSealedUnderTheOldRootKeyKeepWorkingAndAreResealedUnderTheNewOne() {
        SecretSealer oldSealer = new SecretSealer(Optional.of(OLD), Path.of("target"));
        SecretSealer newSealer = new SecretSealer(Optional.of(NEW), Path.of("target"));
        try (Pkcs11Fixture hsm = new Pkcs11Fixture(new ProviderSettings(Duration.ofMillis(500), 1, Duration.ofSeconds(2)))) {
            KeySpec key = hsm.newKey();
            String tenant = Api.unique("sealed");
            admin().body(Map.of("id", tenant, "name", tenant)).post("/v1/tenants").then().statusCode(201);
            String keyId = admin().body(Map.of("provider", "pkcs11", "keyUri", key.keyUri(), "options", key.options()))
                    .post("/v1/tenants/" + tenant + "/keys").then().statusCode(201).extract().path("id");
            String bound = tenant + "|" + keyId;

            String stored = sealedValue(tenant);
            assertTrue(stored.startsWith("v2:" + newSealer.currentKeyId() + ":"), "new values use the new key");
            // As if this credential had been stored before the rotation began: sealed under the old key.
            byte[] plain = newSealer.unseal(stored, bound);
            db.update("UPDATE tenant_key SET secrets_sealed = ? WHERE tenant_id = ?", oldSealer.seal(plain, bound),
                    tenant);
            // And the tenant's audit-webhook secret, sealed the same way.
            admin().body(Map.of("url", "http://127.0.0.1:9/never", "secret", "webhook-secret-0123456789"))
                    .put("/v1/tenants/" + tenant + "/audit-webhook").then().statusCode(200);
            String hookBound = "audit-webhook:" + tenant;
            byte[] hookSecret = newSealer.unseal(webhookSecret(tenant), hookBound);
            db.update("UPDATE audit_webhook SET secret_sealed = ? WHERE tenant_id = ?",
                    oldSealer.seal(hookSecret, hookBound), tenant);

            admin().get("/v1/admin/seal").then().statusCode(200)
                    .body("currentKeyId", equalTo(newSealer.currentKeyId()))
                    .body("previousKeyIds", hasItem(oldSealer.currentKeyId()))
                    .body("sealedUnderPrevious", greaterThanOrEqualTo(1));
            assertEquals(key.option("pin"), store.find(tenant).orElseThrow().keys().get(0).secrets().get("pin"),
                    "mid-rotation, the old key still opens the stored PIN");
            String app = Api.appToken(tenant);
            String ct = Api.encrypt(app, tenant, "during".getBytes(StandardCharsets.UTF_8), Map.of()).statusCode(200)
                    .extract().path("ciphertext");

            admin().post("/v1/admin/seal:reseal").then().statusCode(200)
                    .body("resealed", greaterThanOrEqualTo(2)).body("status.sealedUnderPrevious", equalTo(0));
            assertTrue(newSealer.isCurrent(webhookSecret(tenant)), "the webhook secret moved too");
            assertArrayEquals(hookSecret, newSealer.unseal(webhookSecret(tenant), hookBound));
            admin().delete("/v1/tenants/" + tenant + "/audit-webhook").then().statusCode(204);
            assertTrue(newSealer.isCurrent(sealedValue(tenant)), "moved to the new root key");
            assertArrayEquals(plain, newSealer.unseal(sealedValue(tenant), bound), "same credential");
            admin().post("/v1/tenants/" + tenant + "/keys/" + keyId + ":check").then().statusCode(200)
                    .body("status", equalTo("AVAILABLE"));
            Api.decrypt(app, tenant, ct, Map.of()).statusCode(200);
            admin().get("/v1/tenants/" + tenant + "/audit?limit=100").then().statusCode(200);
            List<String> audit = db.query("SELECT action FROM audit_event WHERE action = 'seal.reseal'",
                    rs -> rs.getString(1));
            assertTrue(!audit.isEmpty(), "the re-seal is audited");

            admin().post("/v1/admin/seal:reseal").then().statusCode(200).body("resealed", equalTo(0));
            Api.as(app).get("/v1/admin/seal").then().statusCode(403);
            java.util.Arrays.fill(plain, (byte) 0);
        }
    }

    private String webhookSecret(String tenant) {
        return db.query("SELECT secret_sealed FROM audit_webhook WHERE tenant_id = ?", rs -> rs.getString(1), tenant)
                .get(0);
    }

    private String sealedValue(String tenant) {
        return db.query("SELECT secrets_sealed FROM tenant_key WHERE tenant_id = ?", rs -> rs.getString(1), tenant)
                .get(0);
    }
}
