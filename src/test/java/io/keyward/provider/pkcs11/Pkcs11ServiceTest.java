package io.keyward.provider.pkcs11;

import io.keyward.db.Database;
import io.keyward.provider.KeySpec;
import io.keyward.testing.Api;
import io.keyward.testing.LogCapture;
import io.keyward.testing.ShortBoundsProfile;
import io.keyward.testing.pkcs11.Pkcs11Fixture;
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
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The customer's HYOK story over keyward's HTTP API with a key on a real SoftHSM2 token: attach (a real check in the
 * token), encrypt and decrypt, the customer disables the key on the token and keyward answers KEY_REVOKED within
 * the probe bound, re-enable and restore. The PIN never comes back from the API, never sits in the database in
 * clear and never reaches a log line. A wrong PIN or an extractable key is refused at attach time.
 */
@QuarkusTest
@TestProfile(Pkcs11ServiceTest.ShortBounds.class)
class Pkcs11ServiceTest {
    private static Pkcs11Fixture fixture;
    private static final List<String> TENANTS = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Inject
    Database db;

    /** Fast probing and short provider bounds, so revocation shows within seconds. */
    public static class ShortBounds extends ShortBoundsProfile {
        public ShortBounds() {
            super("pkcs11", "500ms", "2s");
        }
    }

    @BeforeAll
    static void tokens() {
        // The fixture's provider only creates keys; the application under test uses its own provider instance.
        fixture = new Pkcs11Fixture(Pkcs11ContractTest.SETTINGS);
    }

    @AfterEach
    void revokeTenants() {
        TENANTS.forEach(t -> admin().post("/v1/tenants/" + t + ":revoke").then().statusCode(200));
        TENANTS.clear();
    }

    @AfterAll
    static void close() {
        fixture.close();
    }

    private static io.restassured.response.ValidatableResponse attach(String tenant, KeySpec key) {
        admin().body(Map.of("id", tenant, "name", tenant)).post("/v1/tenants").then().statusCode(201);
        TENANTS.add(tenant);
        return admin().body(Map.of("provider", "pkcs11", "keyUri", key.keyUri(), "options", key.options()))
                .post("/v1/tenants/" + tenant + "/keys").then();
    }

    @Test
    void decryptIsKeyRevokedSoonAfterTheKeyIsDisabledOnTheTokenAndRestoreBringsItBack() {
        try (LogCapture logs = LogCapture.install()) {
            String tenant = Api.unique("bank");
            KeySpec key = fixture.newKey();
            String pin = key.option("pin");
            String keyId = attach(tenant, key).statusCode(201).body("provider", equalTo("pkcs11")).extract().path("id");

            String listed = admin().get("/v1/tenants/" + tenant + "/keys").then().statusCode(200)
                    .body("items[0].secretOptions", hasItem("pin")).extract().asString();
            assertFalse(listed.contains(pin), "the API never returns the PIN");
            List<String> stored = db.query("SELECT options_json, secrets_sealed FROM tenant_key WHERE tenant_id = ?",
                    rs -> rs.getString(1) + "\n" + rs.getString(2), tenant);
            assertEquals(1, stored.size());
            assertFalse(stored.get(0).contains(pin), "the PIN is stored sealed only");

            String app = Api.appToken(tenant);
            byte[] secret = "card 4111 1111 1111 1111".getBytes(StandardCharsets.UTF_8);
            String ct = Api.encrypt(app, tenant, secret, Map.of("row", "1")).statusCode(200)
                    .body("keyId", equalTo(keyId)).extract().path("ciphertext");
            assertArrayEquals(secret, Api.unb64(Api.decrypt(app, tenant, ct, Map.of("row", "1")).statusCode(200)
                    .extract().path("plaintext")));

            fixture.disable(key);
            Duration took = Api.awaitDecryptStatus(app, tenant, ct, Map.of("row", "1"), 403, Duration.ofSeconds(10));
            Api.decrypt(app, tenant, ct, Map.of("row", "1")).statusCode(403).body("code", equalTo("KEY_REVOKED"));
            // probe interval 1 s + one provider call: well inside 3 s
            assertTrue(took.compareTo(Duration.ofSeconds(3)) < 0, "revocation seen after " + took);
            System.out.printf("pkcs11 revocation: KEY_REVOKED %d ms after the key was disabled in the token "
                    + "(probe interval 1 s)%n", took.toMillis());
            admin().get("/v1/tenants/" + tenant).then().statusCode(200).body("state", equalTo("REVOKED"));

            fixture.enable(key);
            admin().post("/v1/tenants/" + tenant + ":restore").then().statusCode(200).body("state", equalTo("ACTIVE"));
            assertArrayEquals(secret, Api.unb64(Api.decrypt(app, tenant, ct, Map.of("row", "1")).statusCode(200)
                    .extract().path("plaintext")));
            assertTrue(logs.records().stream().anyMatch(r -> r.logger().equals("io.keyward.access")),
                    "the capture saw the access log");
            assertTrue(logs.records().stream().noneMatch(r -> r.text().contains(pin)), "no log line holds the PIN");
        }
    }

    @Test
    void aRemovedTokenIsKeyRevoked() {
        String tenant = Api.unique("gone");
        KeySpec key = fixture.newKey();
        attach(tenant, key).statusCode(201);
        String app = Api.appToken(tenant);
        String ct = Api.encrypt(app, tenant, new byte[] {1, 2, 3}, Map.of()).statusCode(200).extract().path("ciphertext");
        fixture.denyAccess(key);
        Api.awaitDecryptStatus(app, tenant, ct, Map.of("row", "1"), 403, Duration.ofSeconds(10));
        admin().post("/v1/tenants/" + tenant + ":restore").then().statusCode(409).body("code", equalTo("KEY_CHECK_FAILED"))
                .body("detail", containsString("not present"));
    }

    @Test
    void aWrongPinIsKeyCheckFailedNamingThePin() {
        KeySpec key = fixture.newKey();
        KeySpec wrong = new KeySpec("pkcs11", key.keyUri(), Map.of("module", key.option("module"),
                "pin", "not-the-pin-0815"));
        attach(Api.unique("pin"), wrong).statusCode(422).body("code", equalTo("KEY_CHECK_FAILED"))
                .body("detail", containsString("PIN")).body("detail", not(containsString("not-the-pin-0815")));
    }

    @Test
    void anExtractableKeyIsKeyCheckFailed() {
        attach(Api.unique("extractable"), fixture.newKey(true)).statusCode(422).body("code", equalTo("KEY_CHECK_FAILED"))
                .body("detail", containsString("CKA_EXTRACTABLE"));
    }

    @Test
    void aModuleOutsideTheAllowlistIsAnInvalidRequest() {
        KeySpec key = fixture.newKey();
        attach(Api.unique("module"), new KeySpec("pkcs11", key.keyUri(), Map.of("module", "/tmp/libevil.so",
                "pin", key.option("pin")))).statusCode(400).body("code", equalTo("INVALID_REQUEST"))
                .body("detail", containsString("not allowed"));
    }
}
