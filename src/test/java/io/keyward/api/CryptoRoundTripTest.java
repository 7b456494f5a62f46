package io.keyward.api;

import io.keyward.testing.Api;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.keyward.testing.Api.admin;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The data plane over HTTP: round trips, tamper resistance of the envelope and of wrapped data keys, and the
 * binding of both to tenant and context (DESIGN.md §3).
 */
@QuarkusTest
class CryptoRoundTripTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Map<String, String> CTX = Map.of("table", "cards", "row", "42");

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private record Tenant(String id, String keyId, String kek, String app) {
    }

    private static Tenant tenant() {
        String id = Api.unique("crypto");
        String kek = Api.unique("kek");
        String keyId = Api.tenantWithLocalKey(id, kek);
        return new Tenant(id, keyId, kek, Api.appToken(id));
    }

    private static String encrypt(Tenant t, byte[] pt, Map<String, String> ctx) {
        return Api.encrypt(t.app(), t.id(), pt, ctx).statusCode(200).body("keyId", equalTo(t.keyId()))
                .extract().path("ciphertext");
    }

    private static byte[] decrypt(Tenant t, String ct, Map<String, String> ctx) {
        return Api.unb64(Api.decrypt(t.app(), t.id(), ct, ctx).statusCode(200).extract().path("plaintext"));
    }

    private static void assertInvalidCiphertext(Tenant t, byte[] ct, Map<String, String> ctx, String what) {
        var r = Api.decrypt(t.app(), t.id(), Api.b64(ct), ctx).extract();
        if (r.statusCode() != 400 || !"INVALID_CIPHERTEXT".equals(r.path("code"))) {
            fail(what + ": expected 400 INVALID_CIPHERTEXT, got " + r.statusCode() + " " + r.asString());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 1024, 1024 * 1024})
    void roundTripOfSize(int size) {
        Tenant t = tenant();
        byte[] pt = random(size);
        String ct = encrypt(t, pt, CTX);
        byte[] raw = Api.unb64(ct);
        assertEquals('K', raw[0]);
        assertEquals('W', raw[1]);
        assertEquals(1, raw[2], "format version 1");
        assertTrue(raw.length >= size + 12 + 16 + 32, "nonce, tag and commitment on top of the plaintext");
        assertArrayEquals(pt, decrypt(t, ct, CTX));
    }

    @Test
    void sameplaintextTwiceGivesDifferentCiphertexts() {
        Tenant t = tenant();
        byte[] pt = "same".getBytes(StandardCharsets.UTF_8);
        assertNotEquals(encrypt(t, pt, CTX), encrypt(t, pt, CTX));
    }

    @Test
    void flippedBitInEveryBytePositionIsInvalidCiphertext() {
        Tenant t = tenant();
        byte[] pt = "flip me".getBytes(StandardCharsets.UTF_8);
        byte[] ct = Api.unb64(encrypt(t, pt, CTX));
        for (int i = 0; i < ct.length; i++) {
            for (int bit : new int[] {i % 8, 7 - i % 8}) {
                byte[] bad = ct.clone();
                bad[i] ^= (byte) (1 << bit);
                assertInvalidCiphertext(t, bad, CTX, "bit " + bit + " of byte " + i + "/" + ct.length);
            }
        }
        // Tampering must never cut the tenant off, and the genuine ciphertext still opens.
        admin().get("/v1/tenants/" + t.id()).then().body("state", equalTo("ACTIVE"));
        assertArrayEquals(pt, decrypt(t, Api.b64(ct), CTX));
    }

    @Test
    void everyTruncationAndAnAppendedByteIsInvalidCiphertext() {
        Tenant t = tenant();
        byte[] ct = Api.unb64(encrypt(t, "truncate me".getBytes(StandardCharsets.UTF_8), CTX));
        for (int len = 0; len < ct.length; len++) {
            assertInvalidCiphertext(t, Arrays.copyOf(ct, len), CTX, "truncated to " + len);
        }
        assertInvalidCiphertext(t, Arrays.copyOf(ct, ct.length + 1), CTX, "one byte appended");
    }

    @Test
    void ciphertextOfTenantAIsInvalidForTenantB() {
        Tenant a = tenant();
        Tenant b = tenant();
        String ct = encrypt(a, "for a only".getBytes(StandardCharsets.UTF_8), CTX);
        Api.problem(Api.decrypt(b.app(), b.id(), ct, CTX), 400, "INVALID_CIPHERTEXT");
        Api.problem(Api.decrypt(Api.ADMIN_TOKEN, b.id(), ct, CTX), 400, "INVALID_CIPHERTEXT");
    }

    @Test
    void ciphertextMovedToATenantOnTheSameKekWithItsKeyIdRelabelledStillFails() {
        // Tenant B uses the very same KEK. Rewriting the envelope's key id to B's key makes B unwrap the DEK,
        // which must fail because the wrap AAD binds tenant A.
        Tenant a = tenant();
        String b = Api.unique("crypto-b");
        Api.tenant(b);
        String bKey = Api.attach(b, "local", "local:" + a.kek()).statusCode(201).extract().path("id");
        byte[] ct = Api.unb64(encrypt(a, "moved".getBytes(StandardCharsets.UTF_8), CTX));
        assertEquals(a.keyId().length(), ct[4]);
        byte[] moved = ct.clone();
        System.arraycopy(bKey.getBytes(StandardCharsets.US_ASCII), 0, moved, 5, bKey.length());
        Api.problem(Api.decrypt(Api.ADMIN_TOKEN, b, Api.b64(moved), CTX), 400, "INVALID_CIPHERTEXT");
        Api.problem(Api.decrypt(Api.ADMIN_TOKEN, b, Api.b64(ct), CTX), 400, "INVALID_CIPHERTEXT");
        admin().get("/v1/tenants/" + b).then().body("state", equalTo("ACTIVE"));
    }

    @Test
    void wrongContextIsInvalidCiphertext() {
        Tenant t = tenant();
        String ct = encrypt(t, "context bound".getBytes(StandardCharsets.UTF_8), Map.of("a", "1", "b", "2"));
        for (Map<String, String> wrong : List.of(Map.<String, String>of(), Map.of("a", "1"), Map.of("a", "1", "b", "3"),
                Map.of("a", "1", "b", "2", "c", ""), Map.of("A", "1", "b", "2"), Map.of("a", "1", "b", "2 "))) {
            Api.problem(Api.decrypt(t.app(), t.id(), ct, wrong), 400, "INVALID_CIPHERTEXT");
        }
        var noContext = Api.as(t.app()).body(Map.of("ciphertext", ct)).post("/v1/tenants/" + t.id() + "/decrypt").then();
        Api.problem(noContext, 400, "INVALID_CIPHERTEXT");
    }

    @Test
    void contextOrderDoesNotMatter() {
        Tenant t = tenant();
        Map<String, String> ab = new LinkedHashMap<>();
        ab.put("a", "1");
        ab.put("b", "2");
        Map<String, String> ba = new LinkedHashMap<>();
        ba.put("b", "2");
        ba.put("a", "1");
        byte[] pt = {1, 2, 3};
        assertArrayEquals(pt, decrypt(t, encrypt(t, pt, ab), ba));
    }

    @Test
    void emptyAndMissingContextAreTheSame() {
        Tenant t = tenant();
        String ct = Api.as(t.app()).body(Map.of("plaintext", "AQID")).post("/v1/tenants/" + t.id() + "/encrypt").then()
                .statusCode(200).extract().path("ciphertext");
        assertArrayEquals(new byte[] {1, 2, 3}, decrypt(t, ct, Map.of()));
    }

    // --- Rewrap ---------------------------------------------------------------------------------------------

    @Test
    void rewrapMovesCiphertextToTheNewPrimaryKeyAndKeepsItsContext() {
        Tenant t = tenant();
        byte[] pt = "rewrap me".getBytes(StandardCharsets.UTF_8);
        String old = encrypt(t, pt, CTX);
        String kek2 = Api.unique("kek");
        Api.localKey(kek2);
        String key2 = Api.attach(t.id(), "local", "local:" + kek2).statusCode(201).extract().path("id");

        String fresh = Api.as(t.app()).body(Map.of("ciphertext", old, "context", CTX)).post("/v1/tenants/" + t.id()
                + "/rewrap").then().statusCode(200).body("keyId", equalTo(key2)).extract().path("ciphertext");
        assertNotEquals(old, fresh);
        assertArrayEquals(pt, decrypt(t, fresh, CTX));
        Api.problem(Api.decrypt(t.app(), t.id(), fresh, Map.of("table", "cards")), 400, "INVALID_CIPHERTEXT");
        // The rewrapped ciphertext no longer needs the old key.
        admin().post("/v1/local-kms/keys/" + t.kek() + ":disable").then().statusCode(200);
        assertArrayEquals(pt, decrypt(t, fresh, CTX));
    }

    @Test
    void rewrapChecksContextAndTenantLikeDecrypt() {
        Tenant t = tenant();
        Tenant other = tenant();
        String ct = encrypt(t, "x".getBytes(StandardCharsets.UTF_8), CTX);
        Api.problem(Api.as(t.app()).body(Map.of("ciphertext", ct, "context", Map.of("row", "43")))
                .post("/v1/tenants/" + t.id() + "/rewrap").then(), 400, "INVALID_CIPHERTEXT");
        Api.problem(Api.as(other.app()).body(Map.of("ciphertext", ct, "context", CTX))
                .post("/v1/tenants/" + other.id() + "/rewrap").then(), 400, "INVALID_CIPHERTEXT");
        byte[] bad = Api.unb64(ct);
        bad[bad.length - 1] ^= 1;
        Api.problem(Api.as(t.app()).body(Map.of("ciphertext", Api.b64(bad), "context", CTX))
                .post("/v1/tenants/" + t.id() + "/rewrap").then(), 400, "INVALID_CIPHERTEXT");
    }

    // --- Data keys ------------------------------------------------------------------------------------------

    @Test
    void datakeyRoundTripGivesBackTheSame32Bytes() {
        Tenant t = tenant();
        JsonPath dk = Api.datakey(t.app(), t.id(), CTX).statusCode(200).body("keyId", equalTo(t.keyId()))
                .body("plaintextKey", notNullValue()).body("wrappedKey", notNullValue()).extract().jsonPath();
        byte[] key = Api.unb64(dk.getString("plaintextKey"));
        assertEquals(32, key.length);
        byte[] wrapped = Api.unb64(dk.getString("wrappedKey"));
        assertEquals('K', wrapped[0]);
        assertEquals('D', wrapped[1]);
        assertFalse(new String(wrapped, StandardCharsets.ISO_8859_1).contains(new String(key, StandardCharsets.ISO_8859_1)));
        assertArrayEquals(key, Api.unb64(Api.unwrapDatakey(t.app(), t.id(), dk.getString("wrappedKey"), CTX)
                .statusCode(200).extract().path("plaintextKey")));
    }

    @Test
    void twoDatakeysDiffer() {
        Tenant t = tenant();
        String k1 = Api.datakey(t.app(), t.id(), CTX).statusCode(200).extract().path("plaintextKey");
        String k2 = Api.datakey(t.app(), t.id(), CTX).statusCode(200).extract().path("plaintextKey");
        assertNotEquals(k1, k2);
    }

    @Test
    void datakeyWithoutBodyUsesTheEmptyContext() {
        Tenant t = tenant();
        JsonPath dk = Api.as(t.app()).post("/v1/tenants/" + t.id() + "/datakey").then().statusCode(200).extract()
                .jsonPath();
        assertEquals(dk.getString("plaintextKey"), Api.unwrapDatakey(t.app(), t.id(), dk.getString("wrappedKey"),
                Map.of()).statusCode(200).extract().path("plaintextKey"));
    }

    @Test
    void datakeyIsBoundToContextAndTenant() {
        Tenant t = tenant();
        Tenant other = tenant();
        String wrapped = Api.datakey(t.app(), t.id(), CTX).statusCode(200).extract().path("wrappedKey");
        Api.problem(Api.unwrapDatakey(t.app(), t.id(), wrapped, Map.of()), 400, "INVALID_CIPHERTEXT");
        Api.problem(Api.unwrapDatakey(t.app(), t.id(), wrapped, Map.of("table", "cards", "row", "43")), 400,
                "INVALID_CIPHERTEXT");
        Api.problem(Api.unwrapDatakey(other.app(), other.id(), wrapped, CTX), 400, "INVALID_CIPHERTEXT");
        admin().get("/v1/tenants/" + t.id()).then().body("state", equalTo("ACTIVE"));
    }

    @Test
    void flippedBitInEveryBytePositionOfAWrappedKeyIsInvalidCiphertext() {
        Tenant t = tenant();
        byte[] wrapped = Api.unb64(Api.datakey(t.app(), t.id(), CTX).statusCode(200).extract().path("wrappedKey"));
        for (int i = 0; i < wrapped.length; i++) {
            byte[] bad = wrapped.clone();
            bad[i] ^= (byte) (1 << (i % 8));
            var r = Api.unwrapDatakey(t.app(), t.id(), Api.b64(bad), CTX).extract();
            if (r.statusCode() != 400 || !"INVALID_CIPHERTEXT".equals(r.path("code"))) {
                fail("byte " + i + ": expected 400 INVALID_CIPHERTEXT, got " + r.statusCode() + " " + r.asString());
            }
        }
        for (int len = 0; len < wrapped.length; len++) {
            var r = Api.unwrapDatakey(t.app(), t.id(), Api.b64(Arrays.copyOf(wrapped, len)), CTX).extract();
            if (r.statusCode() != 400 || !"INVALID_CIPHERTEXT".equals(r.path("code"))) {
                fail("truncated to " + len + ": expected 400 INVALID_CIPHERTEXT, got " + r.statusCode() + " " + r.asString());
            }
        }
        admin().get("/v1/tenants/" + t.id()).then().body("state", equalTo("ACTIVE"));
    }

    @Test
    void datakeyFromBeforeARotationStillUnwraps() {
        Tenant t = tenant();
        JsonPath dk = Api.datakey(t.app(), t.id(), CTX).statusCode(200).extract().jsonPath();
        String kek2 = Api.unique("kek");
        Api.localKey(kek2);
        Api.attach(t.id(), "local", "local:" + kek2).statusCode(201);
        assertEquals(dk.getString("plaintextKey"), Api.unwrapDatakey(t.app(), t.id(), dk.getString("wrappedKey"), CTX)
                .statusCode(200).extract().path("plaintextKey"));
    }

    // --- Batches --------------------------------------------------------------------------------------------

    @Test
    void batchRoundTripKeepsIdsAndOrderAndReportsItemErrorsInPlace() {
        Tenant t = tenant();
        byte[] one = "one".getBytes(StandardCharsets.UTF_8);
        byte[] three = "three".getBytes(StandardCharsets.UTF_8);
        List<Map<String, Object>> items = List.of(
                Map.of("id", "i1", "plaintext", Api.b64(one), "context", CTX),
                Map.of("id", "i2", "plaintext", "not base64!"),
                Map.of("id", "i3", "plaintext", Api.b64(three)));
        JsonPath enc = Api.as(t.app()).body(Map.of("items", items)).post("/v1/tenants/" + t.id() + "/encrypt:batch")
                .then().statusCode(200).body("items", hasSize(3))
                .body("items.id", equalTo(List.of("i1", "i2", "i3")))
                .body("items[0].keyId", equalTo(t.keyId())).body("items[0].error", nullValue())
                .body("items[1].error.code", equalTo("INVALID_REQUEST")).body("items[1].ciphertext", nullValue())
                .body("items[2].keyId", equalTo(t.keyId()))
                .extract().jsonPath();
        String ct1 = enc.getString("items[0].ciphertext");
        String ct3 = enc.getString("items[2].ciphertext");

        List<Map<String, Object>> back = List.of(
                Map.of("id", "d1", "ciphertext", ct1, "context", CTX),
                Map.of("id", "d2", "ciphertext", ct3, "context", CTX),
                Map.of("id", "d3", "ciphertext", ct3),
                Map.of("id", "d4", "ciphertext", "S1cBAQ=="));
        JsonPath dec = Api.as(t.app()).body(Map.of("items", back)).post("/v1/tenants/" + t.id() + "/decrypt:batch")
                .then().statusCode(200).body("items.id", equalTo(List.of("d1", "d2", "d3", "d4")))
                .body("items[1].error.code", equalTo("INVALID_CIPHERTEXT"))
                .body("items[3].error.code", equalTo("INVALID_CIPHERTEXT"))
                .extract().jsonPath();
        assertArrayEquals(one, Api.unb64(dec.getString("items[0].plaintext")));
        assertArrayEquals(three, Api.unb64(dec.getString("items[2].plaintext")));
    }

    @Test
    void batchItemOver1MiBIsAnItemErrorNotAFailedBatch() {
        Tenant t = tenant();
        List<Map<String, Object>> items = List.of(
                Map.of("id", "big", "plaintext", Api.b64(new byte[1024 * 1024 + 1])),
                Map.of("id", "small", "plaintext", "AA=="));
        Api.as(t.app()).body(Map.of("items", items)).post("/v1/tenants/" + t.id() + "/encrypt:batch").then()
                .statusCode(200).body("items[0].error.code", equalTo("PAYLOAD_TOO_LARGE"))
                .body("items[1].ciphertext", notNullValue());
    }

    @Test
    void batchOfExactly1000ItemsIsAccepted() {
        Tenant t = tenant();
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            items.add(Map.of("id", "n" + i, "plaintext", Api.b64(new byte[] {(byte) i})));
        }
        Api.as(t.app()).body(Map.of("items", items)).post("/v1/tenants/" + t.id() + "/encrypt:batch").then()
                .statusCode(200).body("items", hasSize(1000)).body("items[999].id", equalTo("n999"))
                .body("items.findAll { it.error != null }", hasSize(0));
    }

    @Test
    void batchItemIdLongerThan256IsAnItemError() {
        Tenant t = tenant();
        Api.as(t.app()).body(Map.of("items", List.of(Map.of("id", "i".repeat(257), "plaintext", "AA==")))).post(
                "/v1/tenants/" + t.id() + "/encrypt:batch").then().statusCode(200)
                .body("items[0].error.code", equalTo("INVALID_REQUEST"));
    }
}
