package io.keyward.provider.local;

/** Raised inside the stand-in KMS when a key is missing, disabled or destroyed; mapped to revoked at the SPI. */
final class LocalKeyStateException extends RuntimeException {
    LocalKeyStateException(String message) {
        super(message, null, false, false);
    }
}
