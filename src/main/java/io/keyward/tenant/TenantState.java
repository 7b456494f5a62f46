package io.keyward.tenant;

/** A tenant's state as the API reports it, derived from the kill switch and its primary key's health. */
public enum TenantState {
    NO_KEY, ACTIVE, KEY_UNAVAILABLE, REVOKED
}
