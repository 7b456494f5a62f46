package io.keyward.provider.xks;

import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.WrappedKeyInvalidException;

/**
 * One failed attempt, already translated: the {@link ProviderException} the caller sees if nothing else is tried,
 * and whether another attempt may help. Internal to the package; never crosses the SPI.
 */
final class XksFailure extends RuntimeException {
    private final transient ProviderException error;
    private final boolean retryable;

    private XksFailure(ProviderException error, boolean retryable) {
        super(error.getMessage(), null, false, false);
        this.error = error;
        this.retryable = retryable;
    }

    static XksFailure revoked(String message) {
        return new XksFailure(new KeyRevokedException(message), false);
    }

    static XksFailure unavailable(String message) {
        return new XksFailure(new KeyUnavailableException(message), true);
    }

    /** Unavailable, and another attempt within this call cannot help (interrupted, deadline spent). */
    static XksFailure unavailableNoRetry(String message) {
        return new XksFailure(new KeyUnavailableException(message), false);
    }

    static XksFailure misconfigured(String message) {
        return new XksFailure(new KeyMisconfiguredException(message), false);
    }

    static XksFailure invalidWrappedKey(String message) {
        return new XksFailure(new WrappedKeyInvalidException(message), false);
    }

    ProviderException error() {
        return error;
    }

    boolean retryable() {
        return retryable;
    }
}
