package io.keyward.provider.aws;

import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.WrappedKeyInvalidException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.kms.model.KmsException;
import software.amazon.awssdk.services.sts.model.StsException;

import java.net.ConnectException;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The error table of {@link AwsErrors}, row by row, including the codes the test server never sends (AWS-side
 * internal errors, dependency timeouts). SDK exceptions are built with the SDK's own builders, as the SDK's
 * unmarshaller builds them.
 */
class AwsErrorsTest {
    private static final AwsKeyReference KEY = AwsKeyReference.parse(
            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            Map.of("roleArn", "arn:aws:iam::111122223333:role/keyward", "externalId", "tenant-1"), false);

    private static final Map<String, Class<? extends ProviderException>> KIND = Map.of(
            "revoked", KeyRevokedException.class,
            "invalid", WrappedKeyInvalidException.class,
            "unavailable", KeyUnavailableException.class,
            "misconfigured", KeyMisconfiguredException.class);

    @ParameterizedTest(name = "KMS {0} (HTTP {1}) is {2}")
    @CsvSource({
            "DisabledException, 400, revoked",
            "KMSInvalidStateException, 400, revoked",
            "NotFoundException, 400, revoked",
            "AccessDeniedException, 400, revoked",
            "com.amazonaws.kms#NotFoundException, 400, revoked",
            "InvalidCiphertextException, 400, invalid",
            "IncorrectKeyException, 400, invalid",
            "ThrottlingException, 400, unavailable",
            "LimitExceededException, 400, unavailable",
            "KMSInternalException, 500, unavailable",
            "DependencyTimeoutException, 503, unavailable",
            "KeyUnavailableException, 500, unavailable",
            "ServiceUnavailable, 503, unavailable",
            "SomethingNew, 502, unavailable",
            "UnrecognizedClientException, 400, unavailable",
            "InvalidSignatureException, 400, unavailable",
            "ExpiredTokenException, 400, unavailable",
            "InvalidKeyUsageException, 400, misconfigured",
            "ValidationException, 400, misconfigured",
            "InvalidArnException, 400, misconfigured",
            "SomethingNew, 400, misconfigured"})
    void kmsErrorCodes(String code, int status, String kind) {
        ProviderException e = AwsErrors.translate(kms(code, status), "Decrypt", KEY);
        assertEquals(KIND.get(kind), e.getClass(), e.getMessage());
        assertTrue(e.getMessage().contains(code.substring(code.indexOf('#') + 1)), e.getMessage());
    }

    @ParameterizedTest(name = "STS {0} (HTTP {1}) is {2}")
    @CsvSource({
            "AccessDenied, 403, revoked",
            "RegionDisabledException, 403, misconfigured",
            "InvalidClientTokenId, 403, unavailable",
            "SignatureDoesNotMatch, 403, unavailable",
            "ExpiredToken, 400, unavailable",
            "Throttling, 400, unavailable",
            "InternalFailure, 500, unavailable",
            "MalformedPolicyDocument, 400, misconfigured"})
    void stsErrorCodesFromCredentialResolution(String code, int status, String kind) {
        StsException sts = (StsException) StsException.builder().statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage("from STS").build()).build();
        // The SDK reports a failed refresh from inside the KMS call, possibly wrapped.
        RuntimeException wrapped = SdkClientException.builder().message("Unable to load credentials").cause(sts).build();
        assertEquals(KIND.get(kind), AwsErrors.translateCredentials(sts, KEY).getClass());
        assertEquals(KIND.get(kind), AwsErrors.translate(wrapped, "Decrypt", KEY).getClass());
    }

    @Test
    void clientSideFailuresAreUnavailable() {
        assertEquals(KeyUnavailableException.class, AwsErrors.translate(ApiCallTimeoutException.create(1500),
                "Decrypt", KEY).getClass());
        ProviderException refused = AwsErrors.translate(SdkClientException.builder().message("Unable to execute")
                .cause(new ConnectException("Connection refused")).build(), "Decrypt", KEY);
        assertEquals(KeyUnavailableException.class, refused.getClass());
        assertTrue(refused.getMessage().contains("cannot connect"), refused.getMessage());
    }

    @Test
    void messagesCarryNoRawSdkText() {
        KmsException e = kms("AccessDeniedException", 400);
        ProviderException p = AwsErrors.translate(e, "Decrypt", KEY);
        assertFalse(p.getMessage().contains("Request ID"), p.getMessage());
        assertFalse(p.getMessage().contains("Status Code"), p.getMessage());
        assertEquals(null, p.getCause(), "the SDK exception is not kept");
    }

    private static KmsException kms(String code, int status) {
        return (KmsException) KmsException.builder().statusCode(status).requestId("REQ-123")
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage("from KMS")
                        .serviceName("Kms").build())
                .message("from KMS (Service: Kms, Status Code: " + status + ", Request ID: REQ-123)").build();
    }
}
