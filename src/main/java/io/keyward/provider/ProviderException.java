package io.keyward.provider;

/**
 * What a provider reports when a call does not succeed. The subtypes are the whole vocabulary the key
 * service understands; providers translate their SDK errors into them at the SPI edge. Messages must be safe
 * to show the tenant's administrator: no key bytes, no credentials, no request payloads.
 */
public abstract sealed class ProviderException extends RuntimeException
        permits KeyRevokedException, KeyUnavailableException, KeyMisconfiguredException, WrappedKeyInvalidException {

    protected ProviderException(String message) {
        // No cause kept and no stack trace: SDK exceptions can carry request data and credentials.
        super(message, null, false, false);
    }
}
