package io.keyward.keys;

import io.keyward.audit.Actor;
import io.keyward.envelope.EncryptionContext;
import io.keyward.tenant.Tenant;
import io.keyward.testing.Api;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static io.keyward.keys.KeysTestSupport.cacheRequests;
import static io.keyward.keys.KeysTestSupport.localCalls;
import static io.keyward.keys.KeysTestSupport.wrappedDek;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DESIGN.md §4 seen from outside, with the default cache settings (max age 60 s): the customer's KMS sees one
 * call per DEK, not one per request, whatever the request rate or concurrency.
 */
@QuarkusTest
class DekCacheAcceptanceTest {
    private static final Actor ACTOR = new Actor("test:dek-cache-acceptance", null);
    private static final Map<String, String> CTX = Map.of("purpose", "cache-test");

    @Inject
    CryptoService crypto;

    @Inject
    DekCaches caches;

    @Test
    void tenThousandEncryptsWithinMaxAgeMakeExactlyOneWrapCall() {
        String tenant = Api.unique("bulk");
        String keyId = Api.tenantWithLocalKey(tenant, Api.unique("kek"));
        String app = Api.appToken(tenant);
        long wrapsBefore = localCalls("wrap");
        long unwrapsBefore = localCalls("unwrap");
        long missesBefore = cacheRequests("encrypt", "miss");
        long hitsBefore = cacheRequests("encrypt", "hit");
        long start = System.nanoTime();

        List<String> ciphertexts = new ArrayList<>();
        for (int batch = 0; batch < 10; batch++) {
            List<Map<String, Object>> items = new ArrayList<>();
            for (int i = 0; i < 1_000; i++) {
                int n = batch * 1_000 + i;
                items.add(Map.of("id", "m" + n, "plaintext", Api.b64(("message " + n).getBytes(StandardCharsets.UTF_8)),
                        "context", CTX));
            }
            List<Map<String, Object>> results = Api.as(app).body(Map.of("items", items))
                    .post("/v1/tenants/" + tenant + "/encrypt:batch").then().statusCode(200)
                    .extract().jsonPath().getList("items");
            assertEquals(1_000, results.size());
            for (Map<String, Object> r : results) {
                assertEquals(null, r.get("error"), () -> "item " + r.get("id") + " failed");
                assertEquals(keyId, r.get("keyId"));
                ciphertexts.add((String) r.get("ciphertext"));
            }
        }
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        long wraps = localCalls("wrap") - wrapsBefore;
        System.out.printf("[keys] 10,000 encrypts in %d ms made %d wrap call(s)%n", elapsedMs, wraps);

        assertTrue(elapsedMs < 60_000, "the run must stay inside the 60 s max age for this test to mean anything");
        assertEquals(1, wraps, "10,000 encrypts under one live DEK make exactly one wrap call");
        assertEquals(1, cacheRequests("encrypt", "miss") - missesBefore);
        assertEquals(9_999, cacheRequests("encrypt", "hit") - hitsBefore);
        Set<String> wrapped = ciphertexts.stream().map(c -> HexFormat.of().formatHex(wrappedDek(Api.unb64(c))))
                .collect(Collectors.toSet());
        assertEquals(10_000, ciphertexts.size());
        assertEquals(1, wrapped.size(), "every envelope carries the same wrapped DEK bytes");

        // The DEK this replica generated is seeded into the decrypt cache: opening its own envelopes costs no unwrap.
        for (int n : new int[] {0, 4_321, 9_999}) {
            String pt = Api.decrypt(app, tenant, ciphertexts.get(n), CTX).statusCode(200).extract().path("plaintext");
            assertArrayEquals(("message " + n).getBytes(StandardCharsets.UTF_8), Api.unb64(pt));
        }
        assertEquals(0, localCalls("unwrap") - unwrapsBefore);
    }

    @Test
    void sixtyFourConcurrentEncryptMissesThroughTheServiceMakeOneWrapCall() throws InterruptedException {
        String tenant = Api.unique("burst");
        Api.tenantWithLocalKey(tenant, Api.unique("kek"));
        Tenant t = crypto.resolve(tenant);
        long before = localCalls("wrap");

        List<Stampede.Outcome<CryptoService.Sealed>> out;
        try (Stampede s = new Stampede(64)) {
            out = s.run(() -> crypto.encrypt(t, "hello".getBytes(StandardCharsets.UTF_8), EncryptionContext.EMPTY,
                    ACTOR));
        }

        assertTrue(out.stream().allMatch(o -> o.error() == null), () -> "errors: " + out);
        assertEquals(1, localCalls("wrap") - before, "64 concurrent first encrypts for one key make one wrap call");
        assertEquals(1, out.stream().map(o -> HexFormat.of().formatHex(wrappedDek(o.value().ciphertext())))
                .distinct().count());
    }

    @Test
    void sixtyFourConcurrentDecryptMissesThroughTheServiceMakeOneUnwrapCall() throws InterruptedException {
        String tenant = Api.unique("burst");
        String keyId = Api.tenantWithLocalKey(tenant, Api.unique("kek"));
        Tenant t = crypto.resolve(tenant);
        byte[] secret = "sixty-four readers".getBytes(StandardCharsets.UTF_8);
        byte[] envelope = crypto.encrypt(t, secret, EncryptionContext.EMPTY, ACTOR).ciphertext();
        caches.purge(keyId);
        long before = localCalls("unwrap");

        List<Stampede.Outcome<byte[]>> out;
        try (Stampede s = new Stampede(64)) {
            out = s.run(() -> crypto.decrypt(t, envelope, EncryptionContext.EMPTY, ACTOR));
        }

        assertTrue(out.stream().allMatch(o -> o.error() == null), () -> "errors: " + out);
        assertEquals(1, localCalls("unwrap") - before, "64 concurrent cold decrypts of one DEK make one unwrap call");
        out.forEach(o -> assertArrayEquals(secret, o.value()));
    }

    @Test
    void sixtyFourConcurrentHttpRequestsMakeOneWrapAndOneUnwrapCall() throws InterruptedException {
        String tenant = Api.unique("burst");
        String keyId = Api.tenantWithLocalKey(tenant, Api.unique("kek"));
        String app = Api.appToken(tenant);
        byte[] secret = "over http".getBytes(StandardCharsets.UTF_8);
        long wraps = localCalls("wrap");

        List<Stampede.Outcome<String>> sealed;
        try (Stampede s = new Stampede(64)) {
            sealed = s.run(() -> Api.encrypt(app, tenant, secret, CTX).statusCode(200).extract().path("ciphertext"));
        }
        assertTrue(sealed.stream().allMatch(o -> o.error() == null), () -> "errors: " + sealed);
        assertEquals(1, localCalls("wrap") - wraps);

        caches.purge(keyId);
        long unwraps = localCalls("unwrap");
        String ct = sealed.get(0).value();
        List<Stampede.Outcome<String>> opened;
        try (Stampede s = new Stampede(64)) {
            opened = s.run(() -> Api.decrypt(app, tenant, ct, CTX).statusCode(200).extract().path("plaintext"));
        }
        assertTrue(opened.stream().allMatch(o -> o.error() == null), () -> "errors: " + opened);
        assertEquals(1, localCalls("unwrap") - unwraps);
        opened.forEach(o -> assertArrayEquals(secret, Api.unb64(o.value())));
    }

    @Test
    void tamperedWrappedDekIsInvalidCiphertextAndDoesNotRevokeTheKey() {
        String tenant = Api.unique("tamper");
        String keyId = Api.tenantWithLocalKey(tenant, Api.unique("kek"));
        String app = Api.appToken(tenant);
        byte[] secret = "do not touch".getBytes(StandardCharsets.UTF_8);
        String ct = Api.encrypt(app, tenant, secret, CTX).statusCode(200).extract().path("ciphertext");
        byte[] envelope = Api.unb64(ct);
        int[] region = KeysTestSupport.wrappedRegion(envelope);
        double revocationsBefore = KeysTestSupport.counter("keyward_revocations_total", Map.of());
        Map<String, Long> seen = new HashMap<>();

        // First byte (Tink's output prefix), somewhere in the middle, and the last byte (the GCM tag).
        for (int at : new int[] {region[0], region[0] + region[1] / 2, region[0] + region[1] - 1}) {
            for (boolean cold : new boolean[] {false, true}) {
                if (cold) {
                    caches.purge(keyId);
                }
                byte[] bad = envelope.clone();
                bad[at] ^= 0x01;
                long invalidBefore = localCalls("unwrap", "invalid_wrapped_key");

                Api.decrypt(app, tenant, Api.b64(bad), CTX).statusCode(400).body("code", equalTo("INVALID_CIPHERTEXT"));

                assertEquals(1, localCalls("unwrap", "invalid_wrapped_key") - invalidBefore,
                        "the provider was asked and reported an invalid wrapped key (byte " + at + ")");
                KeysTestSupport.tenant(tenant).statusCode(200).body("state", equalTo("ACTIVE"))
                        .body("keys[0].health", equalTo("AVAILABLE"));
                String pt = Api.decrypt(app, tenant, ct, CTX).statusCode(200).extract().path("plaintext");
                assertArrayEquals(secret, Api.unb64(pt));
                Api.encrypt(app, tenant, secret, CTX).statusCode(200);
                seen.merge(cold ? "cold" : "warm", 1L, Long::sum);
            }
        }
        assertEquals(Map.of("warm", 3L, "cold", 3L), seen);
        assertEquals(revocationsBefore, KeysTestSupport.counter("keyward_revocations_total", Map.of()),
                "a bad ciphertext is the caller's problem, never a revocation");
    }
}
