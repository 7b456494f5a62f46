package io.keyward.provider;

/**
 * The provider could not answer now (timeout, 5xx, throttling, connection refused). Transient: keyward keeps
 * serving cached data keys until their max age and retries later.
 */
public final class KeyUnavailableException extends ProviderException {
    public KeyUnavailableException(String message) {
        super(message);
    }
}
