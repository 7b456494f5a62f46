package io.keyward.provider;

/**
 * The provider could not unwrap the bytes it was given (tampered, truncated, wrapped under another key or with
 * other associated data). This says nothing about the key's state: it must never mark a key revoked, or anyone
 * able to submit a ciphertext could cut a tenant off.
 */
public final class WrappedKeyInvalidException extends ProviderException {
    public WrappedKeyInvalidException(String message) {
        super(message);
    }
}
