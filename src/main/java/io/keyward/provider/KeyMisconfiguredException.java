package io.keyward.provider;

/** The key reference or its options are wrong (malformed URI, missing option, wrong key type). */
public final class KeyMisconfiguredException extends ProviderException {
    public KeyMisconfiguredException(String message) {
        super(message);
    }
}
