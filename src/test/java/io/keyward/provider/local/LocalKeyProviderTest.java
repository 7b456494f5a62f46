package io.keyward.provider.local;

import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeySpec;
import io.keyward.provider.WrappedKeyInvalidException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalKeyProviderTest {
    @TempDir
    Path dir;

    private final byte[] dek = new byte[32];
    private final byte[] aad = "aad".getBytes();

    @Test
    void wrapsAndUnwrapsWithAadBinding() {
        LocalKms kms = new LocalKms(dir);
        kms.create("k1");
        LocalKeyProvider p = new LocalKeyProvider(kms);
        KeySpec spec = p.validate("local:k1", Map.of());
        byte[] wrapped = p.wrap(spec, dek, aad);
        assertArrayEquals(dek, p.unwrap(spec, wrapped, aad));
        assertThrows(WrappedKeyInvalidException.class, () -> p.unwrap(spec, wrapped, "other".getBytes()));
        wrapped[wrapped.length - 1] ^= 1;
        assertThrows(WrappedKeyInvalidException.class, () -> p.unwrap(spec, wrapped, aad));
    }

    @Test
    void disabledDestroyedAndMissingKeysAreRevokedNotInvalid() {
        LocalKms kms = new LocalKms(dir);
        kms.create("k1");
        LocalKeyProvider p = new LocalKeyProvider(kms);
        KeySpec spec = p.validate("local:k1", Map.of());
        byte[] wrapped = p.wrap(spec, dek, aad);

        kms.disable("k1");
        assertThrows(KeyRevokedException.class, () -> p.unwrap(spec, wrapped, aad));
        assertThrows(KeyRevokedException.class, () -> p.wrap(spec, dek, aad));
        assertThrows(KeyRevokedException.class, () -> p.check(spec));
        kms.enable("k1");
        p.check(spec);
        assertArrayEquals(dek, p.unwrap(spec, wrapped, aad));

        kms.destroy("k1");
        assertThrows(KeyRevokedException.class, () -> p.unwrap(spec, wrapped, aad));
        assertThrows(IllegalStateException.class, () -> kms.enable("k1"));
        assertFalse(Files.exists(dir.resolve("k1/keyset.json")), "destroy removes the key material");

        KeySpec missing = p.validate("local:nope", Map.of());
        assertThrows(KeyRevokedException.class, () -> p.check(missing));
    }

    @Test
    void stateAndKeysSurviveARestartAndFilesAreOwnerOnly() throws Exception {
        LocalKms kms = new LocalKms(dir);
        kms.create("k1");
        kms.create("k2");
        LocalKeyProvider p = new LocalKeyProvider(kms);
        KeySpec spec = p.validate("local:k1", Map.of());
        byte[] wrapped = p.wrap(spec, dek, aad);
        kms.disable("k2");

        LocalKms reopened = new LocalKms(dir);
        assertEquals(LocalKeyState.ENABLED, reopened.find("k1").orElseThrow().state());
        assertEquals(LocalKeyState.DISABLED, reopened.find("k2").orElseThrow().state());
        assertArrayEquals(dek, new LocalKeyProvider(reopened).unwrap(spec, wrapped, aad));
        assertEquals("rw-------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("k1/keyset.json"))));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("k1"))));
    }

    @Test
    void createRefusesDuplicatesAndBadNames() {
        LocalKms kms = new LocalKms(dir);
        kms.create("k1");
        assertThrows(IllegalStateException.class, () -> kms.create("k1"));
        for (String bad : new String[] {"", "../x", "UPPER", "a/b", "x".repeat(64), "-lead", "a b"}) {
            assertThrows(IllegalArgumentException.class, () -> kms.create(bad), bad);
        }
        assertEquals(1, kms.list().size());
    }

    @Test
    void validateRejectsMalformedUrisAndOptions() {
        LocalKeyProvider p = new LocalKeyProvider(new LocalKms(dir));
        for (String bad : new String[] {null, "", "local:", "aws:k", "local:../etc", "local:UP", "local:a/b"}) {
            KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class, () -> p.validate(bad, Map.of()));
            assertTrue(e.getMessage().contains("local"), e.getMessage());
        }
        assertThrows(KeyMisconfiguredException.class, () -> p.validate("local:k", Map.of("region", "x")));
        assertEquals("local:k", p.validate("local:k", null).keyUri());
    }
}
