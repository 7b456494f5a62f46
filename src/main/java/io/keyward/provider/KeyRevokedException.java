package io.keyward.provider;

/**
 * The provider says the key cannot be used and will not be usable without the customer acting: disabled,
 * scheduled for deletion, destroyed, access denied, not found. Keyward stops all use of the tenant key.
 */
public final class KeyRevokedException extends ProviderException {
    public KeyRevokedException(String message) {
        super(message);
    }
}
