package io.keyward.error;

/**
 * The one error type services throw. It carries a stable {@link ErrorCode}, an HTTP status override for the
 * rare code whose status depends on the verb (KEY_CHECK_FAILED is 422 on attach, 409 on restore), and a detail
 * that is safe to show a caller: never key material, plaintext, tokens or provider secrets.
 */
public final class KeywardException extends RuntimeException {
    private final ErrorCode code;
    private final int status;
    private final Integer retryAfterSeconds;

    private KeywardException(ErrorCode code, int status, String detail, Integer retryAfterSeconds) {
        // No cause and no stack trace: these are expected outcomes, and a cause could drag an SDK message
        // containing request data into a log line.
        super(detail, null, false, false);
        this.code = code;
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public static KeywardException of(ErrorCode code, String detail) {
        return new KeywardException(code, code.status(), detail, null);
    }

    public static KeywardException withStatus(ErrorCode code, int status, String detail) {
        return new KeywardException(code, status, detail, null);
    }

    public static KeywardException unavailable(String detail, int retryAfterSeconds) {
        return new KeywardException(ErrorCode.KEY_UNAVAILABLE, ErrorCode.KEY_UNAVAILABLE.status(), detail,
                retryAfterSeconds);
    }

    public ErrorCode code() {
        return code;
    }

    public int status() {
        return status;
    }

    public String detail() {
        return getMessage();
    }

    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
