package io.keyward.provider.xks;

import io.keyward.provider.CallContext;
import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeySpec;
import io.keyward.testing.xks.XksFixture;
import io.keyward.testing.xks.XksTestServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
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
            assertThrows(io.keyward.provider.ProviderException.class, () -> fixture.provider().check(without));
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
}
