package io.keyward.provider.azure;

import io.keyward.db.Database;
import io.keyward.testing.Api;
import io.keyward.testing.ShortBoundsProfile;
import io.keyward.testing.azure.AzureKeyVaultFixture;
import io.keyward.testing.azure.KeyVaultTestServer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.keyward.testing.Api.admin;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The revocation story through keyward's HTTP API with an {@code azure-keyvault} key on the Key Vault test server:
 * attach (a real check), encrypt/decrypt, the customer disables the key at the vault and keyward answers
 * KEY_REVOKED within a few probe intervals, restore, and a vault that is down with nothing cached.
 */
@QuarkusTest
@TestProfile(AzureKeyVaultServiceTest.ShortBounds.class)
class AzureKeyVaultServiceTest {
    private static KeyVaultTestServer server;

    @Inject
    Database db;

    public static class ShortBounds extends ShortBoundsProfile {
        public ShortBounds() {
            super("azure", "500ms", "2s");
            with("keyward.health.retry-after", "2s");
        }
    }

    @BeforeAll
    static void startVault() {
        server = KeyVaultTestServer.start();
        server.throttleRetryAfterSeconds(0);
        AzureKeyVaultFixture.warmUp(server);
    }

    @AfterAll
    static void stopVault() {
        server.close();
    }

    /** Creates a tenant and attaches a fresh key of the test vault; returns {tenant, key name, tenant key id}. */
    private static String[] tenantWithVaultKey() {
        String tenant = Api.unique("azure");
        String name = AzureKeyVaultFixture.newName();
        String keyUri = server.createRsaKey(name);
        admin().body(Map.of("id", tenant, "name", tenant)).post("/v1/tenants").then().statusCode(201);
        String keyId = admin().body(Map.of("provider", "azure-keyvault", "keyUri", keyUri, "options",
                server.clientSecretOptions())).post("/v1/tenants/" + tenant + "/keys").then().statusCode(201)
                .body("provider", equalTo("azure-keyvault")).extract().path("id");
        return new String[] {tenant, name, keyId};
    }

    @Test
    void disablingTheKeyAtTheVaultRevokesThenEnablingAndRestoringServesOldCiphertexts() {
        String[] t = tenantWithVaultKey();
        String tenant = t[0];
        String app = Api.appToken(tenant);
        byte[] secret = "iban DE89 3704 0044 0532 0130 00".getBytes(StandardCharsets.UTF_8);
        Map<String, String> ctx = Map.of("record", "7");

        String ct = Api.encrypt(app, tenant, secret, ctx).statusCode(200).body("keyId", equalTo(t[2]))
                .extract().path("ciphertext");
        assertArrayEquals(secret, Api.unb64(Api.decrypt(app, tenant, ct, ctx).statusCode(200)
                .extract().path("plaintext")));

        server.disable(t[1]);
        long start = System.nanoTime();
        int status = 0;
        String code = null;
        while (System.nanoTime() - start < Duration.ofSeconds(10).toNanos()) {
            Response r = Api.as(app).body(Map.of("ciphertext", ct, "context", ctx))
                    .post("/v1/tenants/" + tenant + "/decrypt");
            status = r.statusCode();
            code = status == 200 ? null : r.jsonPath().getString("code");
            if (status != 200) {
                break;
            }
            sleep(200);
        }
        assertEquals(403, status, "decrypt after the key was disabled at the vault");
        assertEquals("KEY_REVOKED", code);
        admin().get("/v1/tenants/" + tenant + "/keys").then().statusCode(200)
                .body("items[0].health", equalTo("REVOKED"));
        admin().get("/v1/tenants/" + tenant).then().statusCode(200).body("state", equalTo("REVOKED"));
        List<String> actions = admin().get("/v1/tenants/" + tenant + "/audit?limit=100").then().statusCode(200)
                .extract().jsonPath().getList("items.action");
        assertTrue(actions.contains("key.revoked"), "audit trail: " + actions);

        server.enable(t[1]);
        admin().post("/v1/tenants/" + tenant + ":restore").then().statusCode(200).body("state", equalTo("ACTIVE"));
        assertArrayEquals(secret, Api.unb64(Api.decrypt(app, tenant, ct, ctx).statusCode(200)
                .extract().path("plaintext")));
    }

    @Test
    void theClientSecretIsNeverReturnedNorStoredInPlaintext() {
        String[] t = tenantWithVaultKey();
        String body = admin().get("/v1/tenants/" + t[0] + "/keys").then().statusCode(200)
                .body("items[0].secretOptions", equalTo(List.of("clientSecret")))
                .body("items[0].options.tenantId", equalTo(server.tenantId()))
                .extract().asString();
        assertFalse(body.contains(server.clientSecret()), "the API returned the client secret");
        assertFalse(admin().get("/v1/tenants/" + t[0]).then().extract().asString().contains(server.clientSecret()));
        List<String> rows = db.query("SELECT options_json, secrets_sealed FROM tenant_key WHERE tenant_id = ?",
                rs -> rs.getString(1) + "|" + rs.getString(2), t[0]);
        assertEquals(1, rows.size());
        assertFalse(rows.get(0).contains(server.clientSecret()), "plaintext secret in the database");
        assertTrue(rows.get(0).contains(server.tenantId()), "public options are stored as given");
    }

    @Test
    void aMalformedKeyUriIsAnInvalidRequest() {
        String tenant = Api.unique("azure-bad");
        admin().body(Map.of("id", tenant, "name", tenant)).post("/v1/tenants").then().statusCode(201);
        admin().body(Map.of("provider", "azure-keyvault", "keyUri", "https://contoso.vault.azure.com/keys/kek",
                "options", Map.of())).post("/v1/tenants/" + tenant + "/keys").then().statusCode(400)
                .body("code", equalTo("INVALID_REQUEST"));
        admin().body(Map.of("provider", "azure-keyvault", "keyUri", server.keyUri("kek") + "/v7",
                "options", server.clientSecretOptions())).post("/v1/tenants/" + tenant + "/keys").then()
                .statusCode(400).body("code", equalTo("INVALID_REQUEST"))
                .body("detail", org.hamcrest.Matchers.containsString("32 hexadecimal digits"));
    }

    @Test
    void aVaultThatIsDownWithNothingCachedIsKeyUnavailableWithRetryAfter() {
        String[] t = tenantWithVaultKey();
        String tenant = t[0];
        String app = Api.appToken(tenant);
        Map<String, String> ctx = Map.of();
        String ct = Api.encrypt(app, tenant, "x".getBytes(StandardCharsets.UTF_8), ctx).statusCode(200)
                .extract().path("ciphertext");
        // Kill switch and restore empty this tenant's caches; the restore check needs the vault up.
        admin().post("/v1/tenants/" + tenant + ":revoke").then().statusCode(200);
        admin().post("/v1/tenants/" + tenant + ":restore").then().statusCode(200);
        server.stopServer();
        try {
            Api.decrypt(app, tenant, ct, ctx).statusCode(503).body("code", equalTo("KEY_UNAVAILABLE"))
                    .header("Retry-After", notNullValue());
        } finally {
            server.startServer();
        }
        Api.decrypt(app, tenant, ct, ctx).statusCode(200);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
