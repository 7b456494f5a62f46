package io.keyward.error;

/**
 * Every error keyward reports, with its HTTP status and the stable code string clients match on.
 * Documented in docs/reference/error-codes.md; a test keeps the two in step.
 */
public enum ErrorCode {
    UNAUTHENTICATED(401, "Authentication required"),
    FORBIDDEN(403, "Forbidden"),
    INVALID_REQUEST(400, "Invalid request"),
    NOT_FOUND(404, "Not found"),
    METHOD_NOT_ALLOWED(405, "Method not allowed"),
    UNSUPPORTED_MEDIA_TYPE(415, "Unsupported media type"),
    NOT_ACCEPTABLE(406, "Not acceptable"),
    TENANT_NOT_FOUND(404, "Tenant not found"),
    KEY_NOT_FOUND(404, "Key not found"),
    TENANT_EXISTS(409, "Tenant already exists"),
    KEY_EXISTS(409, "Key already exists"),
    INVALID_KEY_STATE(409, "Invalid key state"),
    NO_KEY(409, "Tenant has no primary key"),
    INVALID_CIPHERTEXT(400, "Invalid ciphertext"),
    KEY_REVOKED(403, "Key revoked"),
    KEY_UNAVAILABLE(503, "Key unavailable"),
    PAYLOAD_TOO_LARGE(413, "Payload too large"),
    KEY_CHECK_FAILED(422, "Key check failed"),
    PROVIDER_NOT_ALLOWED(422, "Provider not allowed"),
    SERVICE_UNAVAILABLE(503, "Service unavailable"),
    INTERNAL(500, "Internal error"),
    KEY_IN_USE(409, "Key in use"),
    KEY_RETIRED(409, "Key retired"),
    LAST_ADMIN_KEY(409, "Last admin key");

    private final int status;
    private final String title;

    ErrorCode(int status, String title) {
        this.status = status;
        this.title = title;
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }
}
