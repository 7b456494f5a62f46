package io.keyward.provider.pkcs11;

/**
 * A PKCS#11 function returned something other than {@code CKR_OK}. Carries the return value and its name only:
 * never an argument (a PIN, a key, data). Stays inside this package; {@link Pkcs11Provider} maps it onto the SPI.
 */
public final class CryptokiException extends RuntimeException {
    private final long code;

    public CryptokiException(long code, String function) {
        super(function + " returned " + Ck.name(code), null, false, false);
        this.code = code;
    }

    /** The {@code CKR_*} value. */
    public long code() {
        return code;
    }

    /** The {@code CKR_*} name, e.g. {@code CKR_PIN_INCORRECT}. */
    public String codeName() {
        return Ck.name(code);
    }
}
