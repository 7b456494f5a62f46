package io.keyward.provider.xks;

import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeySpec;
import io.keyward.provider.ProviderSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Key URI and option parsing, against the syntax rules of the XKS proxy API. No network. */
class XksKeyReferenceTest {
    static final String SECRET = "FYtE5EFA5FT0mCc3DrGUe2sti527BitkQ0Zr9MO9fvE";
    static final Map<String, String> OK = Map.of("accessKeyId", "AKIAI2SFODNN7EXAMPLE", "secretAccessKey", SECRET,
            "region", "eu-west-1");

    @Test
    void aPrefixOfSeveralSegmentsBecomesTheSpecsUriPath() {
        XksKeyReference k = XksKeyReference.parse("xks://XKS.Example.com:8443/keystores/4a0d-79d6/keys/kek_1.v2", OK);
        assertEquals("xks.example.com", k.host());
        assertEquals("keystores/4a0d-79d6", k.prefix());
        assertEquals("kek_1.v2", k.keyId());
        assertEquals("https://xks.example.com:8443/keystores/4a0d-79d6/kms/xks/v1/keys/kek_1.v2/encrypt",
                k.operationUri("encrypt").toString());
        assertEquals("https://xks.example.com:8443/keystores/4a0d-79d6/kms/xks/v1/health", k.healthUri().toString());
        assertEquals("xks://xks.example.com:8443/keystores/4a0d-79d6/keys/kek_1.v2", k.keyUri());
    }

    @Test
    void anEmptyPrefixAndTheDefaultPortAreAllowed() {
        XksKeyReference k = XksKeyReference.parse("xks://xks.example.com:443/keys/k1", OK);
        assertEquals("", k.prefix());
        assertEquals("https://xks.example.com/kms/xks/v1/keys/k1/metadata", k.operationUri("metadata").toString());
        assertEquals("xks://xks.example.com/keys/k1", k.keyUri());
    }

    @ParameterizedTest
    @ValueSource(strings = {"xks://h/keys/", "xks://h/p/k1", "xks:///p/keys/k1", "xks://h/p//q/keys/k1",
            "xks://h/p/keys/bad key", "xks://h/p/keys/k1?x", "xks://h/p/keys/k1#f", "xks://h/p/keys/..",
            "xks://h/p.q/keys/k1", "xks://h/p/kms/xks/v1/keys/k1", "xks://h:0/p/keys/k1", "xks://h:x/p/keys/k1",
            "xks://u@h/p/keys/k1", "https://h/p/keys/k1", "xks://h/p/keys/k%31", "xks://-h/p/keys/k1",
            "xks://h/p/keys/k1/encrypt", "xks://h/p/keysk1"})
    void malformedKeyUrisAreRefused(String uri) {
        KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class,
                () -> XksKeyReference.parse(uri, OK));
        assertTrue(e.getMessage().length() > 10);
    }

    @Test
    void lengthLimitsOfTheSpecHold() {
        assertThrows(KeyMisconfiguredException.class,
                () -> XksKeyReference.parse("xks://h/p/keys/" + "k".repeat(129), OK));
        XksKeyReference.parse("xks://h/p/keys/" + "k".repeat(128), OK);
        // XksProxyUriPath '/<prefix>/kms/xks/v1' at most 128 characters
        assertThrows(KeyMisconfiguredException.class,
                () -> XksKeyReference.parse("xks://h/" + "p".repeat(117) + "/keys/k", OK));
        XksKeyReference.parse("xks://h/" + "p".repeat(116) + "/keys/k", OK);
    }

    @Test
    void optionsAreCheckedAndTheSecretIsNeverEchoed() {
        for (Map.Entry<String, String> bad : Map.of("accessKeyId", "akia-lower", "secretAccessKey", "short",
                "region", "EU WEST", "caCertificate", "-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----",
                "clientCertificate", "x", "colour", "blue").entrySet()) {
            Map<String, String> options = new HashMap<>(OK);
            options.put(bad.getKey(), bad.getValue());
            KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class,
                    () -> XksKeyReference.parse("xks://h/p/keys/k1", options), bad.getKey());
            assertFalse(e.getMessage().contains(SECRET), e.getMessage());
        }
        Map<String, String> secretWithSpace = new HashMap<>(OK);
        secretWithSpace.put("secretAccessKey", SECRET + " oops");
        KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class,
                () -> XksKeyReference.parse("xks://h/p/keys/k1", secretWithSpace));
        assertFalse(e.getMessage().contains(SECRET), e.getMessage());
        Map<String, String> keyWithoutCert = new HashMap<>(OK);
        keyWithoutCert.put("clientKey", "-----BEGIN PRIVATE KEY-----\n" + SECRET + "\n-----END PRIVATE KEY-----");
        e = assertThrows(KeyMisconfiguredException.class,
                () -> XksKeyReference.parse("xks://h/p/keys/k1", keyWithoutCert));
        assertFalse(e.getMessage().contains(SECRET), e.getMessage());
    }

    @Test
    void theProviderDeclaresItsSecretsAndItsSpecPrintsNoValues() {
        XksProvider p = new XksProvider(new ProviderSettings(Duration.ofSeconds(1), 0, Duration.ofSeconds(2)));
        assertEquals(java.util.Set.of("secretAccessKey", "clientKey"), p.secretOptions());
        KeySpec spec = p.validate("xks://h/p/keys/k1", OK);
        assertFalse(spec.toString().contains(SECRET));
        assertFalse(XksKeyReference.parse(spec.keyUri(), spec.options()).toString().contains(SECRET));
    }
}
