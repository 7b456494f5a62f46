package io.keyward.provider.xks;

import io.keyward.provider.WrappedKeyInvalidException;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The wrapped key format 1 of {@link XksWrappedKey}, byte for byte. */
class XksWrappedKeyTest {

    @Test
    void formatOneIsVersionIvMetadataTagCiphertext() {
        byte[] iv = new byte[12];
        byte[] meta = "kv=1".getBytes();
        byte[] tag = new byte[16];
        byte[] ct = {(byte) 0xaa, (byte) 0xbb};
        java.util.Arrays.fill(iv, (byte) 0x11);
        java.util.Arrays.fill(tag, (byte) 0x22);
        byte[] b = new XksWrappedKey(iv, meta, tag, ct).encode();
        assertEquals("010c" + "11".repeat(12) + "04" + "6b763d31" + "22".repeat(16) + "aabb",
                HexFormat.of().formatHex(b));
        XksWrappedKey back = XksWrappedKey.decode(b, "xks://h/keys/k");
        assertArrayEquals(iv, back.iv());
        assertArrayEquals(meta, back.metadata());
        assertArrayEquals(tag, back.tag());
        assertArrayEquals(ct, back.ciphertext());
    }

    @Test
    void anythingElseIsAnInvalidWrappedKey() {
        String ok = "010c" + "11".repeat(12) + "00" + "22".repeat(16) + "aabb";
        for (String bad : new String[] {"", "01", "020c" + ok.substring(4), "010d" + ok.substring(4),
                ok.substring(0, ok.length() - 4), "010c" + "11".repeat(12) + "15" + "00".repeat(21) + "22".repeat(16)
                + "aa"}) {
            assertThrows(WrappedKeyInvalidException.class,
                    () -> XksWrappedKey.decode(HexFormat.of().parseHex(bad), "xks://h/keys/k"), bad);
        }
        assertThrows(WrappedKeyInvalidException.class, () -> XksWrappedKey.decode(null, "xks://h/keys/k"));
    }
}
