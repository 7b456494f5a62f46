package io.keyward.provider.vault;

import io.github.jopenlibs.vault.VaultException;
import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.WrappedKeyInvalidException;
import io.keyward.provider.vault.VaultErrorMapping.Operation;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLHandshakeException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The table of docs/how-to/vault-transit.md, one row each: Vault's answer to keyward's outcome. */
class VaultErrorMappingTest {
    private static final VaultTransitKey KEY = VaultTransitKey.parse("vault-transit://transit/kek",
            Map.of("address", "https://vault.example.com:8200", "roleId", "r", "secretId", "s3cr3t-id"));

    @ParameterizedTest(name = "{0} {1} {2} -> {3}")
    @CsvSource(delimiter = '|', value = {
        "DECRYPT  | 400 | encryption key not found                                  | revoked     | false | false",
        "ENCRYPT  | 400 | encryption key not found                                  | revoked     | false | false",
        "DECRYPT  | 400 | cipher: message authentication failed                     | invalid     | false | false",
        "DECRYPT  | 400 | invalid ciphertext: no prefix                             | invalid     | false | false",
        "DECRYPT  | 400 | ciphertext or signature version is disallowed by policy (too old) | invalid | false | false",
        "DECRYPT  | 400 | invalid key version                                       | invalid     | false | false",
        "DECRYPT  | 400 | missing 'context' for key derivation; the key was created using a derived key | misconfigured | false | false",
        "ENCRYPT  | 400 | key type rsa-2048 does not support encryption             | misconfigured | false | false",
        "ENCRYPT  | 403 | permission denied                                         | revoked     | false | true",
        "DECRYPT  | 403 | permission denied                                         | revoked     | false | true",
        "READ_KEY | 403 | permission denied                                         | revoked     | false | true",
        "READ_KEY | 404 | ''                                                        | revoked     | false | false",
        "ENCRYPT  | 404 | no handler for route                                      | revoked     | false | false",
        "ENCRYPT  | 405 | unsupported operation                                     | misconfigured | false | false",
        "DECRYPT  | 412 | ''                                                        | unavailable | true  | false",
        "DECRYPT  | 429 | rate limit quota exceeded                                 | unavailable | true  | false",
        "DECRYPT  | 500 | internal error                                            | unavailable | true  | false",
        "DECRYPT  | 502 | ''                                                        | unavailable | true  | false",
        "DECRYPT  | 503 | Vault is sealed                                           | unavailable | true  | false",
        "LOGIN    | 400 | invalid role or secret ID                                 | revoked     | false | false",
        "LOGIN    | 403 | service account name not authorized                      | revoked     | false | false",
        "LOGIN    | 404 | ''                                                        | misconfigured | false | false",
        "LOGIN    | 429 | ''                                                        | unavailable | true  | false",
        "LOGIN    | 503 | Vault is sealed                                           | unavailable | true  | false",
    })
    void vaultAnswersMapToKeywardOutcomes(Operation op, int status, String error, String outcome, boolean retryable,
            boolean tokenRefused) {
        VaultFailure f = VaultErrorMapping.fromStatus(op, status, error.isEmpty() ? List.of() : List.of(error), KEY);
        assertEquals(outcome, outcome(f.error()), f.getMessage());
        assertEquals(retryable, f.retryable());
        assertEquals(tokenRefused, f.tokenRefused());
        assertTrue(f.getMessage().contains("HTTP " + status), f.getMessage());
        assertFalse(f.getMessage().contains("s3cr3t-id"));
    }

    private static String outcome(ProviderException e) {
        if (e instanceof KeyRevokedException) {
            return "revoked";
        }
        if (e instanceof KeyUnavailableException) {
            return "unavailable";
        }
        if (e instanceof WrappedKeyInvalidException) {
            return "invalid";
        }
        assertInstanceOf(KeyMisconfiguredException.class, e);
        return "misconfigured";
    }

    @Test
    void networkFailuresAreUnavailableAndRetriedButAnUntrustedCertificateIsNot() {
        VaultFailure refused = VaultErrorMapping.fromException(Operation.DECRYPT,
                new VaultException(new IOException(new ConnectException("Connection refused"))), KEY);
        assertInstanceOf(KeyUnavailableException.class, refused.error());
        assertTrue(refused.retryable());

        VaultFailure timeout = VaultErrorMapping.fromException(Operation.DECRYPT,
                new VaultException(new HttpTimeoutException("request timed out")), KEY);
        assertInstanceOf(KeyUnavailableException.class, timeout.error());
        assertTrue(timeout.retryable());

        VaultFailure tls = VaultErrorMapping.fromException(Operation.DECRYPT,
                new VaultException(new IOException(new SSLHandshakeException("PKIX path building failed"))), KEY);
        assertInstanceOf(KeyMisconfiguredException.class, tls.error());
        assertFalse(tls.retryable());
    }

    @Test
    void driverExceptionsForHttpAnswersKeepOnlyVaultsErrorText() {
        VaultFailure f = VaultErrorMapping.fromException(Operation.LOGIN, new VaultException(
                "Vault responded with HTTP status code: 400\nResponse body: {\"errors\":[\"invalid role or secret ID\"]}",
                400), KEY);
        assertInstanceOf(KeyRevokedException.class, f.error());
        assertTrue(f.getMessage().contains("invalid role or secret ID"), f.getMessage());
        assertFalse(f.getMessage().contains("Response body"));
    }

    @Test
    void errorBodiesAreUnwrappedShortenedAndToleratedWhenNotJson() {
        assertEquals(List.of("permission denied"), VaultErrorMapping.errors(
                "{\"errors\":[\"1 error occurred:\\n\\t* permission denied\\n\\n\"]}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of(), VaultErrorMapping.errors("<html>502 Bad Gateway</html>".getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of(), VaultErrorMapping.errors(new byte[0]));
        String longError = "x".repeat(500);
        String cleaned = VaultErrorMapping.errors(("{\"errors\":[\"" + longError + "\"]}")
                .getBytes(StandardCharsets.UTF_8)).get(0);
        assertTrue(cleaned.length() < 200, cleaned);
    }
}
