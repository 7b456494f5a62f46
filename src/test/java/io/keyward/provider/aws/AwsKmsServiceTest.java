package io.keyward.provider.aws;

import io.keyward.db.Database;
import io.keyward.testing.Api;
import io.keyward.testing.ShortBoundsProfile;
import io.keyward.testing.aws.AssumeRoleCall;
import io.keyward.testing.aws.AwsKmsTestServer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static io.keyward.testing.Api.admin;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The aws-kms story through keyward's HTTP API, against the KMS/STS test server in this JVM: attach a key
 * (real check through AssumeRole with the tenant's ExternalId), encrypt and decrypt, the customer disables the
 * key and keyward notices within a few probe intervals, the customer re-enables it and :restore brings the old
 * data back; plus a wrong ExternalId, a malformed ARN and an unreachable KMS.
 */
@QuarkusTest
@TestProfile(AwsKmsServiceTest.Profile.class)
class AwsKmsServiceTest {
    /** keyward runs as the SaaS's own AWS identity, found by the SDK's default chain (system properties). */
    public static class Profile extends ShortBoundsProfile {
        public Profile() {
            super("aws", "500ms", "2s");
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            System.setProperty("aws.accessKeyId", AwsKmsTestServer.SAAS_ACCESS_KEY);
            System.setProperty("aws.secretAccessKey", AwsKmsTestServer.SAAS_SECRET_KEY);
            return super.getConfigOverrides();
        }
    }

    private static final AwsKmsTestServer SERVER = new AwsKmsTestServer().start();

    static {
        // Same JVM and class loader as the app: its first AWS call then finds the SDK's classes loaded.
        AwsKmsFixture.warmUp(SERVER);
    }
    private static final AtomicInteger ROLES = new AtomicInteger();

    @Inject
    Database db;

    @AfterAll
    static void stopServer() {
        SERVER.close();
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
    }

    /** What the customer sets up: a key, a role trusting the SaaS with an ExternalId, the key policy grant. */
    private record CustomerKey(String keyArn, String roleArn, String externalId) {
        Map<String, Object> attachBody(String externalIdSent) {
            String endpoint = SERVER.endpoint().toString();
            return Map.of("provider", "aws-kms", "keyUri", keyArn, "options", Map.of("roleArn", roleArn,
                    "externalId", externalIdSent, "endpoint", endpoint, "stsEndpoint", endpoint));
        }
    }

    private static CustomerKey customerKey() {
        String keyArn = SERVER.createKey();
        String roleArn = "arn:aws:iam::" + AwsKmsTestServer.ACCOUNT + ":role/keyward-svc-" + ROLES.incrementAndGet();
        String externalId = "keyward-" + UUID.randomUUID();
        SERVER.createRole(roleArn, externalId);
        SERVER.allow(keyArn, roleArn);
        return new CustomerKey(keyArn, roleArn, externalId);
    }

    private static String tenant(String prefix) {
        String tenant = Api.unique(prefix);
        admin().body(Map.of("id", tenant, "name", tenant)).post("/v1/tenants").then().statusCode(201);
        return tenant;
    }

    private static String attach(String tenant, CustomerKey key) {
        return admin().body(key.attachBody(key.externalId())).post("/v1/tenants/" + tenant + "/keys").then()
                .statusCode(201).extract().path("id");
    }

    @Test
    void encryptDecryptThenDisabledAtKmsIsRevokedWithinProbeIntervalsAndRestoreBringsDataBack() {
        CustomerKey key = customerKey();
        String tenant = tenant("aws");
        String keyId = attach(tenant, key);
        List<AssumeRoleCall> calls = SERVER.assumeRoleCalls().stream()
                .filter(c -> c.roleArn().equals(key.roleArn())).toList();
        assertFalse(calls.isEmpty(), "the key check assumed the tenant's role");
        assertTrue(calls.stream().allMatch(c -> c.externalId().equals(key.externalId()) && c.allowed()), calls::toString);

        String app = Api.appToken(tenant);
        byte[] secret = "iban DE89 3704 0044 0532 0130 00".getBytes(StandardCharsets.UTF_8);
        String ct = Api.encrypt(app, tenant, secret, Map.of()).statusCode(200).body("keyId", equalTo(keyId))
                .extract().path("ciphertext");
        assertArrayEquals(secret, Api.unb64(Api.decrypt(app, tenant, ct, Map.of()).statusCode(200).extract()
                .path("plaintext")));

        SERVER.disable(key.keyArn());
        Api.awaitDecryptStatus(app, tenant, ct, Map.of(), 403, Duration.ofSeconds(10));
        Api.decrypt(app, tenant, ct, Map.of()).statusCode(403).body("code", equalTo("KEY_REVOKED"));
        admin().get("/v1/tenants/" + tenant).then().body("state", equalTo("REVOKED"));
        admin().get("/v1/tenants/" + tenant + "/audit").then().statusCode(200)
                .body(containsString("key.revoked"));

        admin().post("/v1/tenants/" + tenant + ":restore").then().statusCode(409).body("code",
                equalTo("KEY_CHECK_FAILED"));
        SERVER.enable(key.keyArn());
        admin().post("/v1/tenants/" + tenant + ":restore").then().statusCode(200).body("state", equalTo("ACTIVE"));
        assertArrayEquals(secret, Api.unb64(Api.decrypt(app, tenant, ct, Map.of()).statusCode(200).extract()
                .path("plaintext")));
    }

    @Test
    void wrongExternalIdFailsTheKeyCheckAndSaysAssumeRoleWasDenied() {
        CustomerKey key = customerKey();
        String tenant = tenant("aws-ext");
        admin().body(key.attachBody("not-" + key.externalId())).post("/v1/tenants/" + tenant + "/keys").then()
                .statusCode(422)
                .body("code", equalTo("KEY_CHECK_FAILED"))
                .body("detail", containsString("AssumeRole"))
                .body("detail", containsString("external id"));
        assertTrue(SERVER.assumeRoleCalls().stream().anyMatch(c -> c.roleArn().equals(key.roleArn())
                && c.externalId().equals("not-" + key.externalId()) && !c.allowed()));
    }

    @Test
    void malformedKeyArnIsAnInvalidRequest() {
        String tenant = tenant("aws-bad");
        admin().body(Map.of("provider", "aws-kms", "keyUri",
                        "arn:aws:kms:us-east-1x:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "options", Map.of()))
                .post("/v1/tenants/" + tenant + "/keys").then().statusCode(400)
                .body("code", equalTo("INVALID_REQUEST"))
                .body("detail", containsString("ARN region 'us-east-1x' is not a region"));
        admin().body(Map.of("provider", "aws-kms", "keyUri", SERVER.createKey(), "options",
                        Map.of("roleArn", "arn:aws:iam::111122223333:role/keyward")))
                .post("/v1/tenants/" + tenant + "/keys").then().statusCode(400)
                .body("detail", containsString("externalId is required with roleArn"));
    }

    @Test
    void kmsDownWithNothingCachedIsUnavailableWithRetryAfter() {
        CustomerKey key = customerKey();
        String tenant = tenant("aws-down");
        attach(tenant, key);
        String app = Api.appToken(tenant);
        SERVER.stop();
        try {
            Api.encrypt(app, tenant, "x".getBytes(StandardCharsets.UTF_8), Map.of()).statusCode(503)
                    .body("code", equalTo("KEY_UNAVAILABLE"))
                    .header("Retry-After", notNullValue());
        } finally {
            SERVER.restart();
        }
        Api.encrypt(app, tenant, "x".getBytes(StandardCharsets.UTF_8), Map.of()).statusCode(200);
    }

    @Test
    void keyListingAndDatabaseHoldTheRoleButNoAwsSecret() {
        CustomerKey key = customerKey();
        String tenant = tenant("aws-list");
        attach(tenant, key);
        String listing = admin().get("/v1/tenants/" + tenant + "/keys").then().statusCode(200)
                .body("items[0].provider", equalTo("aws-kms"))
                .body("items[0].keyUri", equalTo(key.keyArn()))
                .body("items[0].options.roleArn", equalTo(key.roleArn()))
                .body("items[0].options.externalId", equalTo(key.externalId()))
                .extract().asString();
        assertFalse(listing.contains(AwsKmsTestServer.SAAS_SECRET_KEY));
        List<String> stored = db.query("SELECT options_json, secrets_sealed FROM tenant_key WHERE tenant_id = ?",
                rs -> rs.getString(1) + "|" + rs.getString(2), tenant);
        assertEquals(1, stored.size());
        assertFalse(stored.get(0).contains(AwsKmsTestServer.SAAS_SECRET_KEY), stored.get(0));
        assertFalse(stored.get(0).contains(AwsKmsTestServer.SAAS_ACCESS_KEY), stored.get(0));
    }
}
