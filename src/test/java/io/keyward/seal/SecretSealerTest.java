package io.keyward.seal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SecretSealerTest {
    @TempDir
    Path dir;

    private static final byte[] SECRET = "s3cr3t-approle-secret-id".getBytes(StandardCharsets.UTF_8);

    @Test
    void sealedValueHidesTheSecretAndOpensOnlyForWhatItIsBoundTo() {
        SecretSealer sealer = new SecretSealer(Optional.empty(), dir);
        String sealed = sealer.seal(SECRET, "acme|tk_1");
        assertFalse(sealed.contains("s3cr3t"));
        assertFalse(sealed.contains(Base64.getEncoder().encodeToString(SECRET)));
        assertArrayEquals(SECRET, sealer.unseal(sealed, "acme|tk_1"));
        assertThrows(IllegalStateException.class, () -> sealer.unseal(sealed, "evil|tk_1"));
        assertThrows(IllegalStateException.class, () -> sealer.unseal("v1:AAAA", "acme|tk_1"));
        assertThrows(IllegalStateException.class, () -> sealer.unseal("plain", "acme|tk_1"));
    }

    @Test
    void generatedRootKeyIsOwnerOnlyAndReusedOnRestart() throws Exception {
        String sealed = new SecretSealer(Optional.empty(), dir).seal(SECRET, "x");
        Path file = dir.resolve(SecretSealer.FILE);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertArrayEquals(SECRET, new SecretSealer(Optional.empty(), dir).unseal(sealed, "x"));
    }

    @Test
    void configuredRootKeyIsUsedAndOtherRootsCannotOpen() {
        String root = Base64.getEncoder().encodeToString(new byte[32]);
        SecretSealer configured = new SecretSealer(Optional.of(root), dir);
        assertFalse(Files.exists(dir.resolve(SecretSealer.FILE)), "no file when the root key is configured");
        String sealed = configured.seal(SECRET, "x");
        assertThrows(IllegalStateException.class, () -> new SecretSealer(Optional.empty(), dir).unseal(sealed, "x"));
        IllegalStateException bad = assertThrows(IllegalStateException.class,
                () -> new SecretSealer(Optional.of("AAAA"), dir));
        assertTrue(bad.getMessage().contains("32 bytes"));
    }

    private static String key(int fill) {
        byte[] k = new byte[32];
        java.util.Arrays.fill(k, (byte) fill);
        return Base64.getEncoder().encodeToString(k);
    }

    @Test
    void aRotatedSealerOpensValuesUnderThePreviousKeyAndSealsUnderTheNewOne() {
        SecretSealer old = new SecretSealer(Optional.of(key(1)), dir);
        String underOld = old.seal(SECRET, "acme|tk_1");
        assertTrue(underOld.startsWith("v2:" + old.currentKeyId() + ":"), underOld);

        SecretSealer rotated = new SecretSealer(Optional.of(key(2)), java.util.List.of(key(1)), dir);
        assertEquals(java.util.List.of(old.currentKeyId()), rotated.previousKeyIds());
        assertFalse(rotated.isCurrent(underOld));
        assertArrayEquals(SECRET, rotated.unseal(underOld, "acme|tk_1"));
        String moved = rotated.reseal(underOld, "acme|tk_1");
        assertTrue(rotated.isCurrent(moved));
        assertArrayEquals(SECRET, rotated.unseal(moved, "acme|tk_1"));
        assertThrows(IllegalStateException.class, () -> rotated.reseal(underOld, "evil|tk_1"), "binding still holds");

        SecretSealer withoutOld = new SecretSealer(Optional.of(key(2)), dir);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> withoutOld.unseal(underOld, "acme|tk_1"));
        assertTrue(e.getMessage().contains(old.currentKeyId()), "names the missing root key: " + e.getMessage());
        assertArrayEquals(SECRET, withoutOld.unseal(moved, "acme|tk_1"));
    }

    @Test
    void valuesSealedBeforeKeyIdsExistedStillOpenUnderAnyConfiguredKey() throws Exception {
        // The v1 format: "v1:" + base64(nonce | ciphertext | tag) with the same AAD, no key id.
        byte[] raw = new byte[32];
        java.util.Arrays.fill(raw, (byte) 1);
        byte[] sealed = new com.google.crypto.tink.subtle.AesGcmJce(raw).encrypt(SECRET,
                "keyward/v1 sealed secret|acme|tk_1".getBytes(StandardCharsets.UTF_8));
        String v1 = "v1:" + Base64.getEncoder().encodeToString(sealed);
        assertArrayEquals(SECRET, new SecretSealer(Optional.of(key(1)), dir).unseal(v1, "acme|tk_1"));
        SecretSealer rotated = new SecretSealer(Optional.of(key(2)), java.util.List.of(key(1)), dir);
        assertArrayEquals(SECRET, rotated.unseal(v1, "acme|tk_1"));
        assertTrue(rotated.isCurrent(rotated.reseal(v1, "acme|tk_1")));
        assertThrows(IllegalStateException.class, () -> new SecretSealer(Optional.of(key(2)), dir).unseal(v1, "acme|tk_1"));
    }

    @Test
    void theRootKeyCanComeFromAFileButNotFromAFileAndTheConfigAtOnce() throws Exception {
        Path file = dir.resolve("mounted-secret");
        Files.writeString(file, key(3) + "\n");
        assertEquals(Optional.of(key(3)), SecretSealer.root(Optional.empty(), Optional.of(file.toString())));
        assertEquals(Optional.of(key(4)), SecretSealer.root(Optional.of(key(4)), Optional.empty()));
        IllegalStateException both = assertThrows(IllegalStateException.class,
                () -> SecretSealer.root(Optional.of(key(4)), Optional.of(file.toString())));
        assertTrue(both.getMessage().contains("not keyward.seal.root-key and keyward.seal.root-key-file"),
                both.getMessage());
        assertThrows(IllegalStateException.class,
                () -> SecretSealer.root(Optional.empty(), Optional.of(dir.resolve("missing").toString())));
    }
}
