package io.keyward.keys;

import io.keyward.testing.Api;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.keyward.keys.KeysTestSupport.cacheRequests;
import static io.keyward.keys.KeysTestSupport.localCalls;
import static io.keyward.keys.KeysTestSupport.localKms;
import static io.keyward.keys.KeysTestSupport.tenant;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code keyward.cache.max-age=0} turns DEK caching off (KeywardConfig): every data operation is one provider
 * call, nothing is cached for the prober to watch, and a key disabled at the KMS bites on the next request.
 */
@QuarkusTest
@TestProfile(NoDekCacheTest.CachingOff.class)
class NoDekCacheTest {
    private static final int N = 25;
    private static final Map<String, String> CTX = Map.of("row", "1");

    public static class CachingOff implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("keyward.cache.max-age", "0");
        }
    }

    @Inject
    DekCaches caches;

    @Test
    void everyEncryptAndEveryDecryptCallsTheProvider() {
        String tenant = Api.unique("nocache");
        String keyId = Api.tenantWithLocalKey(tenant, Api.unique("kek"));
        String app = Api.appToken(tenant);
        long wraps = localCalls("wrap");
        long unwraps = localCalls("unwrap");
        long cacheLookups = cacheRequests("encrypt", "hit") + cacheRequests("encrypt", "miss")
                + cacheRequests("decrypt", "hit") + cacheRequests("decrypt", "miss");

        List<String> cts = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            cts.add(Api.encrypt(app, tenant, ("row " + i).getBytes(StandardCharsets.UTF_8), CTX).statusCode(200)
                    .extract().path("ciphertext"));
        }
        assertEquals(N, localCalls("wrap") - wraps, "one wrap per encrypt");
        assertEquals(N, cts.stream().map(c -> java.util.HexFormat.of().formatHex(
                KeysTestSupport.wrappedDek(Api.unb64(c)))).distinct().count(), "a fresh DEK per message");

        for (int i = 0; i < N; i++) {
            String pt = Api.decrypt(app, tenant, cts.get(i), CTX).statusCode(200).extract().path("plaintext");
            assertArrayEquals(("row " + i).getBytes(StandardCharsets.UTF_8), Api.unb64(pt));
        }
        // Decrypting the same envelope again is not served from anywhere either.
        Api.decrypt(app, tenant, cts.get(0), CTX).statusCode(200);
        assertEquals(N + 1, localCalls("unwrap") - unwraps, "one unwrap per decrypt");

        assertEquals(cacheLookups, cacheRequests("encrypt", "hit") + cacheRequests("encrypt", "miss")
                + cacheRequests("decrypt", "hit") + cacheRequests("decrypt", "miss"), "the caches are bypassed");
        assertTrue(caches.cachedKeyIds().stream().noneMatch(keyId::equals), "nothing cached for this key");
    }

    @Test
    void disabledKeyBitesOnTheNextEncrypt() {
        String tenant = Api.unique("nocache");
        String kek = Api.unique("kek");
        Api.tenantWithLocalKey(tenant, kek);
        String app = Api.appToken(tenant);
        Api.encrypt(app, tenant, "warm".getBytes(StandardCharsets.UTF_8), CTX).statusCode(200);
        localKms(kek, "disable").statusCode(200);
        long revoked = localCalls("wrap", "revoked");

        Api.encrypt(app, tenant, "next".getBytes(StandardCharsets.UTF_8), CTX).statusCode(403)
                .body("code", equalTo("KEY_REVOKED"));

        assertEquals(1, localCalls("wrap", "revoked") - revoked, "the request itself found the key disabled");
        tenant(tenant).statusCode(200).body("state", equalTo("REVOKED"));
    }

    @Test
    void disabledKeyBitesOnTheNextDecrypt() {
        String tenant = Api.unique("nocache");
        String kek = Api.unique("kek");
        Api.tenantWithLocalKey(tenant, kek);
        String app = Api.appToken(tenant);
        String ct = Api.encrypt(app, tenant, "warm".getBytes(StandardCharsets.UTF_8), CTX).statusCode(200)
                .extract().path("ciphertext");
        Api.decrypt(app, tenant, ct, CTX).statusCode(200);
        localKms(kek, "disable").statusCode(200);
        long revoked = localCalls("unwrap", "revoked");

        Api.decrypt(app, tenant, ct, CTX).statusCode(403).body("code", equalTo("KEY_REVOKED"));

        assertEquals(1, localCalls("unwrap", "revoked") - revoked, "the request itself found the key disabled");
        Api.encrypt(app, tenant, "after".getBytes(StandardCharsets.UTF_8), CTX).statusCode(403)
                .body("code", equalTo("KEY_REVOKED"));
    }

    @Test
    void tamperedWrappedDekWithoutCachingIsInvalidCiphertextNotRevocation() {
        String tenant = Api.unique("nocache");
        Api.tenantWithLocalKey(tenant, Api.unique("kek"));
        String app = Api.appToken(tenant);
        String ct = Api.encrypt(app, tenant, "intact".getBytes(StandardCharsets.UTF_8), CTX).statusCode(200)
                .extract().path("ciphertext");
        byte[] bad = Api.unb64(ct);
        int[] region = KeysTestSupport.wrappedRegion(bad);
        bad[region[0] + region[1] / 2] ^= (byte) 0x80;

        Api.decrypt(app, tenant, Api.b64(bad), CTX).statusCode(400).body("code", equalTo("INVALID_CIPHERTEXT"));

        tenant(tenant).statusCode(200).body("state", equalTo("ACTIVE"));
        String pt = Api.decrypt(app, tenant, ct, CTX).statusCode(200).extract().path("plaintext");
        assertArrayEquals("intact".getBytes(StandardCharsets.UTF_8), Api.unb64(pt));
    }
}
