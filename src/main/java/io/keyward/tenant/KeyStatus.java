package io.keyward.tenant;

/** The role a tenant key plays. A tenant has at most one PRIMARY key, which seals new data. */
public enum KeyStatus {
    PRIMARY, DECRYPT_ONLY, RETIRED
}
