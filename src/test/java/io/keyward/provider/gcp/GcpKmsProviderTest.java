package io.keyward.provider.gcp;

import com.google.cloud.kms.v1.CryptoKey;
import io.grpc.Status;
import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyProviderFactory;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeySpec;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.ProviderSettings;
import io.keyward.provider.WrappedKeyInvalidException;
import io.keyward.testing.gcp.CloudKmsCustomer;
import io.keyward.testing.gcp.CloudKmsTestServer;
import io.keyward.testing.gcp.GcpKmsFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the Cloud KMS provider does beyond the shared contract, against the wire-protocol test server. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GcpKmsProviderTest {
    private static final byte[] AAD = "keyward/v1 dek|tenant|key".getBytes(StandardCharsets.US_ASCII);
    private static final String GOOD = "projects/keyward-test/locations/us-east1/keyRings/tenants/cryptoKeys/k1";
    private final SecureRandom random = new SecureRandom();
    private final GcpKmsFixture fixture = new GcpKmsFixture(
            new ProviderSettings(Duration.ofMillis(300), 2, Duration.ofMillis(1500)));
    private final GcpKmsProvider provider = (GcpKmsProvider) fixture.provider();
    private final CloudKmsTestServer server = fixture.server();

    @AfterEach
    void heal() {
        server.restart();
        server.delayResponses(Duration.ZERO);
        server.throttleNext(0);
        server.failNext(0, Status.OK);
        server.rejectRequestsWithoutToken(false);
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

    private String newKeyName() {
        return "k-" + UUID.randomUUID().toString().substring(0, 8);
    }

    // ---- validation ----------------------------------------------------------------------------------------------

    @Test
    void validateNamesTheSegmentThatIsWrong() {
        Map<String, String> opts = server.providerOptions();
        assertMessage("location 'us_east1' is not a Cloud KMS location",
                () -> provider.validate(GOOD.replace("us-east1", "us_east1"), opts));
        assertMessage("project 'Keyward_Test' is not a Google Cloud project id",
                () -> provider.validate(GOOD.replace("keyward-test", "Keyward_Test"), opts));
        assertMessage("key ring id 'ten ants' must match",
                () -> provider.validate(GOOD.replace("tenants", "ten ants"), opts));
        assertMessage("crypto key id '' must match", () -> provider.validate(GOOD.replace("/k1", "/"), opts));
        assertMessage("segment 5 must be 'keyRings', got 'keyrings'",
                () -> provider.validate(GOOD.replace("keyRings", "keyrings"), opts));
        assertMessage("names a key version", () -> provider.validate(GOOD + "/cryptoKeyVersions/3", opts));
        assertMessage("has 6 path segments", () -> provider.validate("projects/p1-abc/locations/global/keyRings/r", opts));
    }

    @Test
    void validateAcceptsProjectNumbersMultiRegionsAndTinkUrisAndStoresTheResourceName() {
        KeySpec spec = provider.validate("gcp-kms://projects/123456789012/locations/global/keyRings/r_1/cryptoKeys/K-2",
                Map.of());
        assertEquals("projects/123456789012/locations/global/keyRings/r_1/cryptoKeys/K-2", spec.keyUri());
        assertEquals("gcp-kms", spec.provider());
        provider.validate("projects/example.com:my-project/locations/nam-eur-asia1/keyRings/r/cryptoKeys/k", Map.of());
        provider.validate("projects/my-project/locations/europe-west3/keyRings/r/cryptoKeys/k",
                Map.of("endpoint", "cloudkms.europe-west3.rep.googleapis.com:443"));
    }

    @Test
    void endpointsThatWouldLeakCredentialsOrSkipTlsAreRefused() {
        assertMessage("is not a Google API host", () -> provider.validate(GOOD, Map.of("endpoint", "kms.evil.example:443")));
        assertMessage("is not a Google API host", () -> provider.validate(GOOD, Map.of("endpoint", "127.0.0.1:443")));
        assertMessage("only allowed for a loopback endpoint",
                () -> provider.validate(GOOD, Map.of("endpoint", "cloudkms.googleapis.com:443", "transport", "plaintext")));
        assertMessage("needs an explicit loopback endpoint", () -> provider.validate(GOOD, Map.of("transport", "plaintext")));
        assertMessage("unknown gcp-kms option(s) [credentials]", () -> provider.validate(GOOD, Map.of("credentials", "x")));
        assertMessage("port 0 is out of range", () -> provider.validate(GOOD, Map.of("endpoint", "cloudkms.googleapis.com:0")));
        assertEquals("plaintext", provider.validate(GOOD, Map.of("endpoint", "[::1]:8443", "transport", "PLAINTEXT"))
                .option("transport"), "stored canonical");
        java.util.Map<String, String> blank = new java.util.HashMap<>();
        blank.put("endpoint", null);
        assertMessage("option endpoint has no value", () -> provider.validate(GOOD, blank));
        provider.validate(GOOD, Map.of("endpoint", "localhost:8443", "transport", "plaintext"));
    }

    @Test
    void theFactoryIsDiscoveredAndBuildingTheProviderTouchesNoNetwork() {
        int before = server.requestCount();
        KeyProviderFactory factory = ServiceLoader.load(KeyProviderFactory.class).stream()
                .map(ServiceLoader.Provider::get).filter(f -> f.id().equals("gcp-kms")).findFirst().orElseThrow();
        try (GcpKmsProvider built = (GcpKmsProvider) factory.create(
                new ProviderSettings(Duration.ofSeconds(2), 2, Duration.ofSeconds(5)))) {
            assertEquals("gcp-kms", built.id());
            assertTrue(built.secretOptions().isEmpty(), "keyward's own workload identity: no per-tenant secret");
            built.validate(GOOD, server.providerOptions());
        }
        assertEquals(before, server.requestCount());
    }

    // ---- key states and access -----------------------------------------------------------------------------------

    @Test
    void checkPassesWithOnlyTheEncrypterDecrypterRole() {
        KeySpec key = fixture.newKey();
        server.customer().grantKeyward(key.keyUri(), CloudKmsCustomer.ENCRYPTER_DECRYPTER);
        provider.check(key);
    }

    @Test
    void checkNamesThePrimaryVersionState() {
        KeySpec key = fixture.newKey();
        server.customer().disable(key.keyUri());
        KeyRevokedException e = assertThrows(KeyRevokedException.class, () -> provider.check(key));
        assertTrue(e.getMessage().contains("primary version 1 is DISABLED"), e.getMessage());
    }

    @Test
    void destroyedVersionIsRevokedAndSaysSo() {
        KeySpec key = fixture.newKey();
        byte[] wrapped = provider.wrap(key, dek(), AAD);
        server.customer().scheduleDestruction(key.keyUri());
        KeyRevokedException scheduled = assertThrows(KeyRevokedException.class, () -> provider.unwrap(key, wrapped, AAD));
        assertTrue(scheduled.getMessage().contains("key version 1 is DESTROY_SCHEDULED"), scheduled.getMessage());
        server.finishScheduledDestruction(key.keyUri());
        KeyRevokedException destroyed = assertThrows(KeyRevokedException.class, () -> provider.unwrap(key, wrapped, AAD));
        assertTrue(destroyed.getMessage().contains("key version 1 is DESTROYED"), destroyed.getMessage());
        assertThrows(KeyRevokedException.class, () -> provider.check(key));
    }

    @Test
    void restoringAScheduledDestructionAndReEnablingBringsTheKeyBack() {
        KeySpec key = fixture.newKey();
        byte[] dek = dek();
        byte[] wrapped = provider.wrap(key, dek, AAD);
        server.customer().scheduleDestruction(key.keyUri());
        server.customer().restore(key.keyUri());
        assertThrows(KeyRevokedException.class, () -> provider.check(key), "restored versions come back DISABLED");
        server.customer().enable(key.keyUri());
        provider.check(key);
        assertArrayEquals(dek, provider.unwrap(key, wrapped, AAD));
    }

    @Test
    void afterRotationOldWrappedKeysStillUnwrapAndNewOnesUseTheNewPrimary() {
        KeySpec key = fixture.newKey();
        byte[] dek = dek();
        byte[] old = provider.wrap(key, dek, AAD);
        String v2 = server.customer().rotate(key.keyUri());
        byte[] fresh = provider.wrap(key, dek, AAD);
        assertArrayEquals(dek, provider.unwrap(key, old, AAD));
        server.customer().setVersionState(v2, com.google.cloud.kms.v1.CryptoKeyVersion.CryptoKeyVersionState.DISABLED);
        assertArrayEquals(dek, provider.unwrap(key, old, AAD), "version 1 is still enabled");
        assertThrows(KeyRevokedException.class, () -> provider.unwrap(key, fresh, AAD));
    }

    @Test
    void aKeyThatDoesNotExistIsRevokedAsCloudKmsAnswersPermissionDenied() {
        KeySpec missing = provider.validate(GOOD.replace("k1", "never-created"), server.providerOptions());
        KeyRevokedException e = assertThrows(KeyRevokedException.class, () -> provider.wrap(missing, dek(), AAD));
        assertTrue(e.getMessage().contains("PERMISSION_DENIED"), e.getMessage());
        assertFalse(e.getMessage().contains("or it may not exist"), "the server's own text is not copied");
        assertThrows(KeyRevokedException.class, () -> provider.check(missing));
    }

    @Test
    void aKeyThatCannotEncryptIsMisconfiguredNotRevoked() {
        String name = server.customer().createKey(GcpKmsFixture.PROJECT, GcpKmsFixture.LOCATION, GcpKmsFixture.KEY_RING,
                newKeyName(), CryptoKey.CryptoKeyPurpose.ASYMMETRIC_SIGN);
        server.customer().grantKeyward(name, CloudKmsCustomer.ENCRYPTER_DECRYPTER, CloudKmsCustomer.VIEWER);
        KeySpec key = provider.validate(name, server.providerOptions());
        KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class, () -> provider.check(key));
        assertTrue(e.getMessage().contains("has purpose ASYMMETRIC_SIGN"), e.getMessage());
        assertThrows(KeyMisconfiguredException.class, () -> provider.wrap(key, dek(), AAD));
    }

    @Test
    void refusedCredentialsAreMisconfiguredNotRevoked() {
        KeySpec key = fixture.newKey();
        byte[] wrapped = provider.wrap(key, dek(), AAD);
        server.rejectRequestsWithoutToken(true);
        KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class,
                () -> provider.unwrap(key, wrapped, AAD));
        assertTrue(e.getMessage().contains("UNAUTHENTICATED"), e.getMessage());
    }

    // ---- transient failures and bounds ---------------------------------------------------------------------------

    @Test
    void internalErrorsAreUnavailableAndNotRetried() {
        KeySpec key = fixture.newKey();
        byte[] wrapped = provider.wrap(key, dek(), AAD);
        int before = server.requestCount();
        server.failNext(1, Status.INTERNAL.withDescription("backend error"));
        assertThrows(KeyUnavailableException.class, () -> provider.unwrap(key, wrapped, AAD));
        assertEquals(1, server.requestCount() - before, "INTERNAL is not in the retryable set");
        server.failNext(1, Status.UNAVAILABLE.withDescription("front end restarting"));
        provider.unwrap(key, wrapped, AAD);
    }

    @Test
    void throttlingIsReportedWithoutTheServersQuotaDetails() {
        KeySpec key = fixture.newKey();
        server.throttleNext(100);
        KeyUnavailableException e = assertThrows(KeyUnavailableException.class, () -> provider.wrap(key, dek(), AAD));
        assertTrue(e.getMessage().contains("RESOURCE_EXHAUSTED"), e.getMessage());
        assertFalse(e.getMessage().contains("project_number"), e.getMessage());
    }

    @Test
    void aCheckOfThreeRpcsStillEndsAtOneDeadline() {
        try (GcpKmsProvider tight = new GcpKmsProvider(
                new ProviderSettings(Duration.ofMillis(300), 2, Duration.ofMillis(500)))) {
            KeySpec key = fixture.newKey();
            tight.check(key); // warm: the client is open
            server.delayResponses(Duration.ofMillis(200)); // each RPC fits its attempt; three do not fit the deadline
            long start = System.nanoTime();
            assertThrows(KeyUnavailableException.class, () -> tight.check(key));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertTrue(took.compareTo(Duration.ofMillis(500 + 300)) < 0, "took " + took);
        }
    }

    @Test
    void wrappedBytesOfImpossibleLengthAreInvalidWithoutACall() {
        KeySpec key = fixture.newKey();
        int before = server.requestCount();
        assertThrows(WrappedKeyInvalidException.class, () -> provider.unwrap(key, new byte[0], AAD));
        assertThrows(WrappedKeyInvalidException.class, () -> provider.unwrap(key, new byte[64 * 1024 + 1], AAD));
        assertEquals(before, server.requestCount());
    }

    @Test
    void requestsCarryTheRoutingHeaderForTheKey() {
        KeySpec key = fixture.newKey();
        provider.wrap(key, dek(), AAD);
        assertEquals("name=" + URLEncoder.encode(key.keyUri(), StandardCharsets.UTF_8), server.lastRoutingHeader());
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        ProviderException e = assertThrows(KeyMisconfiguredException.class, call);
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    }
}
