package io.keyward.provider.xks;

import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.WrappedKeyInvalidException;
import io.keyward.provider.xks.XksErrors.Operation;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLHandshakeException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The whole error table of the XKS proxy API ("Error codes"), and the transport failures, in keyward's terms. */
class XksErrorsTest {
    private static final String SECRET = "FYtE5EFA5FT0mCc3DrGUe2sti527BitkQ0Zr9MO9fvE";
    private static final XksKeyReference KEY = XksKeyReference.parse("xks://xks.example.com/kw/keys/k1", Map.of(
            "accessKeyId", "AKIAI2SFODNN7EXAMPLE", "secretAccessKey", SECRET, "region", "eu-west-1"));

    private static Class<? extends ProviderException> kind(String outcome) {
        return switch (outcome) {
            case "revoked" -> KeyRevokedException.class;
            case "unavailable" -> KeyUnavailableException.class;
            case "misconfigured" -> KeyMisconfiguredException.class;
            case "invalid" -> WrappedKeyInvalidException.class;
            default -> throw new IllegalArgumentException(outcome);
        };
    }

    @ParameterizedTest(name = "{0} {1} on {2} -> {3}")
    @CsvSource({
            "400, ValidationException,           ENCRYPT,  misconfigured, false",
            "400, ValidationException,           DECRYPT,  misconfigured, false",
            "400, InvalidStateException,         DECRYPT,  revoked,       false",
            "400, InvalidStateException,         HEALTH,   revoked,       false",
            "400, InvalidCiphertextException,    DECRYPT,  invalid,       false",
            "400, InvalidCiphertextException,    ENCRYPT,  misconfigured, false",
            "400, InvalidKeyUsageException,      ENCRYPT,  revoked,       false",
            "400, InvalidKeyUsageException,      DECRYPT,  revoked,       false",
            "401, AuthenticationFailedException, DECRYPT,  misconfigured, false",
            "401, AuthenticationFailedException, HEALTH,   misconfigured, false",
            "403, AccessDeniedException,         DECRYPT,  revoked,       false",
            "403, AuthorizationException,        METADATA, revoked,       false",
            "404, KeyNotFoundException,          METADATA, revoked,       false",
            "404, KeyNotFoundException,          DECRYPT,  revoked,       false",
            "404, InvalidUriPathException,       DECRYPT,  misconfigured, false",
            "429, ThrottlingException,           DECRYPT,  unavailable,   true",
            "501, UnsupportedOperationException, ENCRYPT,  misconfigured, false",
            "503, DependencyTimeoutException,    DECRYPT,  unavailable,   true",
            "500, InternalException,             DECRYPT,  unavailable,   true",
            // no or unknown error name: the status decides
            "500, ,                              DECRYPT,  unavailable,   true",
            "502, ,                              DECRYPT,  unavailable,   true",
            "503, SomethingNew,                  DECRYPT,  unavailable,   true",
            "429, ,                              DECRYPT,  unavailable,   true",
            "401, ,                              DECRYPT,  misconfigured, false",
            // a bare 403 is a firewall or load balancer in front of the proxy, never a revocation
            "403, ,                              DECRYPT,  misconfigured, false",
            "403, ,                              ENCRYPT,  misconfigured, false",
            "403, ,                              METADATA, misconfigured, false",
            "403, SomethingNew,                  METADATA, misconfigured, false",
            "404, ,                              DECRYPT,  misconfigured, false",
            "405, ,                              DECRYPT,  misconfigured, false",
            "501, ,                              DECRYPT,  misconfigured, false",
            "400, ,                              DECRYPT,  misconfigured, false"})
    void everyErrorNameOfTheSpecHasItsMeaning(int status, String name, Operation op, String outcome,
            boolean retryable) {
        XksFailure f = XksErrors.fromAnswer(op, status, name, "proxy says no", KEY, List.of(SECRET));
        assertEquals(kind(outcome), f.error().getClass(), f.getMessage());
        assertEquals(retryable, f.retryable(), f.getMessage());
        assertTrue(f.getMessage().length() > 20);
    }

    @Test
    void authenticationFailureNamesAuthenticationAndTheOptionsToCheck() {
        String m = XksErrors.fromAnswer(Operation.HEALTH, 401, "AuthenticationFailedException", null, KEY,
                List.of(SECRET)).getMessage();
        assertTrue(m.contains("authentication failed"), m);
        assertTrue(m.contains("secretAccessKey"), m);
    }

    /**
     * The mapper shows the proxy's errorMessage (it helps the customer), so a proxy that echoes the secret it was
     * given would put it in keyward's answer, audit trail and logs. Here it does, and the secret must not come out;
     * the rest of the proxy's text does, so this test fails if the message is passed through unredacted.
     */
    @ParameterizedTest
    @CsvSource({"AuthenticationFailedException, 401", "AccessDeniedException, 403", "InternalException, 500",
            "SomethingNew, 403", "SomethingNew, 400"})
    void aSecretEchoedByTheProxyNeverComesOut(String name, int status) {
        String echoed = "signature mismatch: expected key " + SECRET + " for " + KEY.accessKeyId();
        for (Operation op : Operation.values()) {
            String m = XksErrors.fromAnswer(op, status, name, echoed, KEY, List.of(SECRET)).getMessage();
            assertTrue(m.contains("signature mismatch"), "the proxy's message is shown: " + m);
            assertFalse(m.contains(SECRET), m);
            assertFalse(m.contains(SECRET.substring(0, 12)), m);
        }
    }

    @Test
    void aSecretStraddlingTheCutLeavesNoPrefixBehind() {
        // Redacting after the cut to 160 characters would miss the secret and leave its first characters in place.
        String echoed = "x".repeat(150) + SECRET;
        String m = XksErrors.fromAnswer(Operation.DECRYPT, 500, "InternalException", echoed, KEY, List.of(SECRET))
                .getMessage();
        assertFalse(m.contains(SECRET.substring(0, 8)), m);
    }

    @Test
    void aClientKeyEchoedLineByLineNeverComesOut() {
        String line = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg";
        String pem = "-----BEGIN PRIVATE KEY-----\n" + line + "\nAbCdEf\n-----END PRIVATE KEY-----\n";
        String m = XksErrors.fromAnswer(Operation.ENCRYPT, 500, "InternalException", "bad client key " + line, KEY,
                List.of(SECRET, pem)).getMessage();
        assertTrue(m.contains("bad client key"), m);
        assertFalse(m.contains(line.substring(0, 16)), m);
    }

    @Test
    void transportFailuresAreUnavailableExceptAnUntrustedCertificate() {
        assertOutcome(new ConnectException("refused"), KeyUnavailableException.class, true);
        assertOutcome(new HttpConnectTimeoutException("slow"), KeyUnavailableException.class, true);
        assertOutcome(new HttpTimeoutException("slow"), KeyUnavailableException.class, true);
        assertOutcome(new IOException("reset", new UnknownHostException("x")), KeyUnavailableException.class, true);
        assertOutcome(new IOException("closed"), KeyUnavailableException.class, true);
        assertOutcome(new IOException("x", new SSLHandshakeException("PKIX path building failed")),
                KeyMisconfiguredException.class, false);
        assertOutcome(new IOException("x", new XksClient.ResponseTooLargeException(XksClient.MAX_RESPONSE)),
                KeyUnavailableException.class, false);
        assertOutcome(new InterruptedException(), KeyUnavailableException.class, false);
        assertTrue(Thread.interrupted(), "the interrupt is kept for the caller");
    }

    private static void assertOutcome(Throwable t, Class<? extends ProviderException> expected, boolean retryable) {
        XksFailure f = XksErrors.fromException(t, KEY);
        assertEquals(expected, f.error().getClass(), f.getMessage());
        assertEquals(retryable, f.retryable(), f.getMessage());
    }

    @Test
    void proxyMessagesAreCutToShortPrintableText() {
        String m = XksErrors.printable("a\u0000b\nc" + "x".repeat(600));
        assertTrue(m.startsWith("a b c"), m);
        assertTrue(m.length() <= 164, m);
    }
}
