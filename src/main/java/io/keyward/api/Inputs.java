package io.keyward.api;

import io.keyward.envelope.EncryptionContext;
import io.keyward.error.ErrorCode;
import io.keyward.error.KeywardException;

import java.util.Base64;
import java.util.Map;

/** Decoding and bounds of request fields, with messages that name the field and never echo its value. */
final class Inputs {
    private Inputs() {
    }

    static <T> T body(T body) {
        if (body == null) {
            throw KeywardException.of(ErrorCode.INVALID_REQUEST, "a JSON request body is required");
        }
        return body;
    }

    static byte[] base64(String value, String field, long maxBytes) {
        if (value == null) {
            throw KeywardException.of(ErrorCode.INVALID_REQUEST, field + " is required (base64)");
        }
        // 4 base64 characters carry 3 bytes: refuse before decoding anything oversized.
        if ((long) value.length() / 4 * 3 > maxBytes + 3) {
            throw KeywardException.of(ErrorCode.PAYLOAD_TOO_LARGE, field + " is larger than " + maxBytes + " bytes");
        }
        byte[] out;
        try {
            out = Base64.getDecoder().decode(value);
        } catch (IllegalArgumentException e) {
            throw KeywardException.of(ErrorCode.INVALID_REQUEST, field + " is not valid base64 (standard alphabet)");
        }
        if (out.length > maxBytes) {
            throw KeywardException.of(ErrorCode.PAYLOAD_TOO_LARGE, field + " is larger than " + maxBytes + " bytes");
        }
        return out;
    }

    static EncryptionContext context(Map<String, String> context) {
        try {
            return EncryptionContext.of(context);
        } catch (IllegalArgumentException e) {
            throw KeywardException.of(ErrorCode.INVALID_REQUEST, e.getMessage());
        }
    }

    static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    /** Query parameters arrive as strings: JAX-RS would turn a failed int conversion into a 404. */
    static int limit(String raw, int dflt, int max) {
        if (raw == null || raw.isEmpty()) {
            return dflt;
        }
        int limit;
        try {
            limit = Integer.parseInt(raw);
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 1 || limit > max) {
            throw KeywardException.of(ErrorCode.INVALID_REQUEST, "limit must be between 1 and " + max);
        }
        return limit;
    }
}
