package io.keyward.provider.vault;

import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeySpec;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.WrappedKeyInvalidException;
import io.keyward.testing.vault.VaultAdmin;
import io.keyward.testing.vault.VaultTestServer;
import io.keyward.testing.vault.VaultTransitFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Vault-specific behaviour beyond the shared contract, through vault-java-driver against the in-memory Vault: logins
 * and token lifecycle, namespaces, TLS trust, sealed Vault, key versions, key types keyward refuses.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VaultTransitProviderTest {
    private static final byte[] AAD = "keyward/v1 dek|acme|k1".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private VaultTestServer server;
    private VaultAdmin admin;
    private KeyProvider provider;
    private VaultTransitFixture tokens;
    private VaultTransitFixture appRoles;

    @BeforeAll
    void start() {
        server = VaultTestServer.inMemory();
        admin = VaultAdmin.of(server);
        provider = new VaultTransitProvider(VaultTransitContractTest.SETTINGS);
        tokens = new VaultTransitFixture(server, provider, VaultTransitFixture.Login.TOKEN,
                VaultTransitContractTest.SETTINGS.deadline(), false);
        appRoles = new VaultTransitFixture(server, provider, VaultTransitFixture.Login.APPROLE,
                VaultTransitContractTest.SETTINGS.deadline(), false);
    }

    @AfterEach
    void heal() {
        server.start();
        server.delayResponses(Duration.ZERO);
        server.throttleNext(0);
        server.inMemoryVault().unseal();
        server.inMemoryVault().ignoreAssociatedData(false);
    }

    @AfterAll
    void stop() {
        server.close();
    }

    private static byte[] dek() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return b;
    }

    @Test
    void validateNormalisesTheReferenceAndKeepsCredentialsOutOfMessages() {
        KeySpec spec = provider.validate("vault-transit://tenants/acme/transit/kek-1",
                Map.of("address", "https://vault.example.com:8200/", "namespace", "org/team-a/", "token", "hvs.s3cr3t"));
        assertEquals("vault-transit", spec.provider());
        assertEquals("vault-transit://tenants/acme/transit/kek-1", spec.keyUri());
        assertEquals("https://vault.example.com:8200", spec.option("address"));
        assertEquals("org/team-a", spec.option("namespace"));
        assertEquals(Set.of("token", "secretId"), provider.secretOptions());
        assertFalse(spec.toString().contains("hvs.s3cr3t"));

        for (Map<String, String> bad : List.of(
                Map.of("address", "https://v:8200", "token", "hvs.s3cr3t with space"),
                Map.of("address", "https://v:8200", "roleId", "role-1", "secretId", "s3cr3t\u00e9"),
                Map.of("address", "https://user:s3cr3t@v:8200", "token", "hvs.s3cr3t"))) {
            KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class,
                    () -> provider.validate("vault-transit://transit/k", bad));
            assertFalse(e.getMessage().contains("s3cr3t"), e.getMessage());
        }
    }

    @Test
    void constructionAndValidationStartNoClientAndTouchNoNetwork() {
        long clientThreads = httpClientThreads();
        int requests = server.requestCount();
        long start = System.nanoTime();
        for (int i = 0; i < 200; i++) {
            KeyProvider p = new VaultTransitProviderFactory().create(VaultTransitContractTest.SETTINGS);
            p.validate("vault-transit://transit/k" + i, Map.of("address", server.address(), "token", "t"));
        }
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(2)) < 0);
        assertEquals(requests, server.requestCount());
        // (<=: a client of an earlier test may be collected meanwhile.)
        assertTrue(httpClientThreads() <= clientThreads, "HTTP clients are built on first use only");
    }

    private static long httpClientThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("HttpClient-") && t.getName().endsWith("SelectorManager"))
                .count();
    }

    @Test
    void validateSaysExactlyWhatIsWrong() {
        Map<String, String> ok = Map.of("address", "https://v:8200", "token", "t");
        assertMessage("key URI must name a mount and a key", "vault-transit://transit", ok);
        assertMessage("Transit key name 'a b' must match", "vault-transit://transit/a b", ok);
        assertMessage("must not end with '.'", "vault-transit://transit/k.", ok);
        assertMessage("not a Transit mount", "vault-transit://sys/k", ok);
        assertMessage("option 'address' is required", "vault-transit://transit/k", Map.of("token", "t"));
        assertMessage("scheme 'ftp'", "vault-transit://transit/k", Map.of("address", "ftp://v", "token", "t"));
        assertMessage("'secretId' is missing", "vault-transit://transit/k",
                Map.of("address", "https://v", "roleId", "r"));
        assertMessage("exactly one Vault login", "vault-transit://transit/k",
                Map.of("address", "https://v", "token", "t", "kubernetesRole", "r"));
        assertMessage("unknown option(s) [region]", "vault-transit://transit/k",
                Map.of("address", "https://v", "token", "t", "region", "eu"));
        assertMessage("without '/v1'", "vault-transit://transit/k", Map.of("address", "https://v/v1", "token", "t"));
        assertMessage("only applies to an https address", "vault-transit://transit/k",
                Map.of("address", "http://v", "token", "t", "caCertificate", "x"));
    }

    private void assertMessage(String expected, String uri, Map<String, String> options) {
        KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class,
                () -> provider.validate(uri, options));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void sealedVaultIsUnavailableAfterRetriesWithinTheDeadline() {
        KeySpec key = tokens.newKey();
        byte[] wrapped = provider.wrap(key, dek(), AAD);
        server.inMemoryVault().seal();
        int before = server.requestCount();
        long start = System.nanoTime();
        KeyUnavailableException e = assertThrows(KeyUnavailableException.class,
                () -> provider.unwrap(key, wrapped, AAD));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(e.getMessage().contains("sealed"), e.getMessage());
        assertEquals(3, server.requestCount() - before, "first attempt plus maxRetries=2");
        assertTrue(took.compareTo(VaultTransitContractTest.SETTINGS.deadline()) < 0, "took " + took);
        server.inMemoryVault().unseal();
        provider.unwrap(key, wrapped, AAD);
    }

    @Test
    void misconfigurationIsNotRetried() {
        KeySpec key = tokens.newKey();
        server.inMemoryVault().ignoreAssociatedData(true);
        int before = server.requestCount();
        KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class, () -> provider.check(key));
        assertTrue(e.getMessage().contains("ignored 'associated_data'"), e.getMessage());
        assertEquals(4, server.requestCount() - before, "read key, encrypt, decrypt, decrypt with other AAD");
    }

    @Test
    void oldVersionsUnwrapAfterRotationUntilMinDecryptionVersionThenTheyAreInvalidNotRevoked() {
        KeySpec key = tokens.newKey();
        String name = key.keyUri().substring(key.keyUri().lastIndexOf('/') + 1);
        byte[] dek = dek();
        byte[] v1 = provider.wrap(key, dek, AAD);
        admin.rotateKey(VaultTransitFixture.MOUNT, name);
        byte[] v2 = provider.wrap(key, dek, AAD);
        assertTrue(new String(v1, StandardCharsets.US_ASCII).startsWith("vault:v1:"));
        assertTrue(new String(v2, StandardCharsets.US_ASCII).startsWith("vault:v2:"));
        assertArrayEquals(dek, provider.unwrap(key, v1, AAD));

        admin.setMinDecryptionVersion(VaultTransitFixture.MOUNT, name, 2);
        // The version comes from the wrapped bytes a caller submits: never a reason to revoke the key.
        assertThrows(WrappedKeyInvalidException.class, () -> provider.unwrap(key, v1, AAD));
        byte[] forged = new String(v2, StandardCharsets.US_ASCII).replace("vault:v2:", "vault:v9:")
                .getBytes(StandardCharsets.US_ASCII);
        assertThrows(WrappedKeyInvalidException.class, () -> provider.unwrap(key, forged, AAD));
        assertThrows(WrappedKeyInvalidException.class,
                () -> provider.unwrap(key, "not vault".getBytes(StandardCharsets.US_ASCII), AAD));
        assertArrayEquals(dek, provider.unwrap(key, v2, AAD));
        provider.check(key);
    }

    @Test
    void checkRefusesKeysThatCannotBindAssociatedData() {
        String token = admin.createToken(List.of("keyward-odd-keys"), "1h");
        Map<String, List<String>> rules = new HashMap<>();
        for (String name : List.of("rsa-key", "derived-key")) {
            rules.putAll(VaultTransitFixture.rules(name, "grant"));
        }
        admin.writePolicy("keyward-odd-keys", rules);
        admin.createKey(VaultTransitFixture.MOUNT, "rsa-key", "rsa-2048");
        admin.createDerivedKey(VaultTransitFixture.MOUNT, "derived-key");
        Map<String, String> options = Map.of("address", server.address(), "token", token);

        KeySpec rsa = provider.validate(VaultTransitFixture.keyUri("rsa-key"), options);
        KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class, () -> provider.check(rsa));
        assertTrue(e.getMessage().contains("type 'rsa-2048'"), e.getMessage());

        KeySpec derived = provider.validate(VaultTransitFixture.keyUri("derived-key"), options);
        e = assertThrows(KeyMisconfiguredException.class, () -> provider.check(derived));
        assertTrue(e.getMessage().contains("derived"), e.getMessage());
        // Even without the check, a derived key's "missing 'context'" answer is a configuration problem.
        assertThrows(KeyMisconfiguredException.class, () -> provider.wrap(derived, dek(), AAD));
    }

    @Test
    void appRoleTokenIsCachedThenRenewedThenReplacedByAFreshLogin() throws Exception {
        String name = "kek-ttl";
        admin.createKey(VaultTransitFixture.MOUNT, name, "aes256-gcm96");
        admin.writePolicy("keyward-" + name, VaultTransitFixture.rules(name, "grant"));
        VaultAdmin.AppRoleLogin creds = admin.createAppRole(VaultTransitFixture.APPROLE_MOUNT, name,
                List.of("keyward-" + name), "4s");
        KeySpec key = provider.validate(VaultTransitFixture.keyUri(name), Map.of("address", server.address(),
                "roleId", creds.roleId(), "secretId", creds.secretId()));
        int logins = server.inMemoryVault().logins();
        int renewals = server.inMemoryVault().renewals();

        long t0 = System.nanoTime();
        byte[] dek = dek();
        byte[] wrapped = provider.wrap(key, dek, AAD);
        for (int i = 0; i < 5; i++) {
            assertArrayEquals(dek, provider.unwrap(key, wrapped, AAD));
        }
        assertEquals(logins + 1, server.inMemoryVault().logins(), "one login serves many calls");

        // Past 2/3 of the 4 s TTL (2.7 s), before its end: renew-self, no new login.
        Thread.sleep(Math.max(0, 3100 - (System.nanoTime() - t0) / 1_000_000));
        provider.unwrap(key, wrapped, AAD);
        assertEquals(renewals + 1, server.inMemoryVault().renewals());
        assertEquals(logins + 1, server.inMemoryVault().logins());

        // Tokens revoked behind keyward's back: the 403 gets one fresh login, and the call succeeds.
        server.inMemoryVault().revokeAllTokens();
        assertArrayEquals(dek, provider.unwrap(key, wrapped, AAD));
        assertEquals(logins + 2, server.inMemoryVault().logins());

        admin.destroySecretId(VaultTransitFixture.APPROLE_MOUNT, name, creds.secretId());
        admin.deletePolicy("keyward-" + name);
        KeyRevokedException e = assertThrows(KeyRevokedException.class, () -> provider.unwrap(key, wrapped, AAD));
        assertTrue(e.getMessage().contains("AppRole"), e.getMessage());
        assertFalse(e.getMessage().contains(creds.secretId()));
    }

    @Test
    void concurrentCallersShareOneLogin() throws Exception {
        KeySpec key = appRoles.newKey();
        byte[] dek = dek();
        int logins = server.inMemoryVault().logins();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<byte[]>> results = new java.util.ArrayList<>();
            for (int i = 0; i < 32; i++) {
                results.add(pool.submit(() -> provider.unwrap(key, provider.wrap(key, dek, AAD), AAD)));
            }
            for (java.util.concurrent.Future<byte[]> r : results) {
                assertArrayEquals(dek, r.get());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(logins + 1, server.inMemoryVault().logins());
    }

    @Test
    void kubernetesLoginExchangesTheServiceAccountToken() throws Exception {
        admin.enableAuth("k8s-prod", "kubernetes");
        String name = "kek-k8s";
        admin.createKey(VaultTransitFixture.MOUNT, name, "aes256-gcm96");
        admin.writePolicy("keyward-" + name, VaultTransitFixture.rules(name, "grant"));
        admin.createKubernetesRole("k8s-prod", "keyward", "keyward", "keyward-system", List.of("keyward-" + name));
        Path jwt = Files.createTempFile("sa-token", "");
        Path intruderJwt = Files.createTempFile("sa-token", "");
        try {
            Files.writeString(jwt, serviceAccountJwt("keyward-system", "keyward"));
            KeySpec key = provider.validate(VaultTransitFixture.keyUri(name), Map.of("address", server.address(),
                    "kubernetesRole", "keyward", "kubernetesJwtPath", jwt.toString(), "authMount", "k8s-prod"));
            byte[] dek = dek();
            assertArrayEquals(dek, provider.unwrap(key, provider.wrap(key, dek, AAD), AAD));
            provider.check(key);

            Files.writeString(intruderJwt, serviceAccountJwt("default", "intruder"));
            KeySpec other = provider.validate(VaultTransitFixture.keyUri(name), Map.of("address", server.address(),
                    "kubernetesRole", "keyward", "kubernetesJwtPath", intruderJwt.toString(), "authMount",
                    "k8s-prod"));
            KeyRevokedException e = assertThrows(KeyRevokedException.class, () -> provider.check(other));
            assertTrue(e.getMessage().contains("Kubernetes"), e.getMessage());
        } finally {
            Files.deleteIfExists(jwt);
            Files.deleteIfExists(intruderJwt);
        }
        KeySpec missing = provider.validate(VaultTransitFixture.keyUri(name), Map.of("address", server.address(),
                "kubernetesRole", "keyward", "kubernetesJwtPath", jwt.toString()));
        KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class, () -> provider.check(missing));
        assertTrue(e.getMessage().contains("service-account token"), e.getMessage());
    }

    private static String serviceAccountJwt(String namespace, String name) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString("{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(("{\"sub\":\"system:serviceaccount:" + namespace + ":" + name + "\"}")
                        .getBytes(StandardCharsets.UTF_8)) + ".c2ln";
    }

    @Test
    void namespaceIsSentWithEveryRequest() {
        admin.enableTransitInNamespace("team-a", VaultTransitFixture.MOUNT);
        admin.createKeyInNamespace("team-a", VaultTransitFixture.MOUNT, "kek-ns");
        admin.writePolicy("keyward-kek-ns", VaultTransitFixture.rules("kek-ns", "grant"));
        String token = admin.createToken(List.of("keyward-kek-ns"), "1h");
        KeySpec key = provider.validate(VaultTransitFixture.keyUri("kek-ns"),
                Map.of("address", server.address(), "token", token, "namespace", "team-a/"));
        byte[] dek = dek();
        assertArrayEquals(dek, provider.unwrap(key, provider.wrap(key, dek, AAD), AAD));
        provider.check(key);

        KeySpec outside = provider.validate(VaultTransitFixture.keyUri("kek-ns"),
                Map.of("address", server.address(), "token", token));
        assertThrows(KeyRevokedException.class, () -> provider.check(outside));
    }

    @Test
    void tlsTrustsTheCustomersCaCertificateOnly() {
        try (VaultTestServer tls = VaultTestServer.inMemoryTls();
             VaultTransitFixture fixture = new VaultTransitFixture(tls, provider, VaultTransitFixture.Login.TOKEN,
                     VaultTransitContractTest.SETTINGS.deadline(), false)) {
            KeySpec key = fixture.newKey();
            assertTrue(key.option("address").startsWith("https://"));
            byte[] dek = dek();
            assertArrayEquals(dek, provider.unwrap(key, provider.wrap(key, dek, AAD), AAD));
            provider.check(key);

            Map<String, String> withoutCa = new HashMap<>(key.options());
            withoutCa.remove("caCertificate");
            KeySpec untrusted = provider.validate(key.keyUri(), withoutCa);
            KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class,
                    () -> provider.check(untrusted));
            assertTrue(e.getMessage().contains("TLS handshake"), e.getMessage());
        }
    }

    @Test
    void revokedStaticTokenIsRevokedAndTheMessageHoldsNoCredential() {
        KeySpec key = tokens.newKey();
        byte[] wrapped = provider.wrap(key, dek(), AAD);
        tokens.denyAccess(key);
        ProviderException e = assertThrows(KeyRevokedException.class, () -> provider.unwrap(key, wrapped, AAD));
        assertTrue(e.getMessage().contains("HTTP 403"), e.getMessage());
        assertFalse(e.getMessage().contains(key.option("token")));
        assertTrue(e.getStackTrace().length == 0 && e.getCause() == null, "no SDK exception or trace escapes");
    }

    @Test
    void disabledTransitMountIsRevoked() {
        admin.enableTransit("gone/transit");
        admin.createKey("gone/transit", "kek-gone", "aes256-gcm96");
        admin.writePolicy("keyward-gone", Map.of("gone/transit/encrypt/kek-gone", List.of("update"),
                "gone/transit/decrypt/kek-gone", List.of("update"), "gone/transit/keys/kek-gone", List.of("read")));
        String token = admin.createToken(List.of("keyward-gone"), "1h");
        KeySpec key = provider.validate("vault-transit://gone/transit/kek-gone",
                Map.of("address", server.address(), "token", token));
        byte[] wrapped = provider.wrap(key, dek(), AAD);
        provider.check(key);

        admin.disableMount("gone/transit");
        assertThrows(KeyRevokedException.class, () -> provider.check(key));
        KeyRevokedException e = assertThrows(KeyRevokedException.class, () -> provider.unwrap(key, wrapped, AAD));
        assertTrue(e.getMessage().contains("no Transit mount 'gone/transit'"), e.getMessage());
    }

    @Test
    void aKeyOutsideKeywardsPolicyIsRevoked() {
        KeySpec key = appRoles.newKey();
        provider.check(key);
        KeySpec elsewhere = provider.validate("vault-transit://other/transit/"
                + key.keyUri().substring(key.keyUri().lastIndexOf('/') + 1), key.options());
        // Vault checks the ACL before routing: 403 for a path the policy does not grant, mounted or not.
        assertThrows(KeyRevokedException.class, () -> provider.check(elsewhere));
    }
}
