package io.keyward.provider.xks;

import io.keyward.db.Database;
import io.keyward.provider.KeySpec;
import io.keyward.testing.Api;
import io.keyward.testing.LogCapture;
import io.keyward.testing.ShortBoundsProfile;
import io.keyward.testing.xks.XksFixture;
import io.keyward.testing.xks.XksTestServer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
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
 * The customer's story through keyward's HTTP API with a key behind an XKS proxy: a wrong SigV4 secret refused at
 * attach as KEY_CHECK_FAILED naming authentication; attach, encrypt, decrypt; the key disabled in the external key
 * manager shows as KEY_REVOKED within the probe bound; enabled and restored, decrypt works again. The proxy's
 * requestMetadata names the tenant and the operation, and the SigV4 secret never comes back from the API, nor sits in
 * the database in plaintext, nor reaches a log line.
 */
@QuarkusTest
@TestProfile(XksServiceTest.ShortBounds.class)
class XksServiceTest {
    /** Probe interval of the profile; the revocation bound below is a few of these. */
    private static final Duration PROBE_INTERVAL = Duration.ofSeconds(1);
    private static XksTestServer proxy;
    private static XksFixture fixture;
    private static final List<String> TENANTS = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Inject
    Database db;

    /** Fast probing and short provider bounds, so revocation shows within seconds. */
    public static class ShortBounds extends ShortBoundsProfile {
        public ShortBounds() {
            super("xks", "300ms", "1500ms");
        }
    }

    @BeforeAll
    static void startProxy() {
        proxy = XksTestServer.start(XksFixture.PREFIX);
        // The fixture's provider only validates references; the application under test uses its own instance.
        fixture = new XksFixture(proxy, new XksProvider(XksContractTest.SETTINGS), Duration.ofMillis(1500), true);
    }

    /** Kill-switches the test's tenants: their cached keys are dropped, and the prober stops calling the proxy. */
    @AfterEach
    void revokeTenants() {
        TENANTS.forEach(t -> admin().post("/v1/tenants/" + t + ":revoke").then().statusCode(200));
        TENANTS.clear();
    }

    @AfterAll
    static void stopProxy() {
        fixture.close();
    }

    private static void tenant(String tenant) {
        admin().body(Map.of("id", tenant, "name", tenant)).post("/v1/tenants").then().statusCode(201);
        TENANTS.add(tenant);
    }

    private static ExtractableResponse<Response> attach(String tenant, String keyUri, Map<String, String> options) {
        return admin().body(Map.of("provider", "xks", "keyUri", keyUri, "options", options))
                .post("/v1/tenants/" + tenant + "/keys").then().extract();
    }

    @Test
    void aWrongSigningSecretIsKeyCheckFailedNamingAuthentication() {
        try (LogCapture logs = LogCapture.install()) {
            String tenant = Api.unique("wrongsecret");
            tenant(tenant);
            KeySpec key = fixture.newKey();
            String wrong = XksFixture.secretAccessKey();
            ExtractableResponse<Response> r = attach(tenant, key.keyUri(), fixture.options(wrong));
            assertEquals(422, r.statusCode(), r.asString());
            assertEquals("KEY_CHECK_FAILED", r.path("code"));
            String detail = r.path("detail");
            assertTrue(detail.contains("authentication"), detail);
            assertFalse(r.asString().contains(wrong), "the answer never holds the secret");
            assertTrue(logs.records().stream().noneMatch(l -> l.text().contains(wrong)),
                    "no log line holds the wrong secret");
            admin().get("/v1/tenants/" + tenant + "/audit?limit=100").then().statusCode(200)
                    .body(not(containsString(wrong)));
        }
    }

    @Test
    void decryptIsKeyRevokedSoonAfterTheKeyIsDisabledAtTheProxyAndRestoreBringsItBack() {
        try (LogCapture logs = LogCapture.install()) {
            revocationStory(logs);
        }
    }

    private void revocationStory(LogCapture logs) {
        String tenant = Api.unique("hyok");
        tenant(tenant);
        KeySpec key = fixture.newKey();
        String secret = fixture.secretInUse();
        ExtractableResponse<Response> attached = attach(tenant, key.keyUri(), fixture.options(secret));
        assertEquals(201, attached.statusCode(), attached.asString());
        String keyId = attached.path("id");

        String listed = admin().get("/v1/tenants/" + tenant + "/keys").then().statusCode(200)
                .body("items[0].secretOptions", hasItem("secretAccessKey")).extract().asString();
        assertFalse(listed.contains(secret), "the API never returns the SigV4 secret");
        List<String> stored = db.query("SELECT options_json, secrets_sealed FROM tenant_key WHERE tenant_id = ?",
                rs -> rs.getString(1) + "\n" + rs.getString(2), tenant);
        assertEquals(1, stored.size());
        assertFalse(stored.get(0).contains(secret), "the secret is stored sealed only");
        assertTrue(stored.get(0).contains(fixture.accessKeyIdInUse()), "the access key id is a plain option");

        String app = Api.appToken(tenant);
        byte[] plaintext = "iban DE89 3704 0044 0532 0130 00".getBytes(StandardCharsets.UTF_8);
        String ct = Api.encrypt(app, tenant, plaintext, Map.of("record", "7")).statusCode(200)
                .body("keyId", equalTo(keyId)).extract().path("ciphertext");
        assertArrayEquals(plaintext, Api.unb64(Api.decrypt(app, tenant, ct, Map.of("record", "7")).statusCode(200)
                .extract().path("plaintext")));

        // The proxy's logs can say who asked and why (XKS API, requestMetadata).
        XksTestServer.Received wrap = proxy.received().stream()
                .filter(r -> "encrypt".equals(r.api()) && r.requestMetadata().path("awsPrincipalArn").asText()
                        .startsWith("keyward:tenant/" + tenant + "/"))
                .filter(r -> r.requestMetadata().path("kmsOperation").asText().equals("Encrypt"))
                // the application's encrypt, not a health probe's round trip that may have come after it
                .filter(r -> r.requestMetadata().path("awsPrincipalArn").asText().contains("/actor/api-key:"))
                .reduce((a, b) -> b).orElseThrow(() -> new AssertionError("no encrypt by the app for " + tenant));
        assertEquals("keyward:tenant/" + tenant + "/key/" + keyId, wrap.requestMetadata().path("kmsKeyArn").asText());
        assertTrue(wrap.requestMetadata().path("awsPrincipalArn").asText().contains("/actor/api-key:"),
                wrap.requestMetadata().toString());
        assertFalse(wrap.requestMetadata().path("kmsRequestId").asText().isBlank());
        assertTrue(proxy.received().stream().anyMatch(r -> "metadata".equals(r.api())
                && r.requestMetadata().path("kmsOperation").asText().equals("DescribeKey")
                && r.requestMetadata().path("awsPrincipalArn").asText().startsWith("keyward:tenant/" + tenant + "/")),
                "the attach check described the key as the tenant");

        proxy.setEnabled(XksFixture.keyId(key), false);
        Duration took = Api.awaitDecryptStatus(app, tenant, ct, Map.of("record", "7"), 403, Duration.ofSeconds(10));
        Api.decrypt(app, tenant, ct, Map.of("record", "7")).statusCode(403).body("code", equalTo("KEY_REVOKED"));
        // Bound: one probe interval plus one probe (deadline 1.5 s) plus polling slack.
        Duration bound = PROBE_INTERVAL.multipliedBy(2).plus(Duration.ofMillis(1500)).plus(Duration.ofSeconds(1));
        assertTrue(took.compareTo(bound) < 0, "revocation seen after " + took + ", bound " + bound);
        System.out.println("xks: KEY_REVOKED seen " + took.toMillis() + " ms after the key was disabled");
        admin().get("/v1/tenants/" + tenant).then().statusCode(200).body("state", equalTo("REVOKED"));
        admin().get("/v1/tenants/" + tenant + "/audit?limit=100").then().statusCode(200)
                .body("items.action", hasItem("key.revoked"));

        proxy.setEnabled(XksFixture.keyId(key), true);
        admin().post("/v1/tenants/" + tenant + ":restore").then().statusCode(200).body("state", equalTo("ACTIVE"));
        assertArrayEquals(plaintext, Api.unb64(Api.decrypt(app, tenant, ct, Map.of("record", "7")).statusCode(200)
                .extract().path("plaintext")));
        assertTrue(logs.records().stream().anyMatch(r -> r.logger().equals("io.keyward.access")),
                "the capture saw the access log");
        assertTrue(logs.records().stream().noneMatch(r -> r.text().contains(secret)),
                "no log line holds the SigV4 secret");
    }

    @Test
    void aMalformedKeyUriIsAnInvalidRequest() {
        String tenant = Api.unique("badxks");
        tenant(tenant);
        ExtractableResponse<Response> r = attach(tenant, "xks://" + proxy.authority() + "/kw/store-1/k1",
                fixture.options(fixture.secretInUse()));
        assertEquals(400, r.statusCode(), r.asString());
        assertEquals("INVALID_REQUEST", r.path("code"));
    }
}
