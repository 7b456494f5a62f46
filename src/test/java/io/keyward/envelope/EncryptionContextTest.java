package io.keyward.envelope;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The canonical context is part of every envelope's associated data, so its bytes are a format commitment:
 * any change here makes stored envelopes undecryptable. These tests pin the bytes and the limits.
 */
class EncryptionContextTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void canonicalBytesOfSmallExampleAreExactlyTheDocumentedBytes() {
        Map<String, String> map = new LinkedHashMap<>();
        map.put("tenant-ref", "42");
        map.put("purpose", "invoice");

        String expected = "0002"                                  // two entries
                + "0007" + "707572706f7365"                       // "purpose"
                + "0007" + "696e766f696365"                       // "invoice"
                + "000a" + "74656e616e742d726566"                 // "tenant-ref"
                + "0002" + "3432";                                // "42"
        assertEquals(expected, HEX.formatHex(EncryptionContext.of(map).canonicalBytes()));
    }

    @Test
    void emptyContextIsTwoZeroBytes() {
        assertEquals("0000", HEX.formatHex(EncryptionContext.EMPTY.canonicalBytes()));
        assertSame(EncryptionContext.EMPTY, EncryptionContext.of(Map.of()));
        assertSame(EncryptionContext.EMPTY, EncryptionContext.of(null));
        assertTrue(EncryptionContext.EMPTY.isEmpty());
    }

    @Test
    void canonicalBytesDoNotDependOnInsertionOrder() {
        List<String> keys = new ArrayList<>(List.of("b", "a", "ab", "A", "z", "\u00e9", "\uFF61", "\uD83D\uDE00",
                "0", "a b", "tenant", "purpose"));
        byte[] reference = null;
        Random random = new Random(20240601L);
        for (int round = 0; round < 50; round++) {
            Collections.shuffle(keys, random);
            Map<String, String> map = new LinkedHashMap<>();
            keys.forEach(k -> map.put(k, "v-" + k));
            EncryptionContext ctx = EncryptionContext.of(map);
            if (reference == null) {
                reference = ctx.canonicalBytes();
            } else {
                assertArrayEquals(reference, ctx.canonicalBytes(), "insertion order " + keys);
            }
        }
        Map<String, String> ordered = new LinkedHashMap<>();
        ordered.put("x", "1");
        ordered.put("y", "2");
        Map<String, String> reversed = new LinkedHashMap<>();
        reversed.put("y", "2");
        reversed.put("x", "1");
        assertEquals(EncryptionContext.of(ordered), EncryptionContext.of(reversed));
        assertEquals(EncryptionContext.of(ordered).hashCode(), EncryptionContext.of(reversed).hashCode());
    }

    @Test
    void entriesAreSortedByUtf8BytesWhereUtf16OrderDiffers() {
        String halfwidthStop = "\uFF61";          // UTF-8 EF BD A1, UTF-16 FF61
        String grinningFace = "\uD83D\uDE00";     // UTF-8 F0 9F 98 80, UTF-16 D83D DE00
        // Precondition: Java's own String order puts the emoji first, so this case tells the two orders apart.
        assertTrue(grinningFace.compareTo(halfwidthStop) < 0);

        Map<String, String> map = new LinkedHashMap<>();
        map.put(grinningFace, "b");
        map.put(halfwidthStop, "a");
        EncryptionContext ctx = EncryptionContext.of(map);

        assertEquals(List.of(halfwidthStop, grinningFace), new ArrayList<>(ctx.asMap().keySet()));
        String expected = "0002"
                + "0003" + "efbda1" + "0001" + "61"
                + "0004" + "f09f9880" + "0001" + "62";
        assertEquals(expected, HEX.formatHex(ctx.canonicalBytes()));
    }

    @Test
    void sortIsUnsignedBytewiseSoAsciiComesBeforeMultiByteAndPrefixesComeFirst() {
        Map<String, String> map = new HashMap<>();
        map.put("\u00e9", "3");   // C3 A9: would sort before ASCII if bytes were compared signed
        map.put("ab", "2");
        map.put("a", "1");
        map.put("B", "0");        // 0x42 < 0x61: upper case before lower case
        assertEquals(List.of("B", "a", "ab", "\u00e9"), new ArrayList<>(EncryptionContext.of(map).asMap().keySet()));
    }

    @Test
    void lengthPrefixesKeepDifferentMapsApart() {
        assertFalse(java.util.Arrays.equals(
                EncryptionContext.of(Map.of("a", "bc")).canonicalBytes(),
                EncryptionContext.of(Map.of("ab", "c")).canonicalBytes()));
        assertFalse(java.util.Arrays.equals(
                EncryptionContext.of(Map.of("a", "")).canonicalBytes(),
                EncryptionContext.EMPTY.canonicalBytes()));
        assertNotEquals(EncryptionContext.of(Map.of("a", "")), EncryptionContext.EMPTY);
    }

    @Test
    void emptyValueIsAllowedAndEncodedWithZeroLength() {
        assertEquals("0001" + "0001" + "6b" + "0000", HEX.formatHex(EncryptionContext.of(Map.of("k", "")).canonicalBytes()));
    }

    @Test
    void sixtyFourEntriesAreAcceptedAndSixtyFiveRefused() {
        assertEquals(64, EncryptionContext.MAX_ENTRIES);
        assertEquals(64, EncryptionContext.of(entries(64)).asMap().size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EncryptionContext.of(entries(65)));
        assertTrue(e.getMessage().contains("64"), e.getMessage());
    }

    @Test
    void keysUpTo256Utf8BytesAreAcceptedAndLongerRefused() {
        assertEquals(256, EncryptionContext.MAX_KEY_BYTES);
        EncryptionContext.of(Map.of("k".repeat(256), "v"));
        assertThrows(IllegalArgumentException.class, () -> EncryptionContext.of(Map.of("k".repeat(257), "v")));
        // The limit counts UTF-8 bytes, not chars: 128 x U+00E9 is 256 bytes, 129 is 258.
        EncryptionContext.of(Map.of("\u00e9".repeat(128), "v"));
        assertThrows(IllegalArgumentException.class, () -> EncryptionContext.of(Map.of("\u00e9".repeat(129), "v")));
    }

    @Test
    void valuesUpTo4096Utf8BytesAreAcceptedAndLongerRefused() {
        assertEquals(4096, EncryptionContext.MAX_VALUE_BYTES);
        byte[] canonical = EncryptionContext.of(Map.of("k", "v".repeat(4096))).canonicalBytes();
        assertEquals(2 + 2 + 1 + 2 + 4096, canonical.length);
        assertEquals("1000", HEX.formatHex(canonical, 5, 7));
        assertThrows(IllegalArgumentException.class, () -> EncryptionContext.of(Map.of("k", "v".repeat(4097))));
        // 1366 x U+20AC is 1366 chars but 4098 UTF-8 bytes.
        assertThrows(IllegalArgumentException.class, () -> EncryptionContext.of(Map.of("k", "\u20ac".repeat(1366))));
    }

    @Test
    void emptyOrNullKeyAndNullValueAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> EncryptionContext.of(Map.of("", "v")));
        Map<String, String> nullKey = new HashMap<>();
        nullKey.put(null, "v");
        assertThrows(IllegalArgumentException.class, () -> EncryptionContext.of(nullKey));
        Map<String, String> nullValue = new HashMap<>();
        nullValue.put("k", null);
        assertThrows(IllegalArgumentException.class, () -> EncryptionContext.of(nullValue));
    }

    @ParameterizedTest
    @ValueSource(strings = {"\uD83D", "a\uD83Db", "\uDE00", "x\uDE00", "\uDE00\uD83D", "\uD83D\uD83D"})
    void loneSurrogatesAreRefusedInKeysAndValues(String malformed) {
        assertThrows(IllegalArgumentException.class, () -> EncryptionContext.of(Map.of(malformed, "v")));
        assertThrows(IllegalArgumentException.class, () -> EncryptionContext.of(Map.of("k", malformed)));
    }

    @Test
    void loneSurrogatesCannotCollideWithQuestionMark() {
        // Java's encoder turns a lone surrogate into '?': without the check these two would canonicalise alike.
        EncryptionContext.of(Map.of("k", "?"));
        assertThrows(IllegalArgumentException.class, () -> EncryptionContext.of(Map.of("k", "\uD83D")));
    }

    @Test
    void asMapIsReadOnlyAndToStringHidesValues() {
        EncryptionContext ctx = EncryptionContext.of(Map.of("customer", "secret-name"));
        assertThrows(UnsupportedOperationException.class, () -> ctx.asMap().put("x", "y"));
        assertFalse(ctx.toString().contains("secret-name"), ctx.toString());
        assertTrue(ctx.toString().contains("customer"), ctx.toString());
    }

    private static Map<String, String> entries(int n) {
        Map<String, String> map = new HashMap<>();
        for (int i = 0; i < n; i++) {
            map.put("key-" + i, "value-" + i);
        }
        return map;
    }
}
