package io.keyward.testing.contract;

import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeySpec;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.WrappedKeyInvalidException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What every key provider must do, whatever its SDK: the shared contract of issue 3. A subclass per provider
 * supplies a {@link ProviderFixture} over that provider's wire-protocol test server.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class KeyProviderContract {
    private static final SecureRandom RANDOM = new SecureRandom();
    private ProviderFixture fixture;

    /** Builds the fixture; called once per test class. */
    protected abstract ProviderFixture createFixture();

    protected final ProviderFixture fixture() {
        if (fixture == null) {
            fixture = createFixture();
        }
        return fixture;
    }

    protected final KeyProvider provider() {
        return fixture().provider();
    }

    @AfterEach
    void healNetwork() {
        if (fixture != null && fixture.hasNetwork()) {
            fixture.startServer();
            fixture.delayResponses(Duration.ZERO);
            fixture.throttleNext(0);
        }
    }

    @AfterAll
    void closeFixture() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private static byte[] dek() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return b;
    }

    private static final byte[] AAD = "keyward/v1 dek|tenant|key".getBytes();

    @Test
    void wrapThenUnwrapReturnsTheSameKey() {
        KeySpec key = fixture().newKey();
        byte[] dek = dek();
        byte[] wrapped = provider().wrap(key, dek, AAD);
        assertFalse(java.util.Arrays.equals(dek, wrapped), "wrapped bytes must not be the key");
        assertArrayEquals(dek, provider().unwrap(key, wrapped, AAD));
        provider().check(key);
    }

    @Test
    void unwrapWithOtherAssociatedDataIsAnInvalidWrappedKey() {
        KeySpec key = fixture().newKey();
        byte[] wrapped = provider().wrap(key, dek(), AAD);
        assertThrows(WrappedKeyInvalidException.class, () -> provider().unwrap(key, wrapped, "other".getBytes()));
    }

    @Test
    void tamperedWrappedKeyIsInvalidNotRevoked() {
        KeySpec key = fixture().newKey();
        byte[] wrapped = provider().wrap(key, dek(), AAD);
        wrapped[wrapped.length / 2] ^= 0x01;
        assertThrows(WrappedKeyInvalidException.class, () -> provider().unwrap(key, wrapped, AAD));
        provider().check(key);
    }

    @Test
    void aKeyNeverUnwrapsAnotherKeysWrappedKey() {
        KeySpec a = fixture().newKey();
        KeySpec b = fixture().newKey();
        byte[] wrapped = provider().wrap(a, dek(), AAD);
        ProviderException e = assertThrows(ProviderException.class, () -> provider().unwrap(b, wrapped, AAD));
        assertFalse(e instanceof KeyUnavailableException, "a wrong key is not an outage: " + e);
    }

    @Test
    void disabledKeyIsRevokedAndReEnablingRestoresIt() {
        KeySpec key = fixture().newKey();
        byte[] dek = dek();
        byte[] wrapped = provider().wrap(key, dek, AAD);
        fixture().disable(key);
        assertThrows(KeyRevokedException.class, () -> provider().unwrap(key, wrapped, AAD));
        assertThrows(KeyRevokedException.class, () -> provider().wrap(key, dek(), AAD));
        assertThrows(KeyRevokedException.class, () -> provider().check(key));
        fixture().enable(key);
        provider().check(key);
        assertArrayEquals(dek, provider().unwrap(key, wrapped, AAD));
    }

    @Test
    void deletedKeyIsRevoked() {
        KeySpec key = fixture().newKey();
        byte[] wrapped = provider().wrap(key, dek(), AAD);
        fixture().delete(key);
        assertThrows(KeyRevokedException.class, () -> provider().unwrap(key, wrapped, AAD));
        assertThrows(KeyRevokedException.class, () -> provider().check(key));
    }

    @Test
    void removedAccessIsRevoked() {
        KeySpec key = fixture().newKey();
        byte[] wrapped = provider().wrap(key, dek(), AAD);
        fixture().denyAccess(key);
        assertThrows(KeyRevokedException.class, () -> provider().unwrap(key, wrapped, AAD));
        assertThrows(KeyRevokedException.class, () -> provider().check(key));
    }

    @Test
    void serverDownIsUnavailableWithinTheDeadline() {
        Assumptions.assumeTrue(fixture().hasNetwork(), "in-process provider: no network to lose");
        KeySpec key = fixture().newKey();
        byte[] wrapped = provider().wrap(key, dek(), AAD);
        fixture().stopServer();
        assertUnavailableWithinDeadline(() -> provider().unwrap(key, wrapped, AAD));
        assertUnavailableWithinDeadline(() -> provider().check(key));
        fixture().startServer();
        provider().unwrap(key, wrapped, AAD);
    }

    @Test
    void slowServerIsUnavailableWithinTheDeadline() {
        Assumptions.assumeTrue(fixture().hasNetwork(), "in-process provider: no network to slow down");
        KeySpec key = fixture().newKey();
        byte[] wrapped = provider().wrap(key, dek(), AAD);
        fixture().delayResponses(fixture().deadline().multipliedBy(3));
        assertUnavailableWithinDeadline(() -> provider().unwrap(key, wrapped, AAD));
    }

    @Test
    void throttlingIsRetriedThenReportedUnavailable() {
        Assumptions.assumeTrue(fixture().hasNetwork(), "in-process provider: never throttles");
        KeySpec key = fixture().newKey();
        byte[] dek = dek();
        byte[] wrapped = provider().wrap(key, dek, AAD);

        int before = fixture().requestCount();
        fixture().throttleNext(1);
        assertArrayEquals(dek, provider().unwrap(key, wrapped, AAD), "one throttled answer is retried");
        assertTrue(fixture().requestCount() - before >= 2, "the retry reached the server");

        fixture().throttleNext(1_000);
        assertUnavailableWithinDeadline(() -> provider().unwrap(key, wrapped, AAD));
    }

    @Test
    void malformedKeyReferencesAreRefusedWithoutTouchingTheNetwork() {
        int before = fixture().hasNetwork() ? fixture().requestCount() : 0;
        assertFalse(fixture().malformedKeys().isEmpty());
        for (Map.Entry<String, Map<String, String>> bad : fixture().malformedKeys()) {
            KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class,
                    () -> provider().validate(bad.getKey(), bad.getValue()), "must refuse " + bad);
            assertTrue(e.getMessage() != null && e.getMessage().length() > 10, "message says what is wrong");
        }
        if (fixture().hasNetwork()) {
            assertTrue(fixture().requestCount() == before, "validate must not call the server");
        }
    }

    private void assertUnavailableWithinDeadline(Runnable call) {
        long start = System.nanoTime();
        try {
            call.run();
            fail("expected KeyUnavailableException");
        } catch (KeyUnavailableException expected) {
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            Duration bound = fixture().deadline().plus(Duration.ofSeconds(2));
            assertTrue(took.compareTo(bound) <= 0, "took " + took + ", deadline " + fixture().deadline());
        }
    }
}
