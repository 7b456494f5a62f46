package io.keyward.seal;

import io.keyward.db.Database;
import io.keyward.provider.KeySpec;
import io.keyward.provider.ProviderSettings;
import io.keyward.provider.local.LocalKeyProvider;
import io.keyward.provider.local.LocalKms;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.keyward.testing.Api.admin;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * keyward started with its seal root key held by a KMS ({@code keyward.seal.kms.*}, here the built-in local KMS):
 * the key is unwrapped at start-up and seals and opens tenant-key credentials for real; the wrap endpoint hands out
 * a blob that unwraps to the same root key.
 */
@QuarkusTest
@TestProfile(SealKmsTest.RootFromKms.class)
class SealKmsTest {
    static final Path DATA = Path.of("target/test-data-sealkms");
    static final String ROOT = Base64.getEncoder().encodeToString(filled(0x44));
    static final String KMS_KEY = "seal-root";

    @Inject
    SecretSealer sealer;

    @Inject
    Database db;

    @Inject
    TenantStore store;

    /** The operator's set-up, done before keyward starts: a KMS key, and the root key wrapped under it. */
    public static class RootFromKms implements QuarkusTestProfile {
        private static Map<String, String> overrides;

        @Override
        public synchronized Map<String, String> getConfigOverrides() {
            if (overrides == null) {
                LocalKms kms = new LocalKms(DATA.resolve("local-kms"));
                if (kms.find(KMS_KEY).isEmpty()) {
                    kms.create(KMS_KEY);
                }
                if (!kms.find(KMS_KEY).orElseThrow().state().name().equals("ENABLED")) {
                    kms.enable(KMS_KEY);
                }
                LocalKeyProvider provider = new LocalKeyProvider(kms);
                byte[] wrapped = new SecretSealer(Optional.of(ROOT), DATA)
                        .wrapRootKey(provider, provider.validate("local:" + KMS_KEY, Map.of()));
                Map<String, String> m = new HashMap<>();
                m.put("keyward.data-dir", DATA.toString());
                m.put("keyward.seal.kms.provider", "local");
                m.put("keyward.seal.kms.key-uri", "local:" + KMS_KEY);
                m.put("keyward.seal.kms.wrapped-root-key", Base64.getEncoder().encodeToString(wrapped));
                overrides = Map.copyOf(m);
            }
            return overrides;
        }
    }

    private static byte[] filled(int b) {
        byte[] k = new byte[32];
        java.util.Arrays.fill(k, (byte) b);
        return k;
    }

    @Test
    void theRootKeyUnwrappedByTheKmsSealsAndOpensAPkcs11Pin() {
        SecretSealer plain = new SecretSealer(Optional.of(ROOT), DATA);
        assertEquals(plain.currentKeyId(), sealer.currentKeyId(), "the root key is the one the KMS unwrapped");
        admin().get("/v1/admin/seal").then().statusCode(200).body("currentKeyId", equalTo(plain.currentKeyId()));
        try (Pkcs11Fixture hsm = new Pkcs11Fixture(new ProviderSettings(Duration.ofMillis(500), 1,
                Duration.ofSeconds(2)))) {
            KeySpec key = hsm.newKey();
            String tenant = Api.unique("kmsroot");
            admin().body(Map.of("id", tenant, "name", tenant)).post("/v1/tenants").then().statusCode(201);
            String keyId = admin().body(Map.of("provider", "pkcs11", "keyUri", key.keyUri(), "options", key.options()))
                    .post("/v1/tenants/" + tenant + "/keys").then().statusCode(201).extract().path("id");
            String stored = db.query("SELECT secrets_sealed FROM tenant_key WHERE tenant_id = ?",
                    rs -> rs.getString(1), tenant).get(0);
            assertTrue(stored.startsWith("v2:" + plain.currentKeyId() + ":"), "sealed under the KMS-held root key");
            assertFalse(stored.contains(key.option("pin")), "the PIN is not stored in plain");
            String pin = new String(plain.unseal(stored, tenant + "|" + keyId), StandardCharsets.UTF_8);
            assertTrue(pin.contains(key.option("pin")), "the same root key opens it outside keyward");
            assertEquals(key.option("pin"), store.find(tenant).orElseThrow().keys().get(0).secrets().get("pin"));

            admin().post("/v1/tenants/" + tenant + "/keys/" + keyId + ":check").then().statusCode(200)
                    .body("status", equalTo("AVAILABLE"));
            String app = Api.appToken(tenant);
            String ct = Api.encrypt(app, tenant, "via the hsm".getBytes(StandardCharsets.UTF_8), Map.of())
                    .statusCode(200).extract().path("ciphertext");
            Api.decrypt(app, tenant, ct, Map.of()).statusCode(200);
        }
    }

    @Test
    void theWrapEndpointsBlobUnwrapsToASealerThatOpensValuesSealedBefore() {
        String before = sealer.seal("credential".getBytes(StandardCharsets.UTF_8), "t|tk_before");
        String kmsKey = Api.unique("seal-next").toLowerCase();
        Api.localKey(kmsKey);
        var answer = admin().body(Map.of("provider", "local", "keyUri", "local:" + kmsKey, "options", Map.of()))
                .post("/v1/admin/seal:wrap-root-key").then().statusCode(200)
                .body("provider", equalTo("local")).body("keyUri", equalTo("local:" + kmsKey))
                .body("rootKeyId", equalTo(sealer.currentKeyId())).extract();
        String wrapped = answer.path("wrappedRootKey");
        assertFalse(wrapped.contains(ROOT), "the root key is not in the answer");

        // What the operator does next: configure these and restart. Here: a sealer built the way start-up builds it.
        KmsRoot.Source source = KmsRoot.source(Optional.of("local"), Optional.of("local:" + kmsKey), Map.of(),
                Optional.of(wrapped), Duration.ofSeconds(5)).orElseThrow();
        SecretSealer restarted = new SecretSealer(new LocalKeyProvider(new LocalKms(DATA.resolve("local-kms"))),
                source, List.of(), d -> { });
        assertEquals(sealer.currentKeyId(), restarted.currentKeyId());
        assertArrayEquals("credential".getBytes(StandardCharsets.UTF_8), restarted.unseal(before, "t|tk_before"));

        List<String> audit = db.query("SELECT outcome FROM audit_event WHERE action = 'seal.wrap-root-key'",
                rs -> rs.getString(1));
        assertTrue(audit.contains("OK"), "the wrap is audited: " + audit);
    }

    @Test
    void theWrapEndpointRefusesBadInputOthersAndARevokedKey() {
        String kmsKey = Api.unique("seal-off").toLowerCase();
        Api.localKey(kmsKey);
        Api.problem(admin().body(Map.of("provider", "local")).post("/v1/admin/seal:wrap-root-key").then(), 400,
                "INVALID_REQUEST");
        Api.problem(admin().body(Map.of("provider", "nope", "keyUri", "x")).post("/v1/admin/seal:wrap-root-key")
                .then(), 400, "INVALID_REQUEST");
        Api.problem(admin().body(Map.of("provider", "local", "keyUri", "arn:aws:kms:x"))
                .post("/v1/admin/seal:wrap-root-key").then(), 400, "INVALID_REQUEST");
        String tenant = Api.unique("t");
        Api.tenant(tenant);
        Api.problem(Api.as(Api.appToken(tenant)).body(Map.of("provider", "local", "keyUri", "local:" + kmsKey))
                .post("/v1/admin/seal:wrap-root-key").then(), 403, "FORBIDDEN");
        admin().post("/v1/local-kms/keys/" + kmsKey + ":disable").then().statusCode(200);
        Api.problem(admin().body(Map.of("provider", "local", "keyUri", "local:" + kmsKey))
                .post("/v1/admin/seal:wrap-root-key").then(), 422, "KEY_CHECK_FAILED")
                .body("detail", org.hamcrest.Matchers.containsString("revoked"));
    }
}
