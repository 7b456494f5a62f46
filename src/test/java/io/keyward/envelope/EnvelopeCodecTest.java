package io.keyward.envelope;

import com.google.crypto.tink.subtle.Hkdf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Envelope v1 on its own: no provider, the wrapped DEK is opaque bytes. Every failure the codec reports is
 * {@link InvalidEnvelopeException}; tests assert that type, never a message.
 */
class EnvelopeCodecTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String TENANT = "acme-corp";
    private static final String KEY_ID = "tk_abcdefghijklmnopqrst";
    private static final EncryptionContext CONTEXT = EncryptionContext.of(Map.of("purpose", "invoice", "id", "42"));

    private final EnvelopeCodec codec = new EnvelopeCodec();
    private final byte[] dekA = random(32);
    private final byte[] dekB = random(32);
    private final byte[] wrappedA = random(65);
    private final byte[] wrappedB = random(65);
    private final DerivedKey keyA = DerivedKey.derive(dekA);
    private final DerivedKey keyB = DerivedKey.derive(dekB);

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1, 1024, 1 << 20})
    void sealThenOpenReturnsThePlaintext(int size) throws Exception {
        byte[] plaintext = random(size);
        for (EncryptionContext ctx : new EncryptionContext[] {EncryptionContext.EMPTY, CONTEXT}) {
            byte[] envelope = codec.seal(TENANT, KEY_ID, wrappedA, keyA, plaintext, ctx);
            int headerLength = 5 + KEY_ID.length() + 2 + wrappedA.length + 32;
            assertEquals(headerLength + 12 + size + 16, envelope.length);

            EnvelopeHeader header = codec.parseHeader(envelope);
            assertEquals(KEY_ID, header.keyId());
            assertArrayEquals(wrappedA, header.wrappedDek());
            assertArrayEquals(keyA.commitment(), header.commitment());
            assertEquals(headerLength, header.headerLength());
            assertArrayEquals(plaintext, codec.open(TENANT, envelope, header, keyA, ctx));
        }
    }

    @Test
    void headerBytesFollowTheDocumentedLayout() throws Exception {
        byte[] envelope = codec.seal(TENANT, KEY_ID, wrappedA, keyA, bytes("hi"), CONTEXT);
        int k = KEY_ID.length();
        assertEquals("4b57" + "01" + "01" + String.format("%02x", k), HEX.formatHex(envelope, 0, 5));
        assertEquals(KEY_ID, new String(envelope, 5, k, StandardCharsets.US_ASCII));
        assertEquals(String.format("%04x", wrappedA.length), HEX.formatHex(envelope, 5 + k, 7 + k));
        assertArrayEquals(wrappedA, Arrays.copyOfRange(envelope, 7 + k, 7 + k + wrappedA.length));
        int commitmentAt = 7 + k + wrappedA.length;
        assertArrayEquals(keyA.commitment(), Arrays.copyOfRange(envelope, commitmentAt, commitmentAt + 32));
        assertEquals(commitmentAt + 32 + 12 + 2 + 16, envelope.length);
    }

    @Test
    void derivationUsesTheDocumentedHkdfLabelsAndTheDocumentedAad() throws Exception {
        byte[] plaintext = bytes("documented derivation");
        byte[] envelope = codec.seal(TENANT, KEY_ID, wrappedA, keyA, plaintext, CONTEXT);
        int headerLength = codec.parseHeader(envelope).headerLength();

        byte[] commitment = Hkdf.computeHkdf("HMACSHA256", dekA, new byte[0], bytes("keyward/v1 commitment"), 32);
        assertArrayEquals(commitment, keyA.commitment());

        byte[] aeadKey = Hkdf.computeHkdf("HMACSHA256", dekA, new byte[0], bytes("keyward/v1 aead key"), 32);
        byte[] header = Arrays.copyOf(envelope, headerLength);
        byte[] aad = concat(bytes("keyward/v1 envelope"), new byte[] {(byte) TENANT.length()}, bytes(TENANT),
                new byte[] {(byte) (headerLength >>> 8), (byte) headerLength}, header, CONTEXT.canonicalBytes());
        byte[] body = Arrays.copyOfRange(envelope, headerLength, envelope.length);
        assertArrayEquals(plaintext, new com.google.crypto.tink.subtle.AesGcmJce(aeadKey).decrypt(body, aad));
    }

    @Test
    void envelopeAadAndDekWrapAadHaveTheDocumentedBytes() {
        byte[] header = {1, 2, 3};
        String expectedAad = HEX.formatHex(bytes("keyward/v1 envelope")) + "09" + HEX.formatHex(bytes(TENANT))
                + "0003" + "010203" + "0000";
        assertEquals(expectedAad, HEX.formatHex(EnvelopeCodec.aad(TENANT, header, EncryptionContext.EMPTY)));

        String expectedWrapAad = HEX.formatHex(bytes("keyward/v1 dek")) + "09" + HEX.formatHex(bytes(TENANT))
                + "17" + HEX.formatHex(bytes(KEY_ID));
        assertEquals(expectedWrapAad, HEX.formatHex(EnvelopeCodec.dekWrapAad(TENANT, KEY_ID)));
    }

    @Test
    void sealingTwiceUsesFreshNonces() throws Exception {
        byte[] plaintext = bytes("same input");
        byte[] first = codec.seal(TENANT, KEY_ID, wrappedA, keyA, plaintext, CONTEXT);
        byte[] second = codec.seal(TENANT, KEY_ID, wrappedA, keyA, plaintext, CONTEXT);
        assertFalse(Arrays.equals(first, second));
        assertArrayEquals(plaintext, open(second, keyA, TENANT, CONTEXT));
    }

    @Test
    void flippingAnySingleBitNeverOpens() throws Exception {
        byte[] envelope = codec.seal(TENANT, KEY_ID, wrappedA, keyA, bytes("sixteen bytes!!!"), CONTEXT);
        assertArrayEquals(bytes("sixteen bytes!!!"), open(envelope, keyA, TENANT, CONTEXT));
        for (int i = 0; i < envelope.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] tampered = envelope.clone();
                tampered[i] ^= (byte) (1 << bit);
                // Stronger than the service needs: even handed the right DEK, a changed keyId, wrapped DEK,
                // length or commitment must not open, because the whole header is in the AEAD's AAD.
                assertRefused(tampered, keyA, TENANT, CONTEXT, "byte " + i + " bit " + bit);
            }
        }
    }

    @Test
    void truncationAtEveryLengthNeverOpens() throws Exception {
        byte[] envelope = codec.seal(TENANT, KEY_ID, wrappedA, keyA, bytes("truncate me"), CONTEXT);
        for (int length = 0; length < envelope.length; length++) {
            assertRefused(Arrays.copyOf(envelope, length), keyA, TENANT, CONTEXT, "length " + length);
        }
    }

    @Test
    void appendedBytesNeverOpen() throws Exception {
        byte[] envelope = codec.seal(TENANT, KEY_ID, wrappedA, keyA, bytes("extend me"), CONTEXT);
        assertRefused(Arrays.copyOf(envelope, envelope.length + 1), keyA, TENANT, CONTEXT, "one zero byte");
        assertRefused(concat(envelope, envelope), keyA, TENANT, CONTEXT, "envelope twice");
    }

    @Test
    void wrongTenantFails() throws Exception {
        byte[] envelope = codec.seal(TENANT, KEY_ID, wrappedA, keyA, bytes("tenant bound"), CONTEXT);
        for (String other : new String[] {"globex", "acme-corp2", "acme-cor", "ACME-CORP", ""}) {
            assertRefused(envelope, keyA, other, CONTEXT, "tenant '" + other + "'");
        }
    }

    @Test
    void wrongContextFails() throws Exception {
        byte[] envelope = codec.seal(TENANT, KEY_ID, wrappedA, keyA, bytes("context bound"), CONTEXT);
        Map<String, Map<String, String>> others = Map.of(
                "empty", Map.of(),
                "other value", Map.of("purpose", "invoice", "id", "43"),
                "missing entry", Map.of("purpose", "invoice"),
                "extra entry", Map.of("purpose", "invoice", "id", "42", "x", "y"),
                "renamed key", Map.of("Purpose", "invoice", "id", "42"),
                "value moved", Map.of("purpose", "invoice42", "id", ""));
        others.forEach((why, map) -> {
            try {
                assertRefused(envelope, keyA, TENANT, EncryptionContext.of(map), why);
            } catch (Exception e) {
                fail(why, e);
            }
        });
        byte[] noContext = codec.seal(TENANT, KEY_ID, wrappedA, keyA, bytes("no context"), EncryptionContext.EMPTY);
        assertRefused(noContext, keyA, TENANT, EncryptionContext.of(Map.of("a", "")), "context added");
    }

    @ParameterizedTest(name = "byte {0}")
    @ValueSource(ints = {0, 1})
    void badMagicIsRefusedByParseHeader(int position) {
        byte[] envelope = codec.seal(TENANT, KEY_ID, wrappedA, keyA, bytes("x"), CONTEXT);
        envelope[position] = (byte) (position == 0 ? 'k' : 'D');
        assertThrows(InvalidEnvelopeException.class, () -> codec.parseHeader(envelope));
    }

    @ParameterizedTest(name = "version {0}")
    @ValueSource(ints = {0x00, 0x02, 0x7f, 0x80, 0xff})
    void unknownVersionIsRefusedByParseHeader(int version) {
        byte[] envelope = codec.seal(TENANT, KEY_ID, wrappedA, keyA, bytes("x"), CONTEXT);
        envelope[2] = (byte) version;
        assertThrows(InvalidEnvelopeException.class, () -> codec.parseHeader(envelope));
    }

    @ParameterizedTest(name = "suite {0}")
    @ValueSource(ints = {0x00, 0x02, 0x7f, 0x80, 0xff})
    void unknownSuiteIsRefusedByParseHeader(int suite) {
        byte[] envelope = codec.seal(TENANT, KEY_ID, wrappedA, keyA, bytes("x"), CONTEXT);
        envelope[3] = (byte) suite;
        assertThrows(InvalidEnvelopeException.class, () -> codec.parseHeader(envelope));
    }

    @Test
    void malformedLengthsAndKeyIdsAreRefusedByParseHeader() {
        byte[] envelope = codec.seal(TENANT, KEY_ID, wrappedA, keyA, bytes("x"), CONTEXT);
        int k = KEY_ID.length();
        assertParseRefused(with(envelope, 4, 0), "keyIdLen 0");
        assertParseRefused(with(envelope, 4, 65), "keyIdLen 65");
        assertParseRefused(with(envelope, 4, 0xff), "keyIdLen 255");
        assertParseRefused(with(envelope, 5, ' '), "space in keyId");
        assertParseRefused(with(envelope, 5, 0x7f), "DEL in keyId");
        assertParseRefused(with(envelope, 5, 0xc3), "non-ASCII byte in keyId");
        assertParseRefused(with(with(envelope, 5 + k, 0), 6 + k, 0), "wrappedLen 0");
        assertParseRefused(with(with(envelope, 5 + k, 0x20), 6 + k, 0x01), "wrappedLen 8193");
        assertParseRefused(with(with(envelope, 5 + k, 0xff), 6 + k, 0xff), "wrappedLen 65535");
        assertParseRefused(null, "null");
    }

    @Test
    void swappedCommitmentFails() throws Exception {
        byte[] envelope = codec.seal(TENANT, KEY_ID, wrappedA, keyA, bytes("commit"), CONTEXT);
        int at = codec.parseHeader(envelope).headerLength() - 32;
        byte[] commitmentOfB = envelope.clone();
        System.arraycopy(keyB.commitment(), 0, commitmentOfB, at, 32);
        assertRefused(commitmentOfB, keyA, TENANT, CONTEXT, "commitment of another DEK");
        assertRefused(commitmentOfB, keyB, TENANT, CONTEXT, "commitment of B, opened with B");
        byte[] zeros = envelope.clone();
        Arrays.fill(zeros, at, at + 32, (byte) 0);
        assertRefused(zeros, keyA, TENANT, CONTEXT, "zero commitment");
    }

    @Test
    void twoDifferentDeksNeverOpenEachOthersEnvelopes() throws Exception {
        for (int i = 0; i < 20; i++) {
            DerivedKey a = DerivedKey.derive(random(32));
            DerivedKey b = DerivedKey.derive(random(32));
            byte[] sealedA = codec.seal(TENANT, KEY_ID, wrappedA, a, bytes("A"), CONTEXT);
            byte[] sealedB = codec.seal(TENANT, KEY_ID, wrappedA, b, bytes("B"), CONTEXT);
            assertRefused(sealedA, b, TENANT, CONTEXT, "A's envelope with B");
            assertRefused(sealedB, a, TENANT, CONTEXT, "B's envelope with A");
            assertFalse(Arrays.equals(a.commitment(), b.commitment()));
        }
    }

    @Test
    void replacingWrappedDekAndCommitmentWithAnotherDeksDoesNotOpenWithThatDek() throws Exception {
        byte[] envelope = codec.seal(TENANT, KEY_ID, wrappedA, keyA, bytes("sealed under A"), CONTEXT);
        EnvelopeHeader header = codec.parseHeader(envelope);
        byte[] forged = concat(EnvelopeCodec.header(KEY_ID, wrappedB, keyB.commitment()),
                Arrays.copyOfRange(envelope, header.headerLength(), envelope.length));

        EnvelopeHeader forgedHeader = codec.parseHeader(forged);
        assertArrayEquals(wrappedB, forgedHeader.wrappedDek());
        assertArrayEquals(keyB.commitment(), forgedHeader.commitment());
        assertThrows(InvalidEnvelopeException.class, () -> codec.open(TENANT, forged, forgedHeader, keyB, CONTEXT));
        assertThrows(InvalidEnvelopeException.class, () -> codec.open(TENANT, forged, forgedHeader, keyA, CONTEXT));
    }

    /**
     * The only test that fails if {@code open} stops checking the commitment: everything else also changes the
     * header, which the AEAD tag already covers. Here the AEAD part is genuinely valid under DEK B (right
     * header, tenant and context in the AAD), but the header commits to DEK A.
     */
    @Test
    void openChecksTheCommitmentEvenWhenTheAeadTagIsValid() throws Exception {
        byte[] plaintext = bytes("valid tag, wrong commitment");
        byte[] honest = handSeal(wrappedB, keyB.commitment(), keyB, plaintext);
        assertArrayEquals(plaintext, open(honest, keyB, TENANT, CONTEXT), "control: hand-sealed envelope opens");

        byte[] forged = handSeal(wrappedB, keyA.commitment(), keyB, plaintext);
        EnvelopeHeader header = codec.parseHeader(forged);
        assertThrows(InvalidEnvelopeException.class, () -> codec.open(TENANT, forged, header, keyB, CONTEXT));
    }

    @Test
    void sealRefusesKeyIdsAndWrappedDeksOutsideTheFormatLimits() {
        byte[] pt = bytes("x");
        assertThrows(IllegalArgumentException.class, () -> codec.seal(TENANT, "", wrappedA, keyA, pt, CONTEXT));
        assertThrows(IllegalArgumentException.class,
                () -> codec.seal(TENANT, "k".repeat(65), wrappedA, keyA, pt, CONTEXT));
        assertThrows(IllegalArgumentException.class, () -> codec.seal(TENANT, KEY_ID, new byte[0], keyA, pt, CONTEXT));
        assertThrows(IllegalArgumentException.class,
                () -> codec.seal(TENANT, KEY_ID, new byte[8193], keyA, pt, CONTEXT));
        // The limits themselves are fine.
        codec.seal(TENANT, "k".repeat(64), new byte[8192], keyA, pt, CONTEXT);
    }

    /**
     * seal must never produce an envelope that does not parse back to the key id it was given: such data could
     * never be decrypted again. parseHeader accepts only printable ASCII key ids (0x21..0x7e), and seal encodes
     * with US-ASCII, which turns any other character into '?'. Either seal refuses, or the header round-trips.
     */
    @ParameterizedTest(name = "key id \"{0}\"")
    @ValueSource(strings = {"tk has space", "tk_\u00e9t\u00e9", "tk_\t", "tk_\u007f"})
    void sealNeverProducesAnEnvelopeThatDoesNotParseBackToItsKeyId(String keyId) {
        byte[] envelope;
        try {
            envelope = codec.seal(TENANT, keyId, wrappedA, keyA, bytes("x"), CONTEXT);
        } catch (IllegalArgumentException refused) {
            return;
        }
        EnvelopeHeader header = assertDoesNotThrow(() -> codec.parseHeader(envelope),
                "seal accepted a key id its own parser refuses; the envelope can never be opened");
        assertEquals(keyId, header.keyId(), "seal wrote a different key id than it was given");
    }

    @Test
    void derivedKeyRefusesDeksThatAreNot32Bytes() {
        assertThrows(IllegalArgumentException.class, () -> DerivedKey.derive(new byte[16]));
        assertThrows(IllegalArgumentException.class, () -> DerivedKey.derive(new byte[33]));
        assertThrows(IllegalArgumentException.class, () -> DerivedKey.derive(null));
    }

    @Test
    void deriveDoesNotModifyTheCallersDek() {
        byte[] dek = random(32);
        byte[] copy = dek.clone();
        DerivedKey.derive(dek);
        assertArrayEquals(copy, dek);
    }

    @Test
    void toStringsRevealNoKeyMaterial() throws Exception {
        assertEquals("DerivedKey[redacted]", keyA.toString());
        byte[] envelope = codec.seal(TENANT, KEY_ID, wrappedA, keyA, bytes("x"), CONTEXT);
        String header = codec.parseHeader(envelope).toString();
        assertFalse(header.contains(HEX.formatHex(wrappedA, 0, 4)), header);
    }

    // ---------------------------------------------------------------------------------------------------

    private byte[] handSeal(byte[] wrapped, byte[] commitment, DerivedKey aeadKey, byte[] plaintext)
            throws Exception {
        byte[] header = EnvelopeCodec.header(KEY_ID, wrapped, commitment);
        byte[] body = aeadKey.aead().encrypt(plaintext, EnvelopeCodec.aad(TENANT, header, CONTEXT));
        return concat(header, body);
    }

    private byte[] open(byte[] envelope, DerivedKey key, String tenant, EncryptionContext ctx) throws Exception {
        return codec.open(tenant, envelope, codec.parseHeader(envelope), key, ctx);
    }

    /** Refused means: parseHeader throws, or open with the given key throws. Nothing else counts. */
    private void assertRefused(byte[] envelope, DerivedKey key, String tenant, EncryptionContext ctx, String why) {
        EnvelopeHeader header;
        try {
            header = codec.parseHeader(envelope);
        } catch (InvalidEnvelopeException expected) {
            return;
        }
        try {
            byte[] plaintext = codec.open(tenant, envelope, header, key, ctx);
            fail(why + ": opened to " + plaintext.length + " bytes");
        } catch (InvalidEnvelopeException expected) {
            // refused
        }
    }

    private void assertParseRefused(byte[] envelope, String why) {
        assertThrows(InvalidEnvelopeException.class, () -> codec.parseHeader(envelope), why);
    }

    private static byte[] with(byte[] b, int index, int value) {
        byte[] copy = b.clone();
        copy[index] = (byte) value;
        return copy;
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
