package io.keyward.provider.gcp;

import io.keyward.testing.Api;
import io.keyward.testing.ShortBoundsProfile;
import io.keyward.testing.gcp.CloudKmsTestServer;
import io.keyward.testing.gcp.GcpKmsFixture;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static io.keyward.testing.Api.admin;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The whole story through the HTTP API with a tenant key in (a wire-level stand-in for) Google Cloud KMS: attach
 * after a real check, encrypt/decrypt, revocation at the customer's KMS noticed by the prober, restore, and outages.
 */
@QuarkusTest
@TestProfile(GcpKmsServiceTest.ShortBounds.class)
class GcpKmsServiceTest {
    private static final Duration REVOCATION_BOUND = Duration.ofSeconds(10);
    private static CloudKmsTestServer kms;

    /** Probe every second; Cloud KMS calls bounded well below the default 5 s so failures show quickly. */
    public static class ShortBounds extends ShortBoundsProfile {
        public ShortBounds() {
            super("gcp", "300ms", "1s");
            with("keyward.health.retry-after", "2s");
        }
    }

    @BeforeAll
    static void startCloudKms() {
        kms = CloudKmsTestServer.start();
    }

    @AfterAll
    static void stopCloudKms() {
        kms.close();
    }

    private static String newKey() {
        return kms.customer().createKeyForKeyward(GcpKmsFixture.PROJECT, GcpKmsFixture.LOCATION, "service-test",
                "k-" + UUID.randomUUID().toString().substring(0, 8));
    }

    /** Creates the tenant and attaches {@code key}; returns the tenant key id. */
    private static String tenantWithGcpKey(String tenant, String key) {
        admin().body(Map.of("id", tenant, "name", tenant)).post("/v1/tenants").then().statusCode(201);
        return admin().body(Map.of("provider", "gcp-kms", "keyUri", key, "options", kms.providerOptions()))
                .post("/v1/tenants/" + tenant + "/keys").then().statusCode(201)
                .body("provider", equalTo("gcp-kms"))
                .body("keyUri", equalTo(key))
                .body("options.endpoint", equalTo(kms.endpoint()))
                .extract().path("id");
    }

    @Test
    void keyDisabledAtCloudKmsRevokesTheTenantWithinAFewProbesAndRestoreBringsItBack() {
        String tenant = Api.unique("gcp");
        String key = newKey();
        String keyId = tenantWithGcpKey(tenant, key);
        String app = Api.appToken(tenant);
        byte[] secret = "card 4111-1111".getBytes(StandardCharsets.UTF_8);
        Map<String, String> ctx = Map.of("record", "42");

        String ct = Api.encrypt(app, tenant, secret, ctx).statusCode(200).body("keyId", equalTo(keyId))
                .extract().path("ciphertext");
        assertArrayEquals(secret, Api.unb64(Api.decrypt(app, tenant, ct, ctx).statusCode(200)
                .extract().path("plaintext")));

        kms.customer().disable(key);
        Duration took = awaitRevoked(app, tenant, ct, ctx);
        admin().get("/v1/tenants/" + tenant).then().statusCode(200).body("state", equalTo("REVOKED"));
        admin().get("/v1/tenants/" + tenant + "/audit").then().statusCode(200)
                .body("items.action", hasItem("key.revoked"));
        System.out.printf("gcp-kms revocation took effect after %d ms (probe interval 1 s)%n", took.toMillis());

        admin().post("/v1/tenants/" + tenant + ":restore").then().statusCode(409)
                .body("code", equalTo("KEY_CHECK_FAILED"));
        kms.customer().enable(key);
        admin().post("/v1/tenants/" + tenant + ":restore").then().statusCode(200).body("state", equalTo("ACTIVE"));
        assertArrayEquals(secret, Api.unb64(Api.decrypt(app, tenant, ct, ctx).statusCode(200)
                .extract().path("plaintext")));
    }

    @Test
    void keywardsAccessRemovedAtCloudKmsRevokesTheTenant() {
        String tenant = Api.unique("gcp");
        String key = newKey();
        tenantWithGcpKey(tenant, key);
        String app = Api.appToken(tenant);
        String ct = Api.encrypt(app, tenant, new byte[] {1, 2, 3}, Map.of()).statusCode(200).extract().path("ciphertext");

        kms.customer().removeKeywardAccess(key);
        awaitRevoked(app, tenant, ct, Map.of());
        Api.encrypt(app, tenant, new byte[] {4}, Map.of()).statusCode(403).body("code", equalTo("KEY_REVOKED"));
    }

    @Test
    void malformedKeyUriIsAnInvalidRequestNamingTheWrongSegment() {
        String tenant = Api.unique("gcp");
        admin().body(Map.of("id", tenant, "name", tenant)).post("/v1/tenants").then().statusCode(201);
        // Counted by resource: the health prober keeps calling Cloud KMS for other tests' keys meanwhile.
        String malformed = "projects/keyward-test/locations/us_east1/keyRings/r/cryptoKeys/k";
        long before = kms.requestCountFor("locations/us_east1/");
        admin().body(Map.of("provider", "gcp-kms", "options", kms.providerOptions(),
                        "keyUri", malformed))
                .post("/v1/tenants/" + tenant + "/keys").then().statusCode(400)
                .body("code", equalTo("INVALID_REQUEST"))
                .body("detail", containsString("location 'us_east1'"));
        assertEquals(before, kms.requestCountFor("locations/us_east1/"), "validation must not call Cloud KMS for " + malformed);
    }

    @Test
    void cloudKmsDownWithAColdCacheIsKeyUnavailableWithRetryAfter() {
        String tenant = Api.unique("gcp");
        tenantWithGcpKey(tenant, newKey());
        String app = Api.appToken(tenant);
        kms.stop();
        try {
            ExtractableResponse<Response> r = Api.encrypt(app, tenant, new byte[] {7}, Map.of()).statusCode(503)
                    .body("code", equalTo("KEY_UNAVAILABLE"))
                    .header("Retry-After", notNullValue())
                    .extract();
            assertEquals("2", r.header("Retry-After"));
        } finally {
            kms.restart();
        }
        // The gRPC channel reconnects with its own backoff after the server was down, and an open circuit breaker
        // waits out its delay: recovery is eventual, not on the very next call (seen failing once in CI).
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        int status;
        do {
            status = Api.encrypt(app, tenant, new byte[] {7}, Map.of()).extract().statusCode();
            if (status != 200) {
                io.keyward.testing.Sleep.quietly(Duration.ofMillis(200));
            }
        } while (status != 200 && System.nanoTime() < deadline);
        assertEquals(200, status, "encrypt works again once Cloud KMS is back");
    }

    @Test
    void keysListShowsTheOptionsAndNoSecretOptionsBecauseKeywardUsesItsOwnWorkloadIdentity() {
        String tenant = Api.unique("gcp");
        String keyId = tenantWithGcpKey(tenant, newKey());
        admin().get("/v1/tenants/" + tenant + "/keys").then().statusCode(200)
                .body("items.find { it.id == '" + keyId + "' }.options.transport", equalTo("plaintext"))
                .body("items.find { it.id == '" + keyId + "' }.secretOptions", anyOf(nullValue(), empty()));
    }

    /** Polls decrypt until it answers 403 KEY_REVOKED; fails after {@link #REVOCATION_BOUND}. */
    private static Duration awaitRevoked(String app, String tenant, String ct, Map<String, String> ctx) {
        long start = System.nanoTime();
        while (true) {
            Response r = Api.as(app).body(Map.of("ciphertext", ct, "context", ctx))
                    .post("/v1/tenants/" + tenant + "/decrypt");
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            if (r.statusCode() == 403) {
                assertEquals("KEY_REVOKED", r.jsonPath().getString("code"));
                return took;
            }
            assertEquals(200, r.statusCode(), "cached DEKs keep serving until the probe: " + r.asString());
            if (took.compareTo(REVOCATION_BOUND) > 0) {
                fail("still decrypting " + took + " after the key was revoked at Cloud KMS");
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
    }
}
