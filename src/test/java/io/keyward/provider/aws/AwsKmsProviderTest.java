package io.keyward.provider.aws;

import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyProviderFactory;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeySpec;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.ProviderSettings;
import io.keyward.provider.WrappedKeyInvalidException;
import io.keyward.testing.aws.AssumeRoleCall;
import io.keyward.testing.aws.AwsKmsTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the contract does not cover: AssumeRole and ExternalId, aliases, key types, retries, validation text. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AwsKmsProviderTest {
    private static final byte[] AAD = "keyward/v1 dek|acme|key-1".getBytes(StandardCharsets.UTF_8);
    private final SecureRandom random = new SecureRandom();
    private final AwsKmsFixture fixture = new AwsKmsFixture();
    private final AwsKmsTestServer server = fixture.server;
    private final AwsKmsProvider provider = fixture.provider;

    @AfterEach
    void healNetwork() {
        server.restart();
        server.delayResponses(Duration.ZERO);
        server.throttleNext(0);
    }

    @AfterAll
    void close() {
        fixture.close();
    }

    private byte[] dek() {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return b;
    }

    /** A key and a role that may use it, and the spec a tenant would attach. */
    private KeySpec keyWithRole(String externalIdSent) {
        String keyArn = server.createKey();
        String roleArn = fixture.newRole("ext-" + UUID.randomUUID());
        server.allow(keyArn, roleArn);
        String sent = externalIdSent != null ? externalIdSent : fixture.externalIdOf(roleArn);
        return provider.validate(keyArn, fixture.options(roleArn, sent));
    }

    private List<AssumeRoleCall> callsFor(String roleArn) {
        return server.assumeRoleCalls().stream().filter(c -> c.roleArn().equals(roleArn)).toList();
    }

    @Test
    void assumeRoleCarriesTheTenantsExternalIdAndTheSessionIsReused() {
        KeySpec key = keyWithRole(null);
        String role = AwsKmsFixture.roleOf(key);
        for (int i = 0; i < 3; i++) {
            byte[] dek = dek();
            assertArrayEquals(dek, provider.unwrap(key, provider.wrap(key, dek, AAD), AAD));
        }
        List<AssumeRoleCall> calls = callsFor(role);
        assertEquals(1, calls.size(), "one session serves every call until it goes stale: " + calls);
        AssumeRoleCall call = calls.get(0);
        assertEquals(fixture.externalIdOf(role), call.externalId());
        assertEquals("keyward", call.sessionName());
        assertEquals(AwsKmsTestServer.SAAS_PRINCIPAL, call.callerArn());
        assertTrue(call.allowed());
    }

    @Test
    void wrongExternalIdIsRevokedAndTheMessageNamesAssumeRole() {
        KeySpec key = keyWithRole("someone-elses-external-id");
        KeyRevokedException e = assertThrows(KeyRevokedException.class, () -> provider.check(key));
        assertTrue(e.getMessage().contains("AssumeRole") && e.getMessage().contains("external id"), e.getMessage());
        AssumeRoleCall call = callsFor(AwsKmsFixture.roleOf(key)).get(0);
        assertEquals("someone-elses-external-id", call.externalId());
        assertFalse(call.allowed());
    }

    @Test
    void trustPolicyRemovedIsRevokedWhenASessionIsNeeded() {
        KeySpec key = keyWithRole(null);
        server.removeTrust(AwsKmsFixture.roleOf(key));
        assertThrows(KeyRevokedException.class, () -> provider.wrap(key, dek(), AAD));
        server.restoreTrust(AwsKmsFixture.roleOf(key));
        provider.check(key);
    }

    @Test
    void revokedRoleSessionsAreRevokedEvenWithACachedSession() {
        KeySpec key = keyWithRole(null);
        byte[] wrapped = provider.wrap(key, dek(), AAD);
        server.revokeSessions(AwsKmsFixture.roleOf(key));
        assertThrows(KeyRevokedException.class, () -> provider.unwrap(key, wrapped, AAD));
    }

    @Test
    void destroyedKeyIsRevokedAsNotFound() {
        KeySpec key = keyWithRole(null);
        byte[] wrapped = provider.wrap(key, dek(), AAD);
        server.destroy(key.keyUri());
        KeyRevokedException e = assertThrows(KeyRevokedException.class, () -> provider.unwrap(key, wrapped, AAD));
        assertTrue(e.getMessage().contains("NotFoundException"), e.getMessage());
    }

    @Test
    void checkReportsTheKeyStateFromDescribeKey() {
        KeySpec key = keyWithRole(null);
        server.disable(key.keyUri());
        KeyRevokedException e = assertThrows(KeyRevokedException.class, () -> provider.check(key));
        assertTrue(e.getMessage().contains("Disabled"), e.getMessage());
        server.enable(key.keyUri());
        server.scheduleDeletion(key.keyUri());
        e = assertThrows(KeyRevokedException.class, () -> provider.check(key));
        assertTrue(e.getMessage().contains("PendingDeletion"), e.getMessage());
    }

    @Test
    void aKeyThatCannotEncryptIsMisconfiguredNotRevoked() {
        String keyArn = server.createKey("SIGN_VERIFY", "RSA_2048");
        String roleArn = fixture.newRole("ext-" + UUID.randomUUID());
        server.allow(keyArn, roleArn);
        KeySpec key = provider.validate(keyArn, fixture.options(roleArn, fixture.externalIdOf(roleArn)));
        KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class, () -> provider.check(key));
        assertTrue(e.getMessage().contains("ENCRYPT_DECRYPT"), e.getMessage());
        assertThrows(KeyMisconfiguredException.class, () -> provider.wrap(key, dek(), AAD));
    }

    @Test
    void wrappedKeyIsTheKmsCiphertextBlobThatTheCustomerCanDecryptWithoutKeyward() {
        KeySpec key = keyWithRole(null);
        byte[] dek = dek();
        byte[] wrapped = provider.wrap(key, dek, AAD);
        try (KmsClient customer = KmsClient.builder().region(Region.of(AwsKmsTestServer.REGION))
                .endpointOverride(server.endpoint())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
                        AwsKmsTestServer.ADMIN_ACCESS_KEY, AwsKmsTestServer.ADMIN_SECRET_KEY)))
                .build()) {
            byte[] plain = customer.decrypt(b -> b.keyId(key.keyUri()).ciphertextBlob(SdkBytes.fromByteArray(wrapped))
                    .encryptionContext(Map.of("keyward:aad", Base64.getEncoder().encodeToString(AAD))))
                    .plaintext().asByteArray();
            assertArrayEquals(dek, plain);
        }
    }

    @Test
    void aliasEncryptsUnderItsKeyAndOldWrappedKeysStillOpenAfterTheAliasMoves() {
        String first = server.createKey();
        String second = server.createKey();
        String roleArn = fixture.newRole("ext-" + UUID.randomUUID());
        server.allow(first, roleArn);
        server.allow(second, roleArn);
        String aliasArn = server.alias("tenant-" + UUID.randomUUID().toString().substring(0, 8), first);
        KeySpec key = provider.validate(aliasArn, fixture.options(roleArn, fixture.externalIdOf(roleArn)));
        provider.check(key);

        byte[] dek = dek();
        byte[] underFirst = provider.wrap(key, dek, AAD);
        server.alias(aliasArn.substring(aliasArn.indexOf("alias/") + 6), second);
        byte[] underSecond = provider.wrap(key, dek, AAD);
        assertArrayEquals(dek, provider.unwrap(key, underFirst, AAD), "decrypt names the key, not the alias");
        assertArrayEquals(dek, provider.unwrap(key, underSecond, AAD));

        server.disable(second);
        assertThrows(KeyRevokedException.class, () -> provider.unwrap(key, underSecond, AAD),
                "the key the alias names now is disabled: revoked");
        server.disable(first);
        assertThrows(WrappedKeyInvalidException.class, () -> provider.unwrap(key, underFirst, AAD),
                "a refusal about a key the alias no longer names is not trusted as a revocation");
    }

    @Test
    void aliasWrappedKeyNamingAnotherKeyIsInvalidNeverRevoked() {
        String keyArn = server.createKey();
        String roleArn = fixture.newRole("ext-" + UUID.randomUUID());
        server.allow(keyArn, roleArn);
        String aliasArn = server.alias("t-" + UUID.randomUUID().toString().substring(0, 8), keyArn);
        KeySpec key = provider.validate(aliasArn, fixture.options(roleArn, fixture.externalIdOf(roleArn)));
        byte[] blob = AliasWrappedKey.decode(provider.wrap(key, dek(), AAD)).blob();

        String missing = "arn:aws:kms:" + AwsKmsTestServer.REGION + ":" + AwsKmsTestServer.ACCOUNT + ":key/"
                + UUID.randomUUID();
        byte[] forged = new AliasWrappedKey(missing, blob).encode();
        assertThrows(WrappedKeyInvalidException.class, () -> provider.unwrap(key, forged, AAD));
        byte[] otherAccount = new AliasWrappedKey(missing.replace(AwsKmsTestServer.ACCOUNT, "444455556666"), blob)
                .encode();
        assertThrows(WrappedKeyInvalidException.class, () -> provider.unwrap(key, otherAccount, AAD));
        assertThrows(WrappedKeyInvalidException.class, () -> provider.unwrap(key, new byte[] {9, 9, 9, 9, 9}, AAD));
        provider.check(key);
    }

    @Test
    void keywardsOwnIdentityWorksWithoutARoleAndNeedsNoAssumeRole() {
        String keyArn = server.createKey();
        server.allow(keyArn, AwsKmsTestServer.SAAS_PRINCIPAL);
        int before = server.assumeRoleCalls().size();
        KeySpec key = provider.validate(keyArn, Map.of("endpoint", server.endpoint().toString()));
        provider.check(key);
        assertEquals(before, server.assumeRoleCalls().size());
    }

    @Test
    void keywardsOwnCredentialsRejectedIsUnavailableNeverRevoked() {
        KeySpec key = keyWithRole(null);
        String keyArn = server.createKey();
        server.allow(keyArn, AwsKmsTestServer.SAAS_PRINCIPAL);
        KeySpec direct = provider.validate(keyArn, Map.of("endpoint", server.endpoint().toString()));
        try (AwsKmsProvider wrongSecret = new AwsKmsProvider(AwsKmsFixture.SETTINGS, StaticCredentialsProvider.create(
                AwsBasicCredentials.create(AwsKmsTestServer.SAAS_ACCESS_KEY, "not-the-secret")), false)) {
            ProviderException viaSts = assertThrows(KeyUnavailableException.class, () -> wrongSecret.check(key));
            assertTrue(viaSts.getMessage().contains("SignatureDoesNotMatch"), viaSts.getMessage());
            ProviderException viaKms = assertThrows(KeyUnavailableException.class, () -> wrongSecret.check(direct));
            assertTrue(viaKms.getMessage().contains("InvalidSignatureException"), viaKms.getMessage());
        }
    }

    @Test
    void retriesAreBoundedByMaxRetriesAndOnlyForRetryableErrors() {
        KeySpec key = keyWithRole(null);
        byte[] wrapped = provider.wrap(key, dek(), AAD);

        int before = server.requestCount();
        server.throttleNext(1_000);
        assertThrows(KeyUnavailableException.class, () -> provider.unwrap(key, wrapped, AAD));
        assertEquals(AwsKmsFixture.SETTINGS.maxRetries() + 1, server.requestCount() - before,
                "first attempt + maxRetries");
        server.throttleNext(0);

        before = server.requestCount();
        server.deny(key.keyUri(), AwsKmsFixture.roleOf(key));
        assertThrows(KeyRevokedException.class, () -> provider.unwrap(key, wrapped, AAD));
        assertEquals(1, server.requestCount() - before, "AccessDenied is not retried");
    }

    @Test
    void noRetriesWhenMaxRetriesIsZero() {
        try (AwsKmsFixture noRetry = new AwsKmsFixture(new ProviderSettings(Duration.ofMillis(300), 0,
                Duration.ofMillis(1500)))) {
            KeySpec key = noRetry.newKey();
            byte[] wrapped = noRetry.provider.wrap(key, dek(), AAD);
            int before = noRetry.requestCount();
            noRetry.throttleNext(1);
            assertThrows(KeyUnavailableException.class, () -> noRetry.provider.unwrap(key, wrapped, AAD));
            assertEquals(1, noRetry.requestCount() - before);
        }
    }

    @Test
    void throttledAssumeRoleIsRetried() {
        KeySpec key = keyWithRole(null);
        int before = server.requestCount();
        server.throttleNext(1); // the first request of a new key is its AssumeRole
        provider.check(key);
        assertEquals(1, callsFor(AwsKmsFixture.roleOf(key)).size(), "the retried AssumeRole got through once");
        assertEquals(5, server.requestCount() - before, "throttled AssumeRole, AssumeRole, DescribeKey, Encrypt, Decrypt");
    }

    @Test
    void slowStsCountsAgainstTheSameDeadline() {
        KeySpec key = keyWithRole(null); // no session yet: check must AssumeRole first
        server.delayResponses(AwsKmsFixture.SETTINGS.deadline().multipliedBy(3));
        long start = System.nanoTime();
        assertThrows(KeyUnavailableException.class, () -> provider.check(key));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(took.compareTo(AwsKmsFixture.SETTINGS.deadline().plusSeconds(1)) < 0, "took " + took);
    }

    @Test
    void concurrentFirstCallsOnANewKeyAllSucceed() throws Exception {
        KeySpec key = keyWithRole(null);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                results.add(pool.submit(() -> {
                    byte[] dek = dek();
                    return java.util.Arrays.equals(dek, provider.unwrap(key, provider.wrap(key, dek, AAD), AAD));
                }));
            }
            for (Future<Boolean> r : results) {
                assertTrue(r.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void validationMessagesSayExactlyWhatIsWrong() {
        String id = "1234abcd-12ab-34cd-56ef-1234567890ab";
        assertEquals("ARN region 'us-east-1x' is not a region", message("arn:aws:kms:us-east-1x:111122223333:key/" + id,
                Map.of()));
        assertEquals("externalId is required with roleArn", message("arn:aws:kms:eu-west-1:111122223333:key/" + id,
                Map.of("roleArn", "arn:aws:iam::111122223333:role/keyward")));
        assertTrue(message("arn:aws:kms:eu-west-1:1111:key/" + id, Map.of()).contains("12-digit"));
        assertTrue(message("arn:aws:kms:eu-west-1:111122223333:key/" + id, Map.of("endpoint", "http://kms.example.com"))
                .contains("https"));
        KeySpec ok = provider.validate("arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-"
                + "0123456789abcdef0123456789abcdef", Map.of("endpoint", " "));
        assertEquals(Map.of(), ok.options(), "blank options are dropped");
    }

    private String message(String uri, Map<String, String> options) {
        return assertThrows(KeyMisconfiguredException.class, () -> provider.validate(uri, options)).getMessage();
    }

    @Test
    void theFactoryIsFoundByServiceLoaderAndBuildsWithoutNetwork() {
        int before = server.requestCount();
        KeyProviderFactory factory = ServiceLoader.load(KeyProviderFactory.class).stream()
                .map(ServiceLoader.Provider::get).filter(f -> f.id().equals("aws-kms")).findFirst().orElseThrow();
        var built = factory.create(AwsKmsFixture.SETTINGS);
        assertEquals("aws-kms", built.id());
        built.validate("arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", Map.of());
        assertEquals(before, server.requestCount());
        assertTrue(built.secretOptions().isEmpty(), "roleArn and externalId are not secrets");
    }
}
