package io.keyward.api;

import io.keyward.db.Database;
import io.keyward.keys.DekCaches;
import io.keyward.provider.KeySpec;
import io.keyward.provider.ProviderSettings;
import io.keyward.provider.vault.VaultTransitProvider;
import io.keyward.testing.Api;
import io.keyward.testing.FaultyKeyProvider;
import io.keyward.testing.vault.VaultTestServer;
import io.keyward.testing.vault.VaultTransitFixture;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.keyward.testing.Api.admin;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Key rotation end to end: attach a new key (old one DECRYPT_ONLY, still decrypting), move ciphertexts with
 * {@code rewrap} and {@code rewrap:batch} without plaintext leaving keyward, then {@code :retire} the old key
 * (refused while recently used unless forced; KEY_RETIRED afterwards, with no provider call).
 */
@QuarkusTest
class RotationTest {
    private static final Map<String, String> CTX = Map.of("record", "42");

    @Inject
    FaultyKeyProvider faulty;
    @Inject
    DekCaches caches;
    @Inject
    Database db;

    private static String attachLocal(String tenant) {
        String kek = Api.unique("kek");
        Api.localKey(kek);
        return Api.attach(tenant, "local", "local:" + kek).statusCode(201).body("state", equalTo("PRIMARY"))
                .extract().path("id");
    }

    private static String encrypt(String tenant, byte[] plaintext, String expectedKey) {
        return Api.encrypt(Api.ADMIN_TOKEN, tenant, plaintext, CTX).statusCode(200)
                .body("keyId", equalTo(expectedKey)).extract().path("ciphertext");
    }

    private static void decryptsTo(String tenant, String ct, byte[] expected) {
        assertArrayEquals(expected, Api.unb64(Api.decrypt(Api.ADMIN_TOKEN, tenant, ct, CTX).statusCode(200)
                .extract().path("plaintext")));
    }

    private static ValidatableResponse rewrap(String tenant, String ct) {
        return admin().body(Map.of("ciphertext", ct, "context", CTX)).post("/v1/tenants/" + tenant + "/rewrap").then();
    }

    private static ValidatableResponse retire(String tenant, String key, Boolean force) {
        var req = admin();
        if (force != null) {
            req = req.body(Map.of("force", force));
        }
        return req.post("/v1/tenants/" + tenant + "/keys/" + key + ":retire").then();
    }

    private static String state(String tenant, String key) {
        List<Map<String, Object>> keys = admin().get("/v1/tenants/" + tenant + "/keys").then().statusCode(200)
                .extract().path("items");
        return keys.stream().filter(k -> key.equals(k.get("id"))).map(k -> (String) k.get("state")).findFirst()
                .orElseThrow();
    }

    @Test
    void rotatingLocalToLocalKeepsOldCiphertextsAndSealsNewOnesUnderTheNewPrimary() {
        String t = Api.unique("rot");
        Api.tenant(t);
        String oldKey = attachLocal(t);
        byte[] secret = "old secret".getBytes(StandardCharsets.UTF_8);
        String oldCt = encrypt(t, secret, oldKey);

        String newKey = attachLocal(t);
        assertEquals("DECRYPT_ONLY", state(t, oldKey));
        assertEquals("PRIMARY", state(t, newKey));
        decryptsTo(t, oldCt, secret);
        String newCt = encrypt(t, "new".getBytes(StandardCharsets.UTF_8), newKey);
        decryptsTo(t, newCt, "new".getBytes(StandardCharsets.UTF_8));

        String moved = rewrap(t, oldCt).statusCode(200).body("keyId", equalTo(newKey))
                .body("$", not(hasKey("plaintext"))).extract().path("ciphertext");
        assertNotEquals(oldCt, moved);
        decryptsTo(t, moved, secret);
    }

    @Test
    void rotatingLocalToVaultTransitKeepsOldCiphertextsAndSealsNewOnesUnderVault() {
        ProviderSettings settings = new ProviderSettings(Duration.ofMillis(500), 1, Duration.ofMillis(2000));
        try (VaultTransitFixture vault = new VaultTransitFixture(VaultTestServer.inMemory(),
                new VaultTransitProvider(settings), VaultTransitFixture.Login.TOKEN, settings.deadline(), true)) {
            String t = Api.unique("rotv");
            Api.tenant(t);
            String localKey = attachLocal(t);
            byte[] secret = "moves to vault".getBytes(StandardCharsets.UTF_8);
            String oldCt = encrypt(t, secret, localKey);

            KeySpec spec = vault.newKey();
            String vaultKey = admin().body(Map.of("provider", "vault-transit", "keyUri", spec.keyUri(), "options",
                    vault.apiOptions(spec))).post("/v1/tenants/" + t + "/keys").then().statusCode(201)
                    .body("state", equalTo("PRIMARY")).extract().path("id");
            assertEquals("DECRYPT_ONLY", state(t, localKey));
            decryptsTo(t, oldCt, secret);
            String vaultCt = encrypt(t, secret, vaultKey);
            decryptsTo(t, vaultCt, secret);
            String moved = rewrap(t, oldCt).statusCode(200).body("keyId", equalTo(vaultKey)).extract()
                    .path("ciphertext");
            decryptsTo(t, moved, secret);
            // The prober must not keep calling a Vault this test is about to stop.
            admin().post("/v1/tenants/" + t + ":revoke").then().statusCode(200);
        }
    }

    @Test
    void rewrapBatchMovesEachItemToThePrimaryWithPerItemErrorsAndNoPlaintext() {
        String t = Api.unique("rwb");
        Api.tenant(t);
        String oldKey = attachLocal(t);
        byte[] a = "a".getBytes(StandardCharsets.UTF_8);
        byte[] b = "b".getBytes(StandardCharsets.UTF_8);
        String ctA = encrypt(t, a, oldKey);
        String ctB = encrypt(t, b, oldKey);
        String newKey = attachLocal(t);

        List<Map<String, Object>> items = new ArrayList<>();
        items.add(Map.of("id", "a", "ciphertext", ctA, "context", CTX));
        items.add(Map.of("id", "wrong-context", "ciphertext", ctB, "context", Map.of("record", "43")));
        items.add(Map.of("id", "garbage", "ciphertext", "S1cBAQ==", "context", CTX));
        items.add(Map.of("id", "not-base64", "ciphertext", "***", "context", CTX));
        items.add(Map.of("id", "b", "ciphertext", ctB, "context", CTX));
        String body = admin().body(Map.of("items", items)).post("/v1/tenants/" + t + "/rewrap:batch").then()
                .statusCode(200)
                .body("items.size()", equalTo(5))
                .body("items[0].id", equalTo("a")).body("items[0].keyId", equalTo(newKey))
                .body("items[1].error.code", equalTo("INVALID_CIPHERTEXT"))
                .body("items[2].error.code", equalTo("INVALID_CIPHERTEXT"))
                .body("items[3].error.code", equalTo("INVALID_REQUEST"))
                .body("items[4].id", equalTo("b")).body("items[4].keyId", equalTo(newKey))
                .extract().asString();
        assertFalse(body.contains("plaintext"), "rewrap:batch never returns plaintext: " + body);
        List<String> moved = Api.json(body.getBytes(StandardCharsets.UTF_8)).path("items").findValuesAsText("ciphertext");
        assertEquals(2, moved.size());
        decryptsTo(t, moved.get(0), a);
        decryptsTo(t, moved.get(1), b);
    }

    @Test
    void rewrapBatchHasTheLimitsOfDecryptBatch() {
        String t = Api.unique("rwl");
        Api.tenant(t);
        attachLocal(t);
        Api.problem(admin().body(Map.of("items", List.of())).post("/v1/tenants/" + t + "/rewrap:batch").then(),
                400, "INVALID_REQUEST");
        List<Map<String, Object>> many = new ArrayList<>();
        for (int i = 0; i < 1001; i++) {
            many.add(Map.of("id", "i" + i, "ciphertext", "S1cBAQ=="));
        }
        Api.problem(admin().body(Map.of("items", many)).post("/v1/tenants/" + t + "/rewrap:batch").then(),
                413, "PAYLOAD_TOO_LARGE");
        String other = Api.appToken(Api.unique("other"));
        Api.problem(Api.as(other).body(Map.of("items", List.of(Map.of("ciphertext", "S1cBAQ=="))))
                .post("/v1/tenants/" + t + "/rewrap:batch").then(), 403, "FORBIDDEN");
    }

    @Test
    void retireRefusesThePrimaryKey() {
        String t = Api.unique("rtp");
        Api.tenant(t);
        String key = attachLocal(t);
        Api.problem(retire(t, key, true), 409, "INVALID_KEY_STATE");
        assertEquals("PRIMARY", state(t, key));
    }

    @Test
    void retireRefusesAKeyUsedWithinTheWindowUnlessForcedThenItsCiphertextsFailWithKeyRetired() {
        String t = Api.unique("rtu");
        Api.tenant(t);
        String oldKey = attachLocal(t);
        byte[] secret = "s".getBytes(StandardCharsets.UTF_8);
        String oldCt = encrypt(t, secret, oldKey);
        attachLocal(t);
        decryptsTo(t, oldCt, secret); // a use (from the cache)

        Api.problem(retire(t, oldKey, null), 409, "KEY_IN_USE").body("detail", containsString("last used at"));
        Api.problem(retire(t, oldKey, false), 409, "KEY_IN_USE");
        decryptsTo(t, oldCt, secret);
        assertNotNull(db.queryOne("SELECT last_used_at FROM tenant_key WHERE id = ?",
                rs -> Database.instant(rs, "last_used_at"), oldKey).orElse(null), "use written for other replicas");

        retire(t, oldKey, true).statusCode(200).body("id", equalTo(oldKey)).body("state", equalTo("RETIRED"));
        assertEquals("RETIRED", state(t, oldKey));
        Api.problem(Api.decrypt(Api.ADMIN_TOKEN, t, oldCt, CTX), 409, "KEY_RETIRED");
        Api.problem(rewrap(t, oldCt), 409, "KEY_RETIRED");
        admin().body(Map.of("items", List.of(Map.of("id", "x", "ciphertext", oldCt, "context", CTX))))
                .post("/v1/tenants/" + t + "/rewrap:batch").then().statusCode(200)
                .body("items[0].error.code", equalTo("KEY_RETIRED"));
        Api.problem(retire(t, oldKey, true), 409, "INVALID_KEY_STATE"); // final: once only, no way back

        List<Map<String, Object>> audit = admin().get("/v1/tenants/" + t + "/audit").then().statusCode(200)
                .extract().path("items");
        assertTrue(audit.stream().anyMatch(e -> "key.retire".equals(e.get("action")) && "OK".equals(e.get("outcome"))
                && oldKey.equals(e.get("keyId")) && String.valueOf(e.get("detail")).contains("force=true")),
                () -> "audit has key.retire with force: " + audit);
        assertTrue(audit.stream().anyMatch(e -> "key.retire".equals(e.get("action"))
                && "KEY_IN_USE".equals(e.get("outcome"))), () -> "refusals are audited: " + audit);
    }

    @Test
    void anUnusedDecryptOnlyKeyRetiresWithoutForce() {
        String t = Api.unique("rtn");
        Api.tenant(t);
        String oldKey = attachLocal(t);
        String oldCt = encrypt(t, new byte[] {7}, oldKey); // sealing is not an unwrap: not a use
        attachLocal(t);
        retire(t, oldKey, null).statusCode(200).body("state", equalTo("RETIRED"));
        Api.problem(Api.decrypt(Api.ADMIN_TOKEN, t, oldCt, CTX), 409, "KEY_RETIRED");
    }

    @Test
    void aUseRecordedByAnotherReplicaWithinTheWindowRefusesRetire() {
        String t = Api.unique("rtr");
        Api.tenant(t);
        String oldKey = attachLocal(t);
        attachLocal(t);
        // Another replica wrote a use an hour ago: inside the 24h default window.
        db.update("UPDATE tenant_key SET last_used_at = ? WHERE id = ?", Instant.now().minus(1, ChronoUnit.HOURS),
                oldKey);
        Api.problem(retire(t, oldKey, null), 409, "KEY_IN_USE");
        // ...and 25 hours ago: outside it.
        db.update("UPDATE tenant_key SET last_used_at = ? WHERE id = ?", Instant.now().minus(25, ChronoUnit.HOURS),
                oldKey);
        retire(t, oldKey, null).statusCode(200).body("state", equalTo("RETIRED"));
    }

    @Test
    void aRetiredKeyIsPurgedAndItsProviderNeverCalledAgain() {
        String t = Api.unique("rtf");
        String f = Api.unique("fk");
        String oldKey = Api.tenantWithFaultyKey(t, f);
        byte[] secret = "s".getBytes(StandardCharsets.UTF_8);
        String ct = encrypt(t, secret, oldKey);
        String wrapped = Api.datakey(Api.ADMIN_TOKEN, t, CTX).statusCode(200).extract().path("wrappedKey");
        attachLocal(t);
        decryptsTo(t, ct, secret);
        assertTrue(caches.holds(oldKey), "the old key's DEK is cached before retire");

        retire(t, oldKey, true).statusCode(200);
        assertFalse(caches.holds(oldKey), "retire purges the key's cached DEKs");
        int calls = faulty.dataKeyCalls(f);
        // Were the provider asked, this key would answer "revoked" and the outcome would be KEY_REVOKED.
        faulty.set(f, FaultyKeyProvider.Mode.REVOKED);
        Api.problem(Api.decrypt(Api.ADMIN_TOKEN, t, ct, CTX), 409, "KEY_RETIRED");
        Api.problem(Api.unwrapDatakey(Api.ADMIN_TOKEN, t, wrapped, CTX), 409, "KEY_RETIRED");
        Api.problem(admin().post("/v1/tenants/" + t + "/keys/" + oldKey + ":check").then(), 409, "KEY_RETIRED");
        assertEquals(calls, faulty.dataKeyCalls(f), "no wrap or unwrap reached the retired key's provider");
        Map<String, Object> view = new HashMap<>(admin().get("/v1/tenants/" + t + "/keys").then().statusCode(200)
                .extract().path("items.find { it.id == '" + oldKey + "' }"));
        assertEquals("AVAILABLE", view.get("health"), "no check or probe reached the provider: " + view);
    }

    @Test
    void retireNeedsTheAdminRoleAndAnExistingKey() {
        String t = Api.unique("rta");
        Api.tenant(t);
        String key = attachLocal(t);
        Api.problem(Api.as(Api.appToken(t)).post("/v1/tenants/" + t + "/keys/" + key + ":retire").then(), 403,
                "FORBIDDEN");
        Api.problem(retire(t, "tk_nosuchkey", true), 404, "KEY_NOT_FOUND");
        Api.problem(admin().body("{\"force\":\"yes\"}").post("/v1/tenants/" + t + "/keys/" + key + ":retire").then(),
                400, "INVALID_REQUEST");
    }
}
