package io.keyward.provider.azure;

import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeySpec;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.ProviderSettings;
import io.keyward.provider.WrappedKeyInvalidException;
import io.keyward.testing.TestCertificate;
import io.keyward.testing.azure.AzureKeyVaultFixture;
import io.keyward.testing.azure.KeyVaultTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the azure-keyvault provider adds to the shared contract: key versions, Managed HSM, identity failures. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AzureKeyVaultProviderTest {
    private static final byte[] AAD = "keyward/v1 dek|acme|k1".getBytes(StandardCharsets.US_ASCII);
    /** Generous bounds: these tests are about outcomes, the contract test holds the deadline. */
    private static final ProviderSettings SETTINGS = new ProviderSettings(Duration.ofSeconds(2), 2,
            Duration.ofSeconds(6));
    private final SecureRandom random = new SecureRandom();
    private AzureKeyVaultFixture fixture;
    private KeyVaultTestServer server;
    private KeyProvider provider;

    @BeforeAll
    void start() {
        fixture = new AzureKeyVaultFixture(SETTINGS);
        server = fixture.server();
        provider = fixture.provider();
    }

    @AfterAll
    void stop() {
        fixture.close();
    }

    private byte[] dek() {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return b;
    }

    private KeySpec key(String uri) {
        return provider.validate(uri, server.clientSecretOptions());
    }

    @Test
    void creatingTheProviderIsCheapAndTouchesNoNetwork() {
        int before = server.vaultRequestCount() + server.tokenRequestCount();
        long start = System.nanoTime();
        for (int i = 0; i < 200; i++) {
            new AzureKeyVaultProviderFactory().create(SETTINGS).validate(server.keyUri("kek-" + i),
                    server.clientSecretOptions());
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertEquals(before, server.vaultRequestCount() + server.tokenRequestCount(), "no request at construction");
        assertTrue(ms < 5_000, "200 providers built and validated in " + ms + " ms");
    }

    @Test
    void validateAcceptsVaultAndManagedHsmKeyIdsAndNormalisesThem() {
        KeyProvider p = provider;
        String version = "0123456789abcdef0123456789ABCDEF";
        assertEquals("https://contoso-keys.vault.azure.net/keys/tenant-kek",
                p.validate("https://Contoso-Keys.vault.azure.net:443/keys/tenant-kek", Map.of()).keyUri());
        assertEquals("https://contoso-keys.vault.azure.net/keys/tenant-kek/" + version.toLowerCase(),
                p.validate("https://contoso-keys.vault.azure.net/keys/tenant-kek/" + version, Map.of()).keyUri());
        p.validate("https://contoso-hsm.managedhsm.azure.net/keys/kek", Map.of("algorithm", "A256KW"));
        p.validate("https://contoso-keys.vault.azure.cn/keys/kek", Map.of("authorityHost",
                "https://login.chinacloudapi.cn/"));
        KeySpec s = p.validate("https://contoso-keys.vault.azure.net/keys/kek", Map.of("clientId",
                "11111111-2222-3333-4444-555555555555"));
        assertEquals(Map.of("clientId", "11111111-2222-3333-4444-555555555555"), s.options());
    }

    @Test
    void validateSaysExactlyWhatIsWrong() {
        assertMessage("key version 'v1' must be 32 hexadecimal digits",
                "https://contoso-keys.vault.azure.net/keys/kek/v1", Map.of());
        assertMessage("key name 'k_1' must be 1-127 letters, digits or dashes",
                "https://contoso-keys.vault.azure.net/keys/k_1", Map.of());
        assertMessage("host 'contoso.example.com' is not an Azure Key Vault or Managed HSM host",
                "https://contoso.example.com/keys/kek", Map.of());
        assertMessage("clientSecret needs tenantId and clientId",
                "https://contoso-keys.vault.azure.net/keys/kek", Map.of("clientSecret", "x"));
        assertMessage("A256KW needs an oct-HSM key",
                "https://contoso-keys.vault.azure.net/keys/kek", Map.of("algorithm", "A256KW"));
        assertMessage("unknown option(s) [region]",
                "https://contoso-keys.vault.azure.net/keys/kek", Map.of("region", "westeurope"));
    }

    private void assertMessage(String expectedStart, String uri, Map<String, String> options) {
        KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class,
                () -> provider.validate(uri, options));
        assertTrue(e.getMessage().startsWith(expectedStart), e.getMessage());
    }

    @Test
    void clientSecretIsTheOnlySecretOptionAndNeverPrinted() {
        assertEquals(Set.of("clientSecret"), provider.secretOptions());
        KeySpec spec = key(server.createRsaKey(AzureKeyVaultFixture.newName()));
        assertFalse(spec.toString().contains(server.clientSecret()));
        AzureKeyOptions o = AzureKeyOptions.parse(spec.options(), AzureKeyId.parse(spec.keyUri()));
        assertFalse(o.toString().contains(server.clientSecret()));
    }

    @Test
    void aVersionlessKeyKeepsUnwrappingWhatItWrappedBeforeARotation() {
        String name = AzureKeyVaultFixture.newName();
        KeySpec spec = key(server.createRsaKey(name));
        byte[] dek1 = dek();
        byte[] old = provider.wrap(spec, dek1, AAD);
        String v2 = server.rotate(name);
        byte[] dek2 = dek();
        byte[] fresh = provider.wrap(spec, dek2, AAD);
        assertTrue(new String(fresh, StandardCharsets.ISO_8859_1).contains(v2), "new wraps use the new version");
        assertArrayEquals(dek1, provider.unwrap(spec, old, AAD));
        assertArrayEquals(dek2, provider.unwrap(spec, fresh, AAD));
    }

    @Test
    void aWrappedKeyNamingAnUnknownVersionIsInvalidAndDoesNotRevokeTheKey() {
        KeySpec spec = key(server.createRsaKey(AzureKeyVaultFixture.newName()));
        byte[] wrapped = provider.wrap(spec, dek(), AAD);
        byte[] forged = wrapped.clone();
        byte[] other = "ffffffffffffffffffffffffffffffff".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(other, 0, forged, 3, other.length);
        assertThrows(WrappedKeyInvalidException.class, () -> provider.unwrap(spec, forged, AAD));
        provider.check(spec);
    }

    @Test
    void anOldVersionDisabledOnItsOwnIsInvalidWhileTheCurrentVersionServes() {
        String name = AzureKeyVaultFixture.newName();
        KeySpec spec = key(server.createRsaKey(name));
        String v1 = server.currentVersion(name);
        byte[] old = provider.wrap(spec, dek(), AAD);
        server.rotate(name);
        server.disableVersion(name, v1);
        WrappedKeyInvalidException e = assertThrows(WrappedKeyInvalidException.class,
                () -> provider.unwrap(spec, old, AAD));
        assertTrue(e.getMessage().contains(v1), e.getMessage());
        provider.check(spec);
    }

    @Test
    void aPinnedVersionRefusesWrappedKeysOfOtherVersionsWithoutAsking() {
        String name = AzureKeyVaultFixture.newName();
        server.createRsaKey(name);
        String v1 = server.currentVersion(name);
        KeySpec versionless = key(server.keyUri(name));
        KeySpec pinned = key(server.keyUri(name) + "/" + v1);
        byte[] underV1 = provider.wrap(pinned, dek(), AAD);
        server.rotate(name);
        byte[] underV2 = provider.wrap(versionless, dek(), AAD);
        int before = server.vaultRequestCount();
        assertThrows(WrappedKeyInvalidException.class, () -> provider.unwrap(pinned, underV2, AAD));
        assertEquals(before, server.vaultRequestCount());
        provider.unwrap(pinned, underV1, AAD);
    }

    @Test
    void wrapOfADisabledKeyIsRevokedEvenThoughKeyVaultWouldWrapIt() {
        String name = AzureKeyVaultFixture.newName();
        KeySpec spec = key(server.createRsaKey(name));
        server.disable(name);
        assertThrows(KeyRevokedException.class, () -> provider.wrap(spec, dek(), AAD));
    }

    @Test
    void keyVaultsRetryAfterIsHonouredBeforeRetrying() {
        KeySpec spec = key(server.createRsaKey(AzureKeyVaultFixture.newName()));
        byte[] dek = dek();
        byte[] wrapped = provider.wrap(spec, dek, AAD);
        server.throttleRetryAfterSeconds(1);
        try {
            server.throttleNext(1);
            long start = System.nanoTime();
            assertArrayEquals(dek, provider.unwrap(spec, wrapped, AAD));
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(ms >= 900, "retried after " + ms + " ms, Retry-After was 1 s");
        } finally {
            server.throttleRetryAfterSeconds(0);
        }
    }

    @Test
    void managedHsmOctKeysWrapWithAesKeyWrap() {
        try (AzureKeyVaultFixture hsm = new AzureKeyVaultFixture(SETTINGS)) {
            KeyVaultTestServer s = hsm.server();
            s.actAsManagedHsm(true);
            KeyProvider p = hsm.provider();
            String name = AzureKeyVaultFixture.newName();
            KeySpec spec = p.validate(s.createOctHsmKey(name), s.clientSecretOptions());
            byte[] dek = dek();
            byte[] wrapped = p.wrap(spec, dek, AAD);
            assertEquals(0x02, wrapped[1], "A256KW");
            assertArrayEquals(dek, p.unwrap(spec, wrapped, AAD));
            wrapped[wrapped.length - 1] ^= 1;
            assertThrows(WrappedKeyInvalidException.class, () -> p.unwrap(spec, wrapped, AAD));
            p.check(spec);
            Map<String, String> rsaOnly = new HashMap<>(s.clientSecretOptions());
            rsaOnly.put("algorithm", "RSA-OAEP-256");
            KeySpec wrongAlg = p.validate(s.keyUri(name), rsaOnly);
            assertThrows(KeyMisconfiguredException.class, () -> p.wrap(wrongAlg, dek(), AAD));
            s.disable(name);
            assertThrows(KeyRevokedException.class, () -> p.check(spec));
        }
    }

    @Test
    void tokensTheVaultNoLongerAcceptsRevokeTheKey() {
        // Its own server: a provider keeps presenting its cached token until it expires.
        try (AzureKeyVaultFixture other = new AzureKeyVaultFixture(SETTINGS)) {
            KeyVaultTestServer s = other.server();
            KeySpec spec = other.provider().validate(s.createRsaKey(AzureKeyVaultFixture.newName()),
                    s.clientSecretOptions());
            other.provider().check(spec);
            s.forgetIssuedTokens();
            KeyRevokedException e = assertThrows(KeyRevokedException.class, () -> other.provider().check(spec));
            assertTrue(e.getMessage().contains("HTTP 401"), e.getMessage());
        }
    }

    @Test
    void aClientSecretTheCustomerDeletedIsRevoked() {
        try (AzureKeyVaultFixture other = new AzureKeyVaultFixture(SETTINGS)) {
            KeyVaultTestServer s = other.server();
            KeySpec spec = other.provider().validate(s.createRsaKey(AzureKeyVaultFixture.newName()),
                    s.clientSecretOptions());
            s.rotateClientSecret();
            KeyProvider fresh = new AzureKeyVaultProviderFactory().create(SETTINGS);
            KeyRevokedException e = assertThrows(KeyRevokedException.class, () -> fresh.check(spec));
            assertTrue(e.getMessage().contains("invalid_client"), e.getMessage());
            assertFalse(e.getMessage().contains(spec.option("clientSecret")));
        }
    }

    @Test
    void anUnreachableTokenEndpointIsUnavailable() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Map<String, String> o = new HashMap<>(server.clientSecretOptions());
        o.put("authorityHost", "https://localhost:" + closedPort);
        KeySpec spec = provider.validate(server.createRsaKey(AzureKeyVaultFixture.newName()), o);
        KeyProvider fresh = new AzureKeyVaultProviderFactory().create(
                new ProviderSettings(Duration.ofMillis(300), 1, Duration.ofMillis(1500)));
        assertThrows(KeyUnavailableException.class, () -> fresh.check(spec));
    }

    @Test
    void aCertificateTheProviderDoesNotTrustIsUnavailableNotRevoked() {
        Map<String, String> o = new HashMap<>(server.clientSecretOptions());
        o.put("trustCertificatePem", TestCertificate.forLoopback("localhost").pem());
        KeySpec spec = provider.validate(server.createRsaKey(AzureKeyVaultFixture.newName()), o);
        KeyUnavailableException e = assertThrows(KeyUnavailableException.class, () -> provider.check(spec));
        assertTrue(e.getMessage().contains("TLS"), e.getMessage());
    }

    @Test
    void failureMessagesNeverCarryTheClientSecretOrKeyBytes() {
        String name = AzureKeyVaultFixture.newName();
        KeySpec spec = key(server.createRsaKey(name));
        byte[] dek = dek();
        byte[] wrapped = provider.wrap(spec, dek, AAD);
        List<ProviderException> seen = new ArrayList<>();
        collect(seen, () -> provider.unwrap(spec, wrapped, "other".getBytes()));
        wrapped[wrapped.length - 5] ^= 1;
        collect(seen, () -> provider.unwrap(spec, wrapped, AAD));
        server.denyAccess(name);
        collect(seen, () -> provider.wrap(spec, dek, AAD));
        server.grantAccess(name);
        server.delete(name);
        collect(seen, () -> provider.check(spec));
        assertEquals(4, seen.size());
        String hex = java.util.HexFormat.of().formatHex(dek);
        for (ProviderException e : seen) {
            assertFalse(e.getMessage().contains(server.clientSecret()), e.getMessage());
            assertFalse(e.getMessage().toLowerCase().contains(hex), e.getMessage());
            assertEquals(0, e.getStackTrace().length);
            assertEquals(null, e.getCause());
        }
    }

    /**
     * docs/how-to/azure-keyvault.md, "Recovering without keyward": the wrapped bytes opened with the Key Vault REST
     * API (a token, one unwrapkey call) and a SHA-256, no keyward or Azure SDK class involved.
     */
    @Test
    void aWrappedKeyOpensWithTheKeyVaultRestApiAndASha256Alone() throws Exception {
        KeySpec spec = key(server.createRsaKey(AzureKeyVaultFixture.newName()));
        byte[] dek = dek();
        byte[] wrapped = provider.wrap(spec, dek, AAD);

        // 1. Split the bytes: 0x01 | alg | n | version (n bytes) | Key Vault ciphertext.
        assertEquals(1, wrapped[0]);
        String alg = wrapped[1] == 1 ? "RSA-OAEP-256" : "A256KW";
        int n = wrapped[2];
        String version = new String(wrapped, 3, n, StandardCharsets.US_ASCII);
        byte[] ciphertext = java.util.Arrays.copyOfRange(wrapped, 3 + n, wrapped.length);

        // 2. A token for https://vault.azure.net, then POST .../keys/<name>/<version>/unwrapkey.
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
                .sslContext(server.certificate().clientContext()).build();
        String form = "grant_type=client_credentials&client_id=" + server.clientId() + "&client_secret="
                + java.net.URLEncoder.encode(server.clientSecret(), StandardCharsets.UTF_8)
                + "&scope=https%3A%2F%2Fvault.azure.net%2F.default";
        String tokenJson = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.authorityHost()
                + "/" + server.tenantId() + "/oauth2/v2.0/token")).header("Content-Type",
                "application/x-www-form-urlencoded").POST(java.net.http.HttpRequest.BodyPublishers.ofString(form))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        String token = new com.fasterxml.jackson.databind.ObjectMapper().readTree(tokenJson).get("access_token")
                .asText();
        String body = "{\"alg\":\"" + alg + "\",\"value\":\""
                + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(ciphertext) + "\"}";
        var res = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(spec.keyUri() + "/" + version
                + "/unwrapkey?api-version=7.4")).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, res.statusCode(), res.body());
        byte[] plain = java.util.Base64.getUrlDecoder().decode(new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(res.body()).get("value").asText());

        // 3. The first 32 bytes are SHA-256 of keyward's AAD; the rest is the DEK.
        byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(AAD);
        assertArrayEquals(digest, java.util.Arrays.copyOf(plain, 32));
        assertArrayEquals(dek, java.util.Arrays.copyOfRange(plain, 32, plain.length));
    }

    private static void collect(List<ProviderException> into, Runnable r) {
        try {
            r.run();
        } catch (ProviderException e) {
            into.add(e);
        }
    }
}
