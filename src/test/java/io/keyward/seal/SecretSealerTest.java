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
}
