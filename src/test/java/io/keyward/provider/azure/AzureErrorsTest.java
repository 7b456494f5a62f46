package io.keyward.provider.azure;

import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.WrappedKeyInvalidException;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Key Vault status table of {@link AzureErrors}, including answers the test server never gives (5xx, 408). */
class AzureErrorsTest {

    private static ProviderException map(int status, AzureErrors.Op op) {
        return AzureErrors.fromStatus(status, "Code/Inner", op, "key 'k' at v.vault.azure.net");
    }

    @Test
    void badRequestIsAnInvalidWrappedKeyOnlyForUnwrap() {
        assertInstanceOf(WrappedKeyInvalidException.class, map(400, AzureErrors.Op.UNWRAP));
        assertInstanceOf(KeyMisconfiguredException.class, map(400, AzureErrors.Op.WRAP));
        assertInstanceOf(KeyMisconfiguredException.class, map(400, AzureErrors.Op.GET));
    }

    @Test
    void authenticationDeniedAndNotFoundAreRevoked() {
        for (AzureErrors.Op op : AzureErrors.Op.values()) {
            assertInstanceOf(KeyRevokedException.class, map(401, op));
            assertInstanceOf(KeyRevokedException.class, map(403, op));
            assertInstanceOf(KeyRevokedException.class, map(404, op));
        }
    }

    @Test
    void throttlingTimeoutsConflictsAndServerErrorsAreUnavailable() {
        for (int status : new int[] {408, 409, 429, 500, 502, 503, 504}) {
            assertInstanceOf(KeyUnavailableException.class, map(status, AzureErrors.Op.UNWRAP), "HTTP " + status);
        }
    }

    @Test
    void anythingElseIsMisconfiguredAndSaysTheStatus() {
        ProviderException e = map(418, AzureErrors.Op.WRAP);
        assertInstanceOf(KeyMisconfiguredException.class, e);
        assertTrue(e.getMessage().contains("HTTP 418 Code/Inner"), e.getMessage());
    }

    @Test
    void backoffIsJitteredAndCapped() {
        JitteredBackoff b = new JitteredBackoff(3, Duration.ofMillis(100), Duration.ofMillis(300));
        for (int attempt = 0; attempt < 6; attempt++) {
            Duration d = b.calculateRetryDelay(attempt);
            long cap = Math.min(300, 100L << attempt);
            assertTrue(d.toMillis() >= cap / 2 && d.toMillis() <= cap, attempt + ": " + d);
        }
        assertTrue(b.shouldRetryException(new java.net.ConnectException("refused")));
        assertTrue(!b.shouldRetryException(new IllegalStateException("bug")));
        assertTrue(!b.shouldRetryException(new javax.net.ssl.SSLHandshakeException("x") {
            {
                initCause(new java.security.cert.CertificateException("untrusted"));
            }
        }));
    }
}
