package io.keyward.envelope;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The caller's encryption context: a string map bound into the AEAD's associated data, never stored in the
 * envelope. Canonical form (docs/reference/envelope-format.md): entries sorted by the UTF-8 bytes of the key,
 * then {@code u16 count, (u16 keyLen, key, u16 valueLen, value)*}, all big-endian. Sorting by bytes (not by
 * Java's UTF-16 order) keeps the form identical for any implementation that works on UTF-8.
 */
public final class EncryptionContext {
    public static final int MAX_ENTRIES = 64;
    public static final int MAX_KEY_BYTES = 256;
    public static final int MAX_VALUE_BYTES = 4096;
    public static final EncryptionContext EMPTY = new EncryptionContext(new TreeMap<>(EncryptionContext::compareUtf8));

    private final SortedMap<String, String> entries;

    private EncryptionContext(SortedMap<String, String> entries) {
        this.entries = entries;
    }

    /**
     * @throws IllegalArgumentException with a caller-safe message when the map breaks a limit
     */
    public static EncryptionContext of(Map<String, String> map) {
        if (map == null || map.isEmpty()) {
            return EMPTY;
        }
        if (map.size() > MAX_ENTRIES) {
            throw new IllegalArgumentException("context has " + map.size() + " entries; at most " + MAX_ENTRIES);
        }
        SortedMap<String, String> sorted = new TreeMap<>(EncryptionContext::compareUtf8);
        for (Map.Entry<String, String> e : map.entrySet()) {
            String k = e.getKey();
            String v = e.getValue();
            if (k == null || k.isEmpty()) {
                throw new IllegalArgumentException("context keys must be non-empty strings");
            }
            if (v == null) {
                throw new IllegalArgumentException("context value for key '" + safe(k) + "' must be a string");
            }
            if (utf8Length(k) > MAX_KEY_BYTES) {
                throw new IllegalArgumentException("a context key is longer than " + MAX_KEY_BYTES + " bytes");
            }
            if (utf8Length(v) > MAX_VALUE_BYTES) {
                throw new IllegalArgumentException("a context value is longer than " + MAX_VALUE_BYTES + " bytes");
            }
            if (!isWellFormed(k) || !isWellFormed(v)) {
                throw new IllegalArgumentException("context keys and values must be valid Unicode text");
            }
            sorted.put(k, v);
        }
        return new EncryptionContext(sorted);
    }

    public Map<String, String> asMap() {
        return Collections.unmodifiableSortedMap(entries);
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** The canonical bytes that go into associated data. */
    public byte[] canonicalBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 + entries.size() * 32);
        writeU16(out, entries.size());
        for (Map.Entry<String, String> e : entries.entrySet()) {
            byte[] k = e.getKey().getBytes(StandardCharsets.UTF_8);
            byte[] v = e.getValue().getBytes(StandardCharsets.UTF_8);
            writeU16(out, k.length);
            out.writeBytes(k);
            writeU16(out, v.length);
            out.writeBytes(v);
        }
        return out.toByteArray();
    }

    static int compareUtf8(String a, String b) {
        byte[] x = a.getBytes(StandardCharsets.UTF_8);
        byte[] y = b.getBytes(StandardCharsets.UTF_8);
        return java.util.Arrays.compareUnsigned(x, y);
    }

    private static void writeU16(ByteArrayOutputStream out, int v) {
        out.write((v >>> 8) & 0xff);
        out.write(v & 0xff);
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** Lone surrogates would be replaced by '?' in UTF-8, so two different maps could canonicalise alike. */
    private static boolean isWellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    private static String safe(String key) {
        return key.length() > 32 ? key.substring(0, 32) + "..." : key;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EncryptionContext other && entries.equals(other.entries);
    }

    @Override
    public int hashCode() {
        return entries.hashCode();
    }

    @Override
    public String toString() {
        // Context values may be sensitive to the caller (ids, names): show only the keys.
        return "EncryptionContext" + entries.keySet();
    }
}
