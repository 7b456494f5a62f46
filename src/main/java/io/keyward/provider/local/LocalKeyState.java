package io.keyward.provider.local;

/** States of a key in the stand-in KMS, after the states cloud KMSs expose. */
public enum LocalKeyState {
    ENABLED, DISABLED, DESTROYED
}
