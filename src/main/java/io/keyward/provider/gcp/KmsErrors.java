package io.keyward.provider.gcp;

import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.StatusCode;
import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.WrappedKeyInvalidException;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a Cloud KMS answer (a gRPC status, surfaced by gax as {@link ApiException}) into the SPI's vocabulary.
 * Status meanings: google.rpc.Code (https://github.com/googleapis/googleapis/blob/master/google/rpc/code.proto,
 * https://cloud.google.com/apis/design/errors). Messages are built here from the status code and the key's resource
 * name only; the server's free text is never copied (a hostile or buggy endpoint could put anything in it), except
 * a key version state name matched against a fixed pattern.
 */
final class KmsErrors {
    enum Operation {
        ENCRYPT("Encrypt"), DECRYPT("Decrypt"), GET_CRYPTO_KEY("GetCryptoKey");

        final String rpc;

        Operation(String rpc) {
            this.rpc = rpc;
        }
    }

    /** Cloud KMS says e.g. "projects/.../cryptoKeyVersions/1 is not enabled, current state is: DESTROYED." */
    private static final Pattern VERSION_STATE = Pattern.compile(
            "cryptoKeyVersions/([0-9]{1,10}) is not enabled, current state is: ([A-Z_]{1,40})");

    private KmsErrors() {
    }

    static ProviderException translate(ApiException e, Operation op, CryptoKeyName key) {
        StatusCode.Code code = e.getStatusCode().getCode();
        String where = "Cloud KMS " + op.rpc + " on " + key + ": " + code;
        return switch (code) {
            // The caller lacks cloudkms.cryptoKeyVersions.useToEncrypt/useToDecrypt (or cryptoKeys.get) on the key:
            // its IAM binding for keyward was removed. Cloud KMS answers PERMISSION_DENIED "... (or it may not
            // exist)" for keys the caller cannot see at all (https://cloud.google.com/kms/docs/iam,
            // https://cloud.google.com/kms/docs/reference/permissions-and-roles).
            case PERMISSION_DENIED -> new KeyRevokedException(where
                    + " (keyward's service account is no longer granted this key, or the key no longer exists)");
            case NOT_FOUND -> new KeyRevokedException(where + " (the key or key ring does not exist)");
            // The key version is not ENABLED: DISABLED, DESTROY_SCHEDULED or DESTROYED
            // (https://cloud.google.com/kms/docs/key-states, https://cloud.google.com/kms/docs/enable-disable);
            // Cloud KMS answers FAILED_PRECONDITION "<version> is not enabled, current state is: <STATE>."
            case FAILED_PRECONDITION -> new KeyRevokedException(where + versionState(e));
            // Decrypt answers INVALID_ARGUMENT "Decryption failed: the ciphertext is invalid." or "verify that
            // 'name' refers to the correct CryptoKey" for tampered bytes, another key's ciphertext or other
            // additional_authenticated_data (https://cloud.google.com/kms/docs/additional-authenticated-data).
            // Never "revoked": anyone who can submit a ciphertext could otherwise cut the tenant off.
            case INVALID_ARGUMENT -> op == Operation.DECRYPT
                    ? new WrappedKeyInvalidException("wrapped key does not decrypt under " + key
                            + " (tampered, wrapped under another key, or bound to other associated data)")
                    : new KeyMisconfiguredException(where
                            + " (the request was refused as invalid: is this a symmetric ENCRYPT_DECRYPT key?)");
            // keyward's own Google credentials were refused: an operator problem, not the customer's revocation.
            case UNAUTHENTICATED -> new KeyMisconfiguredException(where
                    + " (keyward's Google credentials were refused; check workload identity / Application Default Credentials)");
            // Quota: "If you exceed a QPS limit, you receive a RESOURCE_EXHAUSTED error"
            // (https://cloud.google.com/kms/quotas). Retried by gax with backoff before it reaches here.
            case RESOURCE_EXHAUSTED -> new KeyUnavailableException(where + " (Cloud KMS quota exceeded; throttled after retries)");
            case UNAVAILABLE -> new KeyUnavailableException(where + " (Cloud KMS unreachable)");
            case DEADLINE_EXCEEDED -> new KeyUnavailableException(where + " (no answer within keyward's deadline)");
            // 5xx-class codes: a transient server-side failure, not a statement about the key.
            case INTERNAL, UNKNOWN, ABORTED, CANCELLED, DATA_LOSS -> new KeyUnavailableException(where
                    + " (transient Cloud KMS failure)");
            default -> new KeyMisconfiguredException(where + " (unexpected answer; check the key URI and endpoint)");
        };
    }

    /** For SDK failures that are not API statuses (client-side bugs, interrupted threads): class name only. */
    static ProviderException unexpected(RuntimeException e, Operation op, CryptoKeyName key) {
        return new KeyUnavailableException("Cloud KMS " + op.rpc + " on " + key + " failed in the client ("
                + e.getClass().getSimpleName() + ")");
    }

    private static String versionState(ApiException e) {
        String message = e.getMessage();
        Matcher m = message == null ? null : VERSION_STATE.matcher(message);
        if (m != null && m.find()) {
            return " (key version " + m.group(1) + " is " + m.group(2) + ")";
        }
        return " (the key version is disabled, scheduled for destruction or destroyed)";
    }
}
