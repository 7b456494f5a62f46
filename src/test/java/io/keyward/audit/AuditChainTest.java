package io.keyward.audit;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Pins the canonical encoding of docs/explanation/audit-trail.md. The expected hashes were computed outside keyward
 * (a dozen lines of Python hashlib following the document), so a drift in either the code or the document fails.
 */
class AuditChainTest {
    private static final Instant T1 = Instant.parse("2026-11-29T09:09:15.123456Z");
    private static final Instant T2 = Instant.parse("2026-11-29T09:09:16Z");
    private static final String H1 = "46f4813406e02d9faf2d307fd90b6206d3912c4f127debe57116d149aae57161";

    private static String first() {
        return AuditChain.hash(1, AuditChain.GENESIS, "0b5e7c1e-2f4a-4d3b-9a51-6f1d2c3b4a59", "acme", null,
                "api-key:ak_1", "tenant.create", "OK", null, "r-1", T1);
    }

    @Test
    void hashOfAKnownEventIsTheDocumentedOne() {
        assertEquals(H1, first());
    }

    @Test
    void hashCoversThePredecessorAndNonAsciiText() {
        assertEquals("8a1df2430d4944d297dd02e87b781fdc92bb69e3b1dc65019720b15b9aba1079", AuditChain.hash(2, H1,
                "e2", "acme", "k1", "system:health-prober", "key.check", "AVAILABLE", "d\u00e9tail \u2713", null, T2));
    }

    @Test
    void absentAndEmptyFieldsHashDifferently() {
        String withEmptyKey = AuditChain.hash(1, AuditChain.GENESIS, "0b5e7c1e-2f4a-4d3b-9a51-6f1d2c3b4a59", "acme", "",
                "api-key:ak_1", "tenant.create", "OK", null, "r-1", T1);
        assertNotEquals(first(), withEmptyKey);
    }

    @Test
    void fieldBoundariesCannotBeShifted() {
        // "ab"+"c" and "a"+"bc" must not collide: every field carries its length.
        String a = AuditChain.hash(1, AuditChain.GENESIS, "i", "t", "k", "ab", "c", "OK", null, null, T1);
        String b = AuditChain.hash(1, AuditChain.GENESIS, "i", "t", "k", "a", "bc", "OK", null, null, T1);
        assertNotEquals(a, b);
    }

    @Test
    void timesAreHashedAtMicrosecondPrecisionInUtc() {
        assertEquals("2026-11-29T09:09:16.000000Z", AuditChain.time(T2));
        assertEquals("2026-11-29T09:09:15.123456Z", AuditChain.time(Instant.parse("2026-11-29T09:09:15.123456789Z")));
        assertEquals(first(), AuditChain.hash(1, AuditChain.GENESIS, "0b5e7c1e-2f4a-4d3b-9a51-6f1d2c3b4a59", "acme",
                null, "api-key:ak_1", "tenant.create", "OK", null, "r-1", Instant.parse("2026-11-29T09:09:15.123456999Z")));
    }
}
