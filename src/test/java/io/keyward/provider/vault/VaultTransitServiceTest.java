package io.keyward.provider.vault;

import io.keyward.db.Database;
import io.keyward.testing.Api;
import io.keyward.testing.ShortBoundsProfile;
import io.keyward.testing.vault.VaultTestServer;
import io.keyward.testing.vault.VaultTransitFixture;
import io.keyward.provider.KeySpec;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.keyward.testing.Api.admin;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The customer's story through keyward's HTTP API with a Vault Transit key: attach (real check), encrypt and decrypt,
 * disable the key at Vault, see KEY_REVOKED within a few probe intervals, enable it and restore, and a Vault that is
 * down with nothing cached (KEY_UNAVAILABLE with Retry-After). keyward logs in with AppRole, so the secret ID must
 * never come back from the API nor sit in the database in plaintext.
 */
@QuarkusTest
@TestProfile(VaultTransitServiceTest.ShortBounds.class)
class VaultTransitServiceTest {
    private static VaultTestServer vault;
    private static VaultTransitFixture fixture;
    private static final List<String> TENANTS = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Inject
    Database db;

    /** Fast probing and short provider bounds, so revocation and outages show within seconds. */
    public static class ShortBounds extends ShortBoundsProfile {
        public ShortBounds() {
            super("vault", "300ms", "1500ms");
        }
    }

    @BeforeAll
    static void startVault() {
        vault = VaultTestServer.inMemory();
        // The fixture's provider only validates references; the application under test uses its own instance.
        fixture = new VaultTransitFixture(vault, new VaultTransitProvider(VaultTransitContractTest.SETTINGS),
                VaultTransitFixture.Login.APPROLE, Duration.ofMillis(1500), true);
    }

    /** Kill-switches the test's tenants: their cached keys are dropped, and the prober stops calling this Vault. */
    @AfterEach
    void revokeTenants() {
        TENANTS.forEach(t -> admin().post("/v1/tenants/" + t + ":revoke").then().statusCode(200));
        TENANTS.clear();
    }

    @AfterAll
    static void stopVault() {
        fixture.close();
    }

    private static String attach(String tenant, KeySpec key) {
        admin().body(Map.of("id", tenant, "name", tenant)).post("/v1/tenants").then().statusCode(201);
        TENANTS.add(tenant);
        return admin().body(Map.of("provider", "vault-transit", "keyUri", key.keyUri(), "options",
                fixture.apiOptions(key))).post("/v1/tenants/" + tenant + "/keys").then().statusCode(201)
                .body("provider", equalTo("vault-transit")).extract().path("id");
    }

    @Test
    void decryptIsKeyRevokedSoonAfterTheKeyIsDisabledAtVaultAndRestoreBringsItBack() {
        try (io.keyward.testing.LogCapture logs = io.keyward.testing.LogCapture.install()) {
            revocationStory(logs);
        }
    }

    private void revocationStory(io.keyward.testing.LogCapture logs) {
        String tenant = Api.unique("acme");
        KeySpec key = fixture.newKey();
        String keyId = attach(tenant, key);
        String secretId = key.option("secretId");

        String listed = admin().get("/v1/tenants/" + tenant + "/keys").then().statusCode(200)
                .body("items[0].secretOptions", hasItem("secretId")).extract().asString();
        assertFalse(listed.contains(secretId), "the API never returns the AppRole secret ID");
        List<String> stored = db.query("SELECT options_json, secrets_sealed FROM tenant_key WHERE tenant_id = ?",
                rs -> rs.getString(1) + "\n" + rs.getString(2), tenant);
        assertEquals(1, stored.size());
        assertFalse(stored.get(0).contains(secretId), "the secret ID is stored sealed only");
        assertTrue(stored.get(0).contains(key.option("roleId")), "the role ID is a plain option");

        String app = Api.appToken(tenant);
        byte[] secret = "iban DE89 3704 0044 0532 0130 00".getBytes(StandardCharsets.UTF_8);
        String ct = Api.encrypt(app, tenant, secret, Map.of("record", "7")).statusCode(200)
                .body("keyId", equalTo(keyId)).extract().path("ciphertext");
        assertArrayEquals(secret, Api.unb64(Api.decrypt(app, tenant, ct, Map.of("record", "7")).statusCode(200)
                .extract().path("plaintext")));

        fixture.disable(key);
        Duration took = Api.awaitDecryptStatus(app, tenant, ct, Map.of("record", "7"), 403, Duration.ofSeconds(10));
        Api.decrypt(app, tenant, ct, Map.of("record", "7")).statusCode(403).body("code", equalTo("KEY_REVOKED"));
        assertTrue(took.compareTo(Duration.ofSeconds(10)) < 0, "revocation seen after " + took);
        admin().get("/v1/tenants/" + tenant).then().statusCode(200).body("state", equalTo("REVOKED"));
        admin().get("/v1/tenants/" + tenant + "/audit?limit=100").then().statusCode(200)
                .body("items.action", hasItem("key.revoked"));

        fixture.enable(key);
        admin().post("/v1/tenants/" + tenant + ":restore").then().statusCode(200).body("state", equalTo("ACTIVE"));
        assertArrayEquals(secret, Api.unb64(Api.decrypt(app, tenant, ct, Map.of("record", "7")).statusCode(200)
                .extract().path("plaintext")));
        assertTrue(logs.records().stream().anyMatch(r -> r.logger().equals("io.keyward.access")),
                "the capture saw the access log");
        assertTrue(logs.records().stream().noneMatch(r -> r.text().contains(secretId)),
                "no log line holds the AppRole secret ID");
    }

    @Test
    void aMalformedKeyUriIsAnInvalidRequest() {
        String tenant = Api.unique("bad");
        admin().body(Map.of("id", tenant, "name", tenant)).post("/v1/tenants").then().statusCode(201);
        admin().body(Map.of("provider", "vault-transit", "keyUri", "vault-transit://transit", "options",
                Map.of("address", vault.address(), "token", "hvs.whatever")))
                .post("/v1/tenants/" + tenant + "/keys").then().statusCode(400).body("code", equalTo("INVALID_REQUEST"));
        admin().body(Map.of("provider", "vault-transit", "keyUri", "vault-transit://transit/k", "options",
                Map.of("address", "ftp://vault", "token", "hvs.whatever")))
                .post("/v1/tenants/" + tenant + "/keys").then().statusCode(400).body("code", equalTo("INVALID_REQUEST"));
    }

    @Test
    void vaultDownWithNothingCachedIsKeyUnavailableWithRetryAfter() {
        String fresh = Api.unique("cold");
        attach(fresh, fixture.newKey());
        String cycled = Api.unique("cycled");
        attach(cycled, fixture.newKey());
        String app = Api.appToken(fresh, cycled);
        byte[] secret = "x".getBytes(StandardCharsets.UTF_8);
        String ct = Api.encrypt(app, cycled, secret, Map.of()).statusCode(200).extract().path("ciphertext");
        admin().post("/v1/tenants/" + cycled + ":revoke").then().statusCode(200);
        admin().post("/v1/tenants/" + cycled + ":restore").then().statusCode(200);

        vault.stop();
        try {
            Api.encrypt(app, fresh, secret, Map.of()).statusCode(503).body("code", equalTo("KEY_UNAVAILABLE"))
                    .header("Retry-After", notNullValue());
            Api.decrypt(app, cycled, ct, Map.of()).statusCode(503).body("code", equalTo("KEY_UNAVAILABLE"))
                    .header("Retry-After", notNullValue());
        } finally {
            vault.start();
        }
        Api.decrypt(app, cycled, ct, Map.of()).statusCode(200);
    }
}
