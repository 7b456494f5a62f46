package io.keyward.provider.pkcs11;

import io.keyward.provider.KeyMisconfiguredException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 7512 key URIs as keyward reads them. */
class Pkcs11KeyUriTest {

    @Test
    void tokenAndObjectAreRead() {
        Pkcs11KeyUri uri = Pkcs11KeyUri.parse("pkcs11:token=payments;object=tenant-kek");
        assertEquals("payments", uri.token());
        assertEquals("tenant-kek", uri.object());
        assertNull(uri.serial());
    }

    @Test
    void percentEscapesAreDecodedAsUtf8() {
        Pkcs11KeyUri uri = Pkcs11KeyUri.parse("pkcs11:token=Bank%20HSM%3B1;serial=3c7d3968;object=K%C3%BCndigung;type=secret-key");
        assertEquals("Bank HSM;1", uri.token());
        assertEquals("3c7d3968", uri.serial());
        assertEquals("Kündigung", uri.object());
    }

    @Test
    void aPinInTheUriIsRefusedWithAPointerToTheSealedOption() {
        KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class,
                () -> Pkcs11KeyUri.parse("pkcs11:token=t;object=k?pin-value=1234"));
        assertTrue(e.getMessage().contains("'pin' option"), e.getMessage());
        assertTrue(!e.getMessage().contains("1234"), "the PIN is not echoed");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "pkcs11:", "pkcs11:token=t", "pkcs11:object=k", "pkcs11:token=;object=k",
            "pkcs11:token=t;object=", "pkcs11:token=t;object=k;object=j", "pkcs11:token=t;object=k;id=%01",
            "pkcs11:token=t;object=k;type=private", "pkcs11:token=t;object=k%", "pkcs11:token=t;object=k%4",
            "pkcs11:token=t;object=k%ZZ", "pkcs11:token=t;object=%FF", "pkcs11:token=a b;object=k",
            "pkcs11:token=t;object=k;", "pkcs11:token=t;object=k?module-path=/tmp/x.so",
            "pkcs11:token=0123456789abcdef0123456789abcdef0;object=k", "PKCS11:token=t;object=k", "pkcs11:tokent;object=k"})
    void malformedUrisAreRefused(String uri) {
        KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class, () -> Pkcs11KeyUri.parse(uri));
        assertTrue(e.getMessage().startsWith("pkcs11 key URI"), e.getMessage());
    }
}
