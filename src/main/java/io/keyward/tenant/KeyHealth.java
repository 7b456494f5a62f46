package io.keyward.tenant;

/**
 * What keyward last learned from the provider about a tenant key. REVOKED is sticky: only a passing check
 * through {@code :restore} clears it.
 */
public enum KeyHealth {
    AVAILABLE, UNAVAILABLE, REVOKED
}
