package io.keyward.envelope;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The {@code wrappedKey} blob of the datakey API: {@code "KD" | 0x01 | u8 keyIdLen | keyId | providerWrapped}. */
class WrappedDataKeyTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final String KEY_ID = "tk_abcdefghijklmnopqrst";

    @Test
    void encodeHasTheDocumentedBytes() {
        byte[] blob = new WrappedDataKey("tk_a", new byte[] {(byte) 0xde, (byte) 0xad}).encode();
        assertEquals("4b44" + "01" + "04" + "746b5f61" + "dead", HEX.formatHex(blob));
    }

    @Test
    void decodeReturnsWhatEncodeWasGiven() throws Exception {
        for (int n : new int[] {1, 2, 65, 300, EnvelopeCodec.MAX_WRAPPED_BYTES}) {
            byte[] provider = new byte[n];
            for (int i = 0; i < n; i++) {
                provider[i] = (byte) (i * 31 + 7);
            }
            for (String keyId : new String[] {"k", KEY_ID, "~".repeat(EnvelopeCodec.MAX_KEY_ID_BYTES), "!"}) {
                WrappedDataKey back = WrappedDataKey.decode(new WrappedDataKey(keyId, provider).encode());
                assertEquals(keyId, back.keyId());
                assertArrayEquals(provider, back.providerWrapped());
            }
        }
    }

    @Test
    void malformedBlobsAreRefused() {
        byte[] good = new WrappedDataKey(KEY_ID, new byte[] {1, 2, 3}).encode();
        int k = KEY_ID.length();
        assertRefused(null, "null");
        assertRefused(new byte[0], "empty");
        assertRefused(HEX.parseHex("4b4401"), "shorter than the fixed part");
        assertRefused(with(good, 0, 'k'), "bad magic byte 0");
        assertRefused(with(good, 1, 'W'), "envelope magic instead of data key magic");
        assertRefused(with(good, 2, 0x00), "version 0");
        assertRefused(with(good, 2, 0x02), "version 2");
        assertRefused(with(good, 2, 0xff), "version 255");
        assertRefused(with(good, 3, 0), "keyIdLen 0");
        assertRefused(with(good, 3, 65), "keyIdLen above the limit");
        assertRefused(with(good, 3, k + 3), "keyIdLen that leaves no provider bytes");
        assertRefused(with(good, 3, 0xff), "keyIdLen past the end");
        assertRefused(with(good, 4, ' '), "space in keyId");
        assertRefused(with(good, 4, 0x00), "NUL in keyId");
        assertRefused(with(good, 4 + k - 1, 0x7f), "DEL in keyId");
        assertRefused(with(good, 4, 0x80), "non-ASCII byte in keyId");
        assertRefused(Arrays.copyOf(good, 4 + k), "no provider bytes");

        byte[] tooLong = new byte[4 + k + EnvelopeCodec.MAX_WRAPPED_BYTES + 1];
        System.arraycopy(good, 0, tooLong, 0, 4 + k);
        assertRefused(tooLong, "provider bytes above the limit");
    }

    @Test
    void truncationIsRefusedUntilTheProviderPartStarts() throws Exception {
        byte[] provider = {9, 8, 7, 6, 5};
        byte[] good = new WrappedDataKey(KEY_ID, provider).encode();
        int fixed = 4 + KEY_ID.length();
        for (int length = 0; length <= fixed; length++) {
            assertRefused(Arrays.copyOf(good, length), "length " + length);
        }
        // providerWrapped has no length prefix: a cut inside it still decodes, and only the provider's own
        // authentication (the AEAD tag of its wrap) can notice. Pinned so that a format change is deliberate.
        for (int length = fixed + 1; length < good.length; length++) {
            WrappedDataKey cut = WrappedDataKey.decode(Arrays.copyOf(good, length));
            assertEquals(KEY_ID, cut.keyId());
            assertArrayEquals(Arrays.copyOf(provider, length - fixed), cut.providerWrapped());
        }
    }

    /**
     * encode must not produce a blob that decode refuses or reads back differently: the caller stores the blob
     * and would lose the data key. Either encode refuses, or decode returns exactly what encode was given.
     * (A 300-byte key id is written with length byte 300 &amp; 0xff = 44, so decode splits the blob elsewhere.)
     */
    @ParameterizedTest(name = "case {index}")
    @MethodSource("keyIdsOutsideTheFormat")
    void encodeNeverProducesABlobThatDoesNotDecodeBackToTheSameKey(String keyId, byte[] providerWrapped) {
        byte[] blob;
        try {
            blob = new WrappedDataKey(keyId, providerWrapped).encode();
        } catch (IllegalArgumentException refused) {
            return;
        }
        WrappedDataKey back = assertDoesNotThrow(() -> WrappedDataKey.decode(blob),
                "encode produced a blob that decode refuses");
        assertEquals(keyId, back.keyId(), "decode read a different key id");
        assertArrayEquals(providerWrapped, back.providerWrapped(), "decode read different provider bytes");
    }

    static Stream<Arguments> keyIdsOutsideTheFormat() {
        byte[] one = {1};
        return Stream.of(
                Arguments.of("", one),
                Arguments.of("k".repeat(65), one),
                Arguments.of("k".repeat(256), one),
                Arguments.of("k".repeat(300), one),
                Arguments.of("tk has space", one),
                Arguments.of("tk_\u00e9", one),
                Arguments.of(KEY_ID, new byte[0]));
    }

    @Test
    void wrapAadHasTheDocumentedBytesAndBindsTenantKeyAndContext() {
        EncryptionContext ctx = EncryptionContext.of(Map.of("purpose", "x"));
        String expected = HEX.formatHex(ascii("keyward/v1 datakey")) + "09" + HEX.formatHex(ascii("acme-corp"))
                + "17" + HEX.formatHex(ascii(KEY_ID)) + HEX.formatHex(ctx.canonicalBytes());
        assertEquals(expected, HEX.formatHex(WrappedDataKey.wrapAad("acme-corp", KEY_ID, ctx)));

        byte[] base = WrappedDataKey.wrapAad("acme-corp", KEY_ID, ctx);
        assertFalse(Arrays.equals(base, WrappedDataKey.wrapAad("globex", KEY_ID, ctx)));
        assertFalse(Arrays.equals(base, WrappedDataKey.wrapAad("acme-corp", "tk_other", ctx)));
        assertFalse(Arrays.equals(base, WrappedDataKey.wrapAad("acme-corp", KEY_ID, EncryptionContext.EMPTY)));
        // Domain separation: a data key's wrap AAD is never an envelope DEK's, so neither unwraps as the other.
        assertFalse(Arrays.equals(WrappedDataKey.wrapAad("acme-corp", KEY_ID, EncryptionContext.EMPTY),
                EnvelopeCodec.dekWrapAad("acme-corp", KEY_ID)));
    }

    @Test
    void toStringHidesTheWrappedBytes() {
        String s = new WrappedDataKey(KEY_ID, new byte[] {(byte) 0xca, (byte) 0xfe}).toString();
        assertNotEquals(-1, s.indexOf(KEY_ID));
        assertEquals(-1, s.toLowerCase().indexOf("cafe"));
    }

    private static void assertRefused(byte[] blob, String why) {
        assertThrows(InvalidEnvelopeException.class, () -> WrappedDataKey.decode(blob), why);
    }

    private static byte[] with(byte[] b, int index, int value) {
        byte[] copy = b.clone();
        copy[index] = (byte) value;
        return copy;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
