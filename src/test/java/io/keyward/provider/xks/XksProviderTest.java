package io.keyward.provider.xks;

import io.keyward.provider.CallContext;
import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeySpec;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.WrappedKeyInvalidException;
import io.keyward.testing.xks.XksFixture;
import io.keyward.testing.xks.XksTestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Provider behaviour beyond the shared contract, against the XKS test proxy over HTTPS. */
class XksProviderTest {

    @Test
    void aWrongSecretIsMisconfiguredNamingAuthenticationWithoutTheSecret() {
        try (XksTestServer proxy = XksTestServer.start("")) {
            XksFixture fixture = new XksFixture(proxy, new XksProvider(XksContractTest.SETTINGS),
                    Duration.ofMillis(1500), false);
            KeySpec good = fixture.newKey();
            String wrong = XksFixture.secretAccessKey();
            KeySpec bad = fixture.provider().validate(good.keyUri(), fixture.options(wrong));
            KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class,
                    () -> fixture.provider().check(bad));
            assertTrue(e.getMessage().contains("authentication"), e.getMessage());
            assertFalse(e.getMessage().contains(wrong), e.getMessage());
            assertFalse(e.getMessage().contains(fixture.secretInUse()), e.getMessage());
            fixture.provider().check(good);
        }
    }

    @Test
    void requestMetadataNamesTenantKeyCallerAndRequest() {
        try (XksTestServer proxy = XksTestServer.start("a/b-c")) {
            XksFixture fixture = new XksFixture(proxy, new XksProvider(XksContractTest.SETTINGS),
                    Duration.ofMillis(1500), false);
            KeySpec key = fixture.newKey();
            new CallContext("acme", "tk_1", "wrap", "api-key:ak_x1", "req-42").run(() ->
                    fixture.provider().wrap(key, new byte[32], "aad".getBytes()));
            XksTestServer.Received r = proxy.received().get(proxy.received().size() - 1);
            assertEquals("encrypt", r.api());
            assertEquals("keyward:tenant/acme/actor/api-key:ak_x1", r.requestMetadata().path("awsPrincipalArn").asText());
            assertEquals("keyward:tenant/acme/key/tk_1", r.requestMetadata().path("kmsKeyArn").asText());
            assertEquals("Encrypt", r.requestMetadata().path("kmsOperation").asText());
            assertEquals("req-42", r.requestMetadata().path("kmsRequestId").asText());
            assertEquals("keyward", r.requestMetadata().path("kmsViaService").asText());
        }
    }

    @Test
    void mutualTlsPresentsTheClientCertificateAndIsRefusedWithoutIt() {
        try (XksTestServer proxy = XksTestServer.withMutualTls("kw")) {
            XksFixture fixture = new XksFixture(proxy, new XksProvider(XksContractTest.SETTINGS),
                    Duration.ofMillis(1500), false);
            String id = "kek-mtls";
            proxy.createKey(id);
            Map<String, String> options = new HashMap<>(fixture.options(fixture.secretInUse()));
            KeySpec without = fixture.provider().validate(fixture.keyUri(id), options);
            // Pinned to unavailable: with TLS 1.3 (the JDK's default on both ends) the proxy checks the client
            // certificate after the client's side of the handshake is done, and keyward sees only the connection
            // closing without an answer ("header parser received no bytes"), which it cannot tell from a proxy that
            // crashed mid-request. Calling that misconfigured would turn a real outage into a configuration error;
            // calling it revoked would be wrong either way. The message carries the mutual TLS hint instead.
            KeyUnavailableException refused = assertThrows(KeyUnavailableException.class,
                    () -> fixture.provider().check(without));
            assertTrue(refused.getMessage().contains("clientCertificate"), refused.getMessage());
            options.put("clientCertificate", proxy.clientCertificate().pem());
            options.put("clientKey", proxy.clientCertificate().keyPem());
            KeySpec with = fixture.provider().validate(fixture.keyUri(id), options);
            fixture.provider().check(with);
            byte[] dek = new byte[32];
            dek[0] = 7;
            assertArrayEquals(dek, fixture.provider().unwrap(with, fixture.provider().wrap(with, dek, null), null));
        }
    }

    @Test
    void anUntrustedProxyCertificateIsMisconfiguredNotAnOutage() {
        try (XksTestServer proxy = XksTestServer.start("kw")) {
            XksFixture fixture = new XksFixture(proxy, new XksProvider(XksContractTest.SETTINGS),
                    Duration.ofMillis(1500), false);
            proxy.createKey("k1");
            Map<String, String> options = new HashMap<>(fixture.options(fixture.secretInUse()));
            options.remove("caCertificate");
            KeySpec key = fixture.provider().validate(fixture.keyUri("k1"), options);
            KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class,
                    () -> fixture.provider().check(key));
            assertTrue(e.getMessage().contains("caCertificate"), e.getMessage());
        }
    }

    private static XksFixture fixture(XksTestServer proxy) {
        return new XksFixture(proxy, new XksProvider(XksContractTest.SETTINGS), XksContractTest.SETTINGS.deadline(),
                false);
    }

    private static final byte[] AAD = "keyward/v1 tenant acme key tk_1".getBytes(StandardCharsets.US_ASCII);

    /** The wrapped key with one byte of its ciphertextMetadata (format 1: version, n, IV, m, metadata...) changed. */
    private static byte[] withOtherMetadata(byte[] wrapped) {
        byte[] b = wrapped.clone();
        int n = b[1];
        int m = b[2 + n];
        assertTrue(m > 0, "the test proxy returns ciphertextMetadata");
        b[3 + n + m - 1] ^= 0x03; // "kv=1" -> "kv=2": a key version the proxy does not know
        return b;
    }

    private static byte[] withOtherIv(byte[] wrapped) {
        byte[] b = wrapped.clone();
        b[2] ^= 0x01;
        return b;
    }

    private static void assertStillUsable(XksFixture fixture, KeySpec key, byte[] wrapped, byte[] dek) {
        assertArrayEquals(dek, fixture.provider().unwrap(key, wrapped, AAD));
        fixture.provider().check(key);
    }

    private static byte[] dek() {
        byte[] dek = new byte[32];
        new java.security.SecureRandom().nextBytes(dek);
        return dek;
    }

    /**
     * H3: an attacker who can submit a wrapped key chooses its ciphertextMetadata and IV. Whatever error name the
     * proxy answers decrypt with (InvalidCiphertextException as the spec says, or a revoked-class name as a key-
     * versioning proxy may), the key is confirmed ENABLED by metadata, so the answer is an invalid wrapped key and
     * the key keeps working.
     */
    @ParameterizedTest(name = "decrypt refused with {1} {0}")
    @CsvSource({"InvalidCiphertextException, 400", "KeyNotFoundException, 404", "InvalidStateException, 400",
            "InvalidKeyUsageException, 400", "AccessDeniedException, 403"})
    void alteredMetadataOrIvIsAnInvalidWrappedKeyAndTheKeyStaysUsable(String errorName, int status) {
        try (XksTestServer proxy = XksTestServer.start("kw")) {
            XksFixture fixture = fixture(proxy);
            KeySpec key = fixture.newKey();
            byte[] dek = dek();
            byte[] wrapped = fixture.provider().wrap(key, dek, AAD);
            if (!errorName.equals("InvalidCiphertextException")) {
                proxy.refuseBadCiphertextWith(status, errorName);
            }
            for (byte[] forged : List.of(withOtherMetadata(wrapped), withOtherIv(wrapped))) {
                assertThrows(WrappedKeyInvalidException.class, () -> fixture.provider().unwrap(key, forged, AAD));
            }
            assertStillUsable(fixture, key, wrapped, dek);
        }
    }

    @Test
    void keyNotFoundForAnUnknownMetadataVersionWhileTheKeyIsEnabledIsInvalidNotRevoked() {
        try (XksTestServer proxy = XksTestServer.start("kw")) {
            XksFixture fixture = fixture(proxy);
            KeySpec key = fixture.newKey();
            byte[] dek = dek();
            byte[] wrapped = fixture.provider().wrap(key, dek, AAD);
            proxy.refuseBadCiphertextWith(404, "KeyNotFoundException");
            int before = proxy.received().size();
            WrappedKeyInvalidException e = assertThrows(WrappedKeyInvalidException.class,
                    () -> fixture.provider().unwrap(key, withOtherMetadata(wrapped), AAD));
            assertTrue(e.getMessage().contains("ENABLED"), e.getMessage());
            List<String> calls = proxy.received().subList(before, proxy.received().size()).stream()
                    .map(XksTestServer.Received::api).toList();
            assertEquals(List.of("decrypt", "metadata"), calls, "the suspicion is confirmed with metadata");
            XksTestServer.Received confirm = proxy.received().get(proxy.received().size() - 1);
            assertEquals("DescribeKey", confirm.requestMetadata().path("kmsOperation").asText());
            assertStillUsable(fixture, key, wrapped, dek);
        }
    }

    /** The same refusal while the key really is gone or cut off is a revocation: metadata says so too. */
    @Test
    void aDecryptRefusalConfirmedByMetadataIsRevoked() {
        try (XksTestServer proxy = XksTestServer.start("kw")) {
            XksFixture fixture = fixture(proxy);
            proxy.refuseBadCiphertextWith(404, "KeyNotFoundException");
            KeySpec disabled = fixture.newKey();
            byte[] w1 = fixture.provider().wrap(disabled, dek(), AAD);
            fixture.disable(disabled);
            assertThrows(KeyRevokedException.class, () -> fixture.provider().unwrap(disabled, w1, AAD));
            assertThrows(KeyRevokedException.class,
                    () -> fixture.provider().unwrap(disabled, withOtherMetadata(w1), AAD));
            KeySpec denied = fixture.newKey();
            byte[] w2 = fixture.provider().wrap(denied, dek(), AAD);
            fixture.denyAccess(denied);
            assertThrows(KeyRevokedException.class, () -> fixture.provider().unwrap(denied, w2, AAD));
            KeySpec deleted = fixture.newKey();
            byte[] w3 = fixture.provider().wrap(deleted, dek(), AAD);
            fixture.delete(deleted);
            assertThrows(KeyRevokedException.class, () -> fixture.provider().unwrap(deleted, w3, AAD));
        }
    }

    /** The confirmation cannot get an answer: unavailable, within the call's deadline, never revoked. */
    @Test
    void aRefusalThatMetadataCannotConfirmIsUnavailableWithinTheDeadline() {
        try (XksTestServer proxy = XksTestServer.start("kw")) {
            XksFixture fixture = fixture(proxy);
            KeySpec key = fixture.newKey();
            byte[] dek = dek();
            byte[] wrapped = fixture.provider().wrap(key, dek, AAD);
            proxy.refuseBadCiphertextWith(404, "KeyNotFoundException");
            proxy.failApi("metadata", 503, "DependencyTimeoutException");
            long start = System.nanoTime();
            KeyUnavailableException e = assertThrows(KeyUnavailableException.class,
                    () -> fixture.provider().unwrap(key, withOtherMetadata(wrapped), AAD));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < XksContractTest.SETTINGS.deadline().toMillis() + 250, millis + " ms");
            assertTrue(e.getMessage().contains("revoked key from a refused wrapped key"), e.getMessage());
            proxy.failApi("metadata", 0, null);
            proxy.refuseBadCiphertextWith(0, null);
            assertStillUsable(fixture, key, wrapped, dek);
        }
    }

    /** H3: a 403 without an XKS error name comes from something in front of the proxy, not from the customer. */
    @Test
    void aBare403IsMisconfiguredNeverRevoked() {
        try (XksTestServer proxy = XksTestServer.start("kw")) {
            XksFixture fixture = fixture(proxy);
            KeySpec key = fixture.newKey();
            byte[] dek = dek();
            byte[] wrapped = fixture.provider().wrap(key, dek, AAD);
            proxy.frontAnswers(403, "<html><body><h1>403 Forbidden</h1>Request blocked by WAF</body></html>");
            KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class,
                    () -> fixture.provider().unwrap(key, wrapped, AAD));
            assertTrue(e.getMessage().contains("403") && e.getMessage().contains("not treated as a revocation"),
                    e.getMessage());
            assertThrows(KeyMisconfiguredException.class, () -> fixture.provider().wrap(key, dek, AAD));
            assertThrows(KeyMisconfiguredException.class, () -> fixture.provider().check(key));
            proxy.frontAnswers(403, "{\"message\":\"Forbidden\"}");
            assertThrows(KeyMisconfiguredException.class, () -> fixture.provider().unwrap(key, wrapped, AAD));
            proxy.frontAnswers(0, null);
            assertStillUsable(fixture, key, wrapped, dek);
        }
    }

    /** M4: the proxy's host is the tenant's; keyward reads at most 64 KiB of any answer. */
    @ParameterizedTest(name = "chunked={0}")
    @ValueSource(booleans = {true, false})
    void anOversizedAnswerIsUnavailableAndNotReadToTheEnd(boolean chunked) {
        try (XksTestServer proxy = XksTestServer.start("kw")) {
            XksFixture fixture = fixture(proxy);
            KeySpec key = fixture.newKey();
            // 1 GiB: read to the end, it would exhaust the attempt timeout (and the heap) long before the cap says so.
            proxy.oversizedResponses(1L << 30, chunked);
            long start = System.nanoTime();
            KeyUnavailableException e = assertThrows(KeyUnavailableException.class,
                    () -> fixture.provider().wrap(key, dek(), AAD));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(e.getMessage().contains("over 65536 bytes"), e.getMessage());
            assertTrue(millis < XksContractTest.SETTINGS.attemptTimeout().toMillis(), millis + " ms");
            proxy.oversizedResponses(0, false);
            fixture.provider().check(key);
        }
    }

    @Test
    void anAnswerOfExactlyTheCapIsRead() {
        try (XksTestServer proxy = XksTestServer.start("kw")) {
            XksFixture fixture = fixture(proxy);
            KeySpec key = fixture.newKey();
            proxy.oversizedResponses(XksClient.MAX_RESPONSE, true);
            // Read whole, then refused for what it is: a JSON object without the encrypt fields.
            KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class,
                    () -> fixture.provider().wrap(key, dek(), AAD));
            assertTrue(e.getMessage().contains("without 'ciphertext'"), e.getMessage());
        }
    }

    /** L1: keyward asks for a CDIV, so the spec says the proxy MUST return one. */
    @Test
    void encryptWithoutTheRequestedCdivIsMisconfigured() {
        try (XksTestServer proxy = XksTestServer.start("kw")) {
            XksFixture fixture = fixture(proxy);
            KeySpec key = fixture.newKey();
            proxy.omitCdiv(true);
            KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class,
                    () -> fixture.provider().wrap(key, dek(), AAD));
            assertTrue(e.getMessage().contains("proxy returned no ciphertextDataIntegrityValue"), e.getMessage());
            assertThrows(KeyMisconfiguredException.class, () -> fixture.provider().check(key));
            proxy.omitCdiv(false);
            byte[] dek = dek();
            assertArrayEquals(dek, fixture.provider().unwrap(key, fixture.provider().wrap(key, dek, AAD), AAD));
        }
    }
}
