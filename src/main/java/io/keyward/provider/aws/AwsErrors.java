package io.keyward.provider.aws;

import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.WrappedKeyInvalidException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sts.model.StsException;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Set;

/**
 * Turns what the AWS SDK throws into the SPI's four failures. Nothing of the SDK exception is kept (it can
 * carry request ids, raw responses and, for client errors, request details); messages are built here and
 * quote at most AWS's own short error message, which names principals and ARNs but never key material.
 *
 * <p>Sources for every mapping, by error code:
 * <ul>
 *   <li>KMS Encrypt/Decrypt/DescribeKey errors: https://docs.aws.amazon.com/kms/latest/APIReference/API_Decrypt.html#API_Decrypt_Errors,
 *       .../API_Encrypt.html#API_Encrypt_Errors, .../API_DescribeKey.html#API_DescribeKey_Errors</li>
 *   <li>errors common to all KMS actions (AccessDeniedException, ThrottlingException, ValidationException,
 *       signature errors, 5xx): https://docs.aws.amazon.com/kms/latest/APIReference/CommonErrors.html</li>
 *   <li>which key states refuse which operations (Disabled: DisabledException; PendingDeletion, PendingImport,
 *       Unavailable: KMSInvalidStateException): https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html</li>
 *   <li>KMS request quotas and ThrottlingException: https://docs.aws.amazon.com/kms/latest/developerguide/throttling.html</li>
 *   <li>STS AssumeRole errors (AccessDenied when the trust policy or ExternalId does not match, RegionDisabled):
 *       https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html#API_AssumeRole_Errors and
 *       https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html</li>
 * </ul>
 */
final class AwsErrors {

    // The customer made the key unusable to keyward: disabled it, scheduled it for deletion, deleted it, or
    // took keyward's permission away (key policy, grant, role policy). Keyward stops using it until :restore.
    private static final Set<String> REVOKED = Set.of(
            "DisabledException",          // API_Decrypt_Errors: "the specified KMS key is not enabled"
            "KMSInvalidStateException",   // key-state.html: PendingDeletion / PendingImport / Unavailable key
            "NotFoundException",          // API_Decrypt_Errors: key deleted (or never existed)
            "AccessDeniedException");     // CommonErrors: key policy / grant / IAM no longer allow keyward

    // The bytes handed to Decrypt do not open under this key with this encryption context. Says nothing about
    // the key: must never be taken for a revocation (anyone able to submit a ciphertext could cut a tenant off).
    private static final Set<String> INVALID_WRAPPED_KEY = Set.of(
            "InvalidCiphertextException", // API_Decrypt_Errors: ciphertext or encryption context corrupted/other
            "IncorrectKeyException");     // API_Decrypt_Errors: ciphertext was encrypted under another key

    // Transient on AWS's side: retried by the SDK's retry strategy, then reported unavailable.
    private static final Set<String> UNAVAILABLE = Set.of(
            "ThrottlingException",        // throttling.html (HTTP 400)
            "LimitExceededException",     // API_Encrypt_Errors: request rate quota exceeded
            "KMSInternalException",       // API_Decrypt_Errors: internal error, "the request can be retried"
            "DependencyTimeoutException", // API_Decrypt_Errors: "the system timed out ... can be retried"
            "KeyUnavailableException",    // API_Decrypt_Errors: key "not available ... can be retried"
            "InternalFailure",            // CommonErrors (HTTP 500)
            "ServiceUnavailable",         // CommonErrors (HTTP 503)
            "ExpiredTokenException",      // CommonErrors: session credentials expired; refreshed on the next call
            "RequestExpired");            // CommonErrors: clock skew; the SDK corrects its clock and retries

    // Keyward's own credentials are wrong (not the customer's doing): report unavailable, never revoked.
    private static final Set<String> KEYWARD_CREDENTIALS = Set.of(
            "UnrecognizedClientException", "InvalidSignatureException", "IncompleteSignature",
            "MissingAuthenticationToken", "InvalidClientTokenId", "SignatureDoesNotMatch");

    // The key or request cannot work as configured: wrong key type, bad ARN, bad parameters.
    private static final Set<String> MISCONFIGURED = Set.of(
            "InvalidKeyUsageException",   // API_Encrypt_Errors: key is not ENCRYPT_DECRYPT / wrong algorithm
            "ValidationException",        // CommonErrors: input fails a constraint
            "InvalidArnException",        // API_Encrypt_Errors: ARN not valid
            "InvalidGrantTokenException",
            "UnsupportedOperationException",
            "InvalidParameterValue", "InvalidParameterCombination", "MissingParameter", "MalformedQueryString");

    private AwsErrors() {
    }

    /**
     * Translates a failure of {@code operation} on {@code ref}. Looks for an STS error first, anywhere in the
     * cause chain: the SDK reports a failed AssumeRole from inside credential resolution.
     */
    static ProviderException translate(RuntimeException e, String operation, AwsKeyReference ref) {
        if (e instanceof ProviderException p) {
            return p;
        }
        StsException sts = find(e, StsException.class);
        if (sts != null) {
            return fromSts(sts, ref);
        }
        if (e instanceof AwsServiceException service) {
            return fromKms(service, operation, ref);
        }
        if (e instanceof SdkClientException client) {
            String host = ref.endpoint() != null ? ref.endpoint().getHost() : "kms." + ref.region();
            return fromClient(client, "AWS KMS " + operation, host);
        }
        if (e instanceof SdkException) {
            return new KeyUnavailableException("AWS KMS " + operation + " failed in the SDK ("
                    + e.getClass().getSimpleName() + ")");
        }
        if (e instanceof IllegalArgumentException || e instanceof NullPointerException) {
            // The SDK refused our own request before sending it (e.g. an endpoint it cannot use).
            return new KeyMisconfiguredException("AWS KMS " + operation + " for key " + ref.arn()
                    + " was refused before it was sent (" + e.getClass().getSimpleName() + ")");
        }
        return new KeyUnavailableException("AWS KMS " + operation + " failed unexpectedly ("
                + e.getClass().getSimpleName() + ")");
    }

    /**
     * Translates a failure to obtain credentials: AssumeRole into the customer's role, or keyward's own identity
     * from the default chain when there is no role.
     */
    static ProviderException translateCredentials(RuntimeException e, AwsKeyReference ref) {
        if (e instanceof ProviderException p) {
            return p;
        }
        StsException sts = find(e, StsException.class);
        if (sts != null) {
            return fromSts(sts, ref);
        }
        if (ref.roleArn() == null) {
            return new KeyUnavailableException("keyward has no usable AWS credentials (default credential chain: "
                    + e.getClass().getSimpleName() + "); the operator must configure keyward's AWS identity");
        }
        if (e instanceof SdkClientException client) {
            String host = ref.stsEndpoint() != null ? ref.stsEndpoint().getHost() : "sts." + ref.region();
            return fromClient(client, "STS AssumeRole of " + ref.roleArn(), host);
        }
        return translate(e, "AssumeRole", ref);
    }

    static ProviderException fromKms(AwsServiceException e, String operation, AwsKeyReference ref) {
        String code = code(e);
        int status = e.statusCode();
        String aws = awsMessage(e);
        String what = "AWS KMS " + operation + " on " + ref.arn();
        if (REVOKED.contains(code)) {
            return new KeyRevokedException(what + " refused: " + describeRevoked(code) + " (" + code + aws + ")");
        }
        if (INVALID_WRAPPED_KEY.contains(code)) {
            // No AWS message: it could only restate that the ciphertext is bad.
            return new WrappedKeyInvalidException("the wrapped key does not decrypt under " + ref.arn()
                    + " with this context (" + code + ")");
        }
        if (UNAVAILABLE.contains(code) || status >= 500 || e.isThrottlingException()) {
            return new KeyUnavailableException(what + " failed: AWS answered " + code + " (HTTP " + status
                    + ") after retries");
        }
        if (KEYWARD_CREDENTIALS.contains(code)) {
            return new KeyUnavailableException(what + " failed: AWS rejected keyward's own credentials (" + code
                    + "); the operator must fix keyward's AWS identity");
        }
        if (MISCONFIGURED.contains(code)) {
            return new KeyMisconfiguredException(what + " refused: the key cannot be used this way (" + code
                    + aws + ")");
        }
        // An error this table does not know is treated as a configuration problem: never as a revocation
        // (which would cut the tenant off) and never silently retried forever.
        return new KeyMisconfiguredException(what + " failed with unexpected error " + code + " (HTTP " + status
                + aws + ")");
    }

    private static ProviderException fromSts(StsException e, AwsKeyReference ref) {
        String code = code(e);
        int status = e.statusCode();
        String what = "STS AssumeRole of " + ref.roleArn() + " with the configured external id";
        return switch (code) {
            // API_AssumeRole_Errors / CommonErrors: the role's trust policy does not (or no longer) let keyward
            // assume it, or the ExternalId does not match its sts:ExternalId condition. The customer's doing.
            case "AccessDenied", "AccessDeniedException" -> new KeyRevokedException(what
                    + " was denied (AccessDenied): the role's trust policy no longer allows keyward, or the "
                    + "external id does not match" + awsMessage(e));
            // API_AssumeRole_Errors: STS is not activated in this Region for the customer's account.
            case "RegionDisabledException" -> new KeyMisconfiguredException(what + " failed: STS is not activated"
                    + " in region " + ref.region() + " (RegionDisabledException)");
            case "MalformedPolicyDocument", "MalformedPolicyDocumentException", "PackedPolicyTooLarge",
                    "PackedPolicyTooLargeException", "ValidationError", "InvalidParameterValue" ->
                    new KeyMisconfiguredException(what + " was refused as invalid (" + code + awsMessage(e) + ")");
            case "InvalidClientTokenId", "SignatureDoesNotMatch", "IncompleteSignature",
                    "MissingAuthenticationToken", "ExpiredToken", "ExpiredTokenException" ->
                    new KeyUnavailableException(what + " failed: STS rejected keyward's own credentials (" + code
                            + "); the operator must fix keyward's AWS identity");
            default -> status >= 500 || e.isThrottlingException() || code.startsWith("Throttling")
                    ? new KeyUnavailableException(what + " failed: STS answered " + code + " (HTTP " + status
                            + ") after retries")
                    : new KeyMisconfiguredException(what + " failed with unexpected error " + code + " (HTTP "
                            + status + ")");
        };
    }

    /** {@code what}: "AWS KMS Decrypt", "STS AssumeRole of ..."; {@code host}: where it was sent. */
    private static ProviderException fromClient(SdkClientException e, String what, String host) {
        if (e instanceof ApiCallTimeoutException) {
            return new KeyUnavailableException(what + ": no answer from " + host + " within the deadline");
        }
        if (e instanceof ApiCallAttemptTimeoutException || find(e, SocketTimeoutException.class) != null) {
            return new KeyUnavailableException(what + " timed out (" + host + ")");
        }
        if (e instanceof AbortedException) {
            return new KeyUnavailableException(what + " was interrupted");
        }
        if (find(e, ConnectException.class) != null) {
            return new KeyUnavailableException(what + ": cannot connect to " + host);
        }
        if (find(e, UnknownHostException.class) != null) {
            return new KeyUnavailableException(what + ": cannot resolve " + host);
        }
        if (find(e, javax.net.ssl.SSLException.class) != null) {
            return new KeyUnavailableException(what + ": TLS with " + host + " failed");
        }
        if (find(e, java.io.IOException.class) != null) {
            return new KeyUnavailableException(what + ": network error talking to " + host);
        }
        String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        if (message.contains("unable to load credentials")) {
            return new KeyUnavailableException(what + ": keyward has no usable AWS credentials; the operator must"
                    + " configure keyward's AWS identity");
        }
        return new KeyUnavailableException(what + " failed on keyward's side (" + e.getClass().getSimpleName()
                + ")");
    }

    private static String describeRevoked(String code) {
        return switch (code) {
            case "DisabledException" -> "the key is disabled";
            case "KMSInvalidStateException" -> "the key is pending deletion or otherwise not usable";
            case "NotFoundException" -> "the key does not exist (deleted?)";
            default -> "access denied: the key policy, a grant or the role's policy no longer allows keyward";
        };
    }

    private static String code(AwsServiceException e) {
        String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
        if (code == null || code.isBlank()) {
            return "HTTP" + e.statusCode();
        }
        int hash = code.lastIndexOf('#'); // awsJson __type may carry a namespace: "com.amazonaws.kms#NotFoundException"
        return hash >= 0 ? code.substring(hash + 1) : code;
    }

    /** AWS's own short error message, cleaned and bounded, as ": ..." (empty if none). */
    private static String awsMessage(AwsServiceException e) {
        String m = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorMessage();
        if (m == null || m.isBlank()) {
            return "";
        }
        return ": " + AwsKeyReference.printable(m.strip(), 300);
    }

    private static <T extends Throwable> T find(Throwable e, Class<T> type) {
        Throwable t = e;
        for (int depth = 0; t != null && depth < 12; depth++, t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}
