package io.keyward.provider.vault;

import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.WrappedKeyInvalidException;

/**
 * One failed attempt, already translated: the {@link ProviderException} the caller will see if nothing else is
 * tried, whether another attempt may help ({@code retryable}), and whether the client token itself was refused so a
 * fresh login may help ({@code tokenRefused}). Internal to the package; never crosses the SPI.
 */
final class VaultFailure extends RuntimeException {
    private final transient ProviderException error;
    private final boolean retryable;
    private final boolean tokenRefused;

    private VaultFailure(ProviderException error, boolean retryable, boolean tokenRefused) {
        super(error.getMessage(), null, false, false);
        this.error = error;
        this.retryable = retryable;
        this.tokenRefused = tokenRefused;
    }

    static VaultFailure revoked(String message) {
        return new VaultFailure(new KeyRevokedException(message), false, false);
    }

    /** Access denied with this client token: revoked, unless a fresh login gets a token that works. */
    static VaultFailure denied(String message) {
        return new VaultFailure(new KeyRevokedException(message), false, true);
    }

    static VaultFailure unavailable(String message) {
        return new VaultFailure(new KeyUnavailableException(message), true, false);
    }

    /** Unavailable, and retrying within this call cannot help (e.g. the thread was interrupted). */
    static VaultFailure unavailableNoRetry(String message) {
        return new VaultFailure(new KeyUnavailableException(message), false, false);
    }

    static VaultFailure misconfigured(String message) {
        return new VaultFailure(new KeyMisconfiguredException(message), false, false);
    }

    static VaultFailure invalidWrappedKey(String message) {
        return new VaultFailure(new WrappedKeyInvalidException(message), false, false);
    }

    ProviderException error() {
        return error;
    }

    boolean retryable() {
        return retryable;
    }

    boolean tokenRefused() {
        return tokenRefused;
    }
}
