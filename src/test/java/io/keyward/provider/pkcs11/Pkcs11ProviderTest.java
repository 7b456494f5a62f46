package io.keyward.provider.pkcs11;

import io.keyward.provider.CallContext;
import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeySpec;
import io.keyward.provider.ProviderSettings;
import io.keyward.testing.pkcs11.Pkcs11Fixture;
import io.keyward.testing.pkcs11.SoftHsm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the contract does not cover: the KEK's protection, PINs, the module allowlist and the session pool. */
class Pkcs11ProviderTest {
    private static final byte[] AAD = "aad".getBytes(StandardCharsets.US_ASCII);
    private static Pkcs11Fixture fixture;

    @BeforeAll
    static void start() {
        fixture = new Pkcs11Fixture(Pkcs11ContractTest.SETTINGS);
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    private static byte[] dek() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return b;
    }

    @Test
    void theKekIsCreatedNonExtractableAndKeywardCannotReadIt() {
        KeySpec key = fixture.newKey();
        fixture.provider().check(key);
        SoftHsm.Token token = fixture.token(key);
        Cryptoki keyward = fixture.hsm().keywardModule();
        long slot = fixture.hsm().keywardSlot(token);
        long session = keyward.openSession(slot, false);
        try {
            keyward.login(session, slot, token.pin().toCharArray());
            long[] found = keyward.findSecretKeys(session, Pkcs11Fixture.label(key));
            assertEquals(1, found.length);
            Cryptoki.KeyAttributes a = keyward.keyAttributes(session, found[0]);
            assertFalse(a.extractable(), "CKA_EXTRACTABLE");
            assertTrue(a.sensitive(), "CKA_SENSITIVE");
            assertEquals(32, a.valueLength());
            CryptokiException e = assertThrows(CryptokiException.class, () -> keyward.readKeyValue(session, found[0]));
            assertEquals("CKR_ATTRIBUTE_SENSITIVE", e.codeName(), "the token refuses to hand out CKA_VALUE");
        } finally {
            keyward.closeSession(session);
        }
        // Not even the customer's console can make it extractable afterwards: PKCS#11 makes the flag one-way.
        Cryptoki console = fixture.hsm().console();
        long cs = fixture.hsm().consoleSessionFor(token);
        long handle = console.findSecretKeys(cs, Pkcs11Fixture.label(key))[0];
        assertThrows(CryptokiException.class, () -> console.readKeyValue(cs, handle));
    }

    @Test
    void anExtractableKeyIsRefusedAsAKek() {
        KeySpec key = fixture.newKey(true);
        KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class, () -> fixture.provider().check(key));
        assertTrue(e.getMessage().contains("CKA_EXTRACTABLE"), e.getMessage());
    }

    @Test
    void aWrongPinIsMisconfiguredAndNeverEchoed() {
        KeySpec good = fixture.newKey();
        KeySpec wrong = new KeySpec(good.provider(), good.keyUri(), Map.of("module", SoftHsm.LIBRARY,
                "pin", "wrong-pin-31337"));
        KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class, () -> fixture.provider().check(wrong));
        assertTrue(e.getMessage().contains("PIN"), e.getMessage());
        assertFalse(e.getMessage().contains("wrong-pin-31337"), "the PIN is never echoed");
        fixture.provider().check(good);
        // Now the token is logged in: the wrong PIN must still not get through on the back of that login.
        e = assertThrows(KeyMisconfiguredException.class, () -> fixture.provider().check(wrong));
        assertTrue(e.getMessage().contains("PIN"), e.getMessage());
    }

    @Test
    void thePinCanComeFromAnEnvironmentVariableOrAFileInThePinDirectoryNamedAfterTheToken() throws Exception {
        SoftHsm hsm = fixture.hsm();
        SoftHsm.Token envToken = hsm.envToken();
        hsm.createKey(envToken, "kek-env", false);
        KeySpec viaEnv = fixture.provider().validate("pkcs11:token=" + envToken.label() + ";object=kek-env",
                Map.of("pinEnv", SoftHsm.ENV_PIN));
        fixture.provider().check(viaEnv);

        Path dir = Files.createDirectories(hsm.home().resolve("pins"));
        SoftHsm.Token token = hsm.newToken();
        hsm.createKey(token, "kek-file", false);
        Path pinFile = dir.resolve(token.label());
        Files.writeString(pinFile, token.pin() + "\n");
        ProviderSettings withDir = new ProviderSettings(Duration.ofMillis(300), 2, Duration.ofMillis(1500),
                Map.of("modules", SoftHsm.LIBRARY, "pin-directory", dir.toString(), "token-tenants.*", "*"));
        try (Pkcs11Provider provider = new Pkcs11Provider(withDir)) {
            KeySpec viaFile = provider.validate("pkcs11:token=" + token.label() + ";object=kek-file",
                    Map.of("pinFile", pinFile.toString()));
            byte[] dek = dek();
            assertArrayEquals(dek, provider.unwrap(viaFile, provider.wrap(viaFile, dek, AAD), AAD));
            assertThrows(KeyMisconfiguredException.class, () -> provider.validate("pkcs11:token=" + token.label()
                    + ";object=k", Map.of("pinFile", dir.resolve("../softhsm2.conf").toString())),
                    "no way out of the PIN directory");
            assertThrows(KeyMisconfiguredException.class, () -> provider.validate("pkcs11:token=" + token.label()
                    + ";object=k", Map.of("pinFile", dir.resolve("test").toString())), "another token's PIN file");
        }
    }

    @Test
    void aPinReferenceNamesItsTokenSoItsPinCannotBeSentToAnotherToken() {
        SoftHsm.Token mine = fixture.hsm().newToken();
        KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class, () -> fixture.provider()
                .validate("pkcs11:token=" + mine.label() + ";object=k", Map.of("pinEnv", SoftHsm.ENV_PIN)));
        assertTrue(e.getMessage().contains(PinSource.envName(mine.label())), e.getMessage());
    }

    @Test
    void aTokenServesOnlyTheTenantsTheOperatorAssignsItTo() {
        KeySpec key = fixture.newKey();
        String label = fixture.token(key).label();
        ProviderSettings assigned = new ProviderSettings(Duration.ofMillis(300), 1, Duration.ofMillis(1500),
                Map.of("modules", SoftHsm.LIBRARY, "token-tenants." + label, "acme, acme-eu"));
        try (Pkcs11Provider provider = new Pkcs11Provider(assigned)) {
            new CallContext("acme", "tk_1", "check", "test", null).run(() -> {
                provider.check(key);
                return null;
            });
            KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class,
                    () -> new CallContext("mallory", "tk_2", "check", "test", null).run(() -> {
                        provider.check(key);
                        return null;
                    }));
            assertTrue(e.getMessage().contains("not assigned to tenant 'mallory'"), e.getMessage());
            assertThrows(KeyMisconfiguredException.class, () -> provider.check(key), "no tenant named: refused");
            KeyMisconfiguredException unassigned = assertThrows(KeyMisconfiguredException.class,
                    () -> provider.validate("pkcs11:token=someone-else;object=k", Map.of("pin", "1")));
            assertTrue(unassigned.getMessage().contains("token-tenants"), unassigned.getMessage());
        }
    }

    @Test
    void aPinThatCannotBeReadLeavesNoSessionOpen() {
        KeySpec key = fixture.newKey();
        SoftHsm.Token token = fixture.token(key);
        KeySpec unset = fixture.provider().validate(key.keyUri(), Map.of("pinEnv", PinSource.envName(token.label())));
        long slot = fixture.hsm().keywardSlot(token);
        long before = fixture.hsm().librarySessions(slot);
        for (int i = 0; i < 5; i++) {
            KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class,
                    () -> fixture.provider().check(unset));
            assertTrue(e.getMessage().contains("is not set"), e.getMessage());
        }
        assertEquals(before, fixture.hsm().librarySessions(slot), "no session left behind");
    }

    @Test
    void aMomentaryFailureToReadTheTokenIsNotARevocation() {
        KeySpec key = fixture.newKey();
        byte[] dek = dek();
        byte[] wrapped = fixture.provider().wrap(key, dek, AAD);
        fixture.faults().busyNext(1);        // the unwrap fails once...
        long slot = fixture.hsm().keywardSlot(fixture.token(key));
        fixture.faults().glitchTokenInfo(slot, 2); // ...and so do the next two looks at the token's slot
        assertArrayEquals(dek, fixture.provider().unwrap(key, wrapped, AAD));
    }

    @Test
    void aLostLoginIsNotARevocation() {
        KeySpec first = fixture.newKey();
        SoftHsm.Token token = fixture.token(first);
        fixture.provider().check(first); // the pool now holds a logged-in session on the token
        fixture.hsm().createKey(token, "kek-second", false);
        KeySpec second = fixture.provider().validate("pkcs11:token=" + token.label() + ";object=kek-second",
                first.options());

        Cryptoki module = fixture.hsm().keywardModule();
        long slot = fixture.hsm().keywardSlot(token);
        long s = module.openSession(slot, false);
        module.logout(s); // as after an HSM restart: every session of keyward's process is logged out
        module.closeSession(s);

        // The second key is looked up for the first time from the pooled, now logged-out session: it sees no
        // private objects, which must not read as "the key is gone".
        byte[] dek = dek();
        assertArrayEquals(dek, fixture.provider().unwrap(second, fixture.provider().wrap(second, dek, AAD), AAD));
        fixture.provider().check(first);
    }

    @Test
    void anOversizedWrappedKeyIsInvalidWithoutReachingTheToken() {
        KeySpec key = fixture.newKey();
        byte[] wrapped = fixture.provider().wrap(key, dek(), AAD);
        int before = fixture.requestCount();
        byte[] big = java.util.Arrays.copyOf(wrapped, 1 << 20);
        assertThrows(io.keyward.provider.WrappedKeyInvalidException.class,
                () -> fixture.provider().unwrap(key, big, AAD));
        assertEquals(before, fixture.requestCount(), "refused before any PKCS#11 call");
    }

    @Test
    void noModuleIsAllowedUnlessTheOperatorListsIt() {
        try (Pkcs11Provider none = new Pkcs11Provider(new ProviderSettings(Duration.ofMillis(300), 0,
                Duration.ofSeconds(1)))) {
            KeyMisconfiguredException e = assertThrows(KeyMisconfiguredException.class,
                    () -> none.validate("pkcs11:token=t;object=k", Map.of("pin", "1")));
            assertTrue(e.getMessage().contains("keyward.providers.pkcs11.modules"), e.getMessage());
        }
    }

    @Test
    void aRemovedTokenRevokesAndTheOtherTokensKeepWorking() {
        KeySpec gone = fixture.newKey();
        KeySpec stays = fixture.newKey();
        byte[] dek = dek();
        byte[] wrapped = fixture.provider().wrap(gone, dek, AAD);
        byte[] other = fixture.provider().wrap(stays, dek, AAD);
        fixture.hsm().removeToken(fixture.token(gone));
        KeyRevokedException e = assertThrows(KeyRevokedException.class,
                () -> fixture.provider().unwrap(gone, wrapped, AAD));
        assertTrue(e.getMessage().contains("not present"), e.getMessage());
        assertArrayEquals(dek, fixture.provider().unwrap(stays, other, AAD));
    }

    @Test
    void sessionsStayWithinTheCapUnderLoadAndGoBackToTheBaselineWhenIdle() throws Exception {
        KeySpec key = fixture.newKey();
        Pkcs11Provider provider = fixture.provider();
        provider.check(key);
        Cryptoki module = fixture.hsm().keywardModule();
        long slot = fixture.hsm().keywardSlot(fixture.token(key));
        long baseline = module.openSessionCount(slot);
        assertEquals(1, baseline, "one pooled session after the check");
        assertEquals(1, fixture.hsm().librarySessions(slot), "and the library agrees");

        AtomicInteger errors = new AtomicInteger();
        AtomicLong ops = new AtomicLong();
        AtomicLong peak = new AtomicLong();
        long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(12);
        List<Future<?>> workers = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            workers.add(pool.submit(() -> {
                while (System.nanoTime() < until) {
                    try {
                        byte[] dek = dek();
                        if (!java.util.Arrays.equals(dek, provider.unwrap(key, provider.wrap(key, dek, AAD), AAD))) {
                            errors.incrementAndGet();
                        }
                        ops.incrementAndGet();
                        peak.accumulateAndGet(module.openSessionCount(slot), Math::max);
                    } catch (RuntimeException e) {
                        if (errors.incrementAndGet() < 3) {
                            e.printStackTrace();
                        }
                    }
                }
            }));
        }
        for (Future<?> w : workers) {
            w.get();
        }
        pool.shutdown();
        assertEquals(0, errors.get(), "errors in " + ops.get() + " round trips");
        assertTrue(ops.get() > 100, "round trips: " + ops.get());
        assertTrue(peak.get() <= 4, "never more sessions than max-sessions: " + peak.get());
        Thread.sleep(1_800); // past the idle timeout (1 s) and the housekeeping that follows it
        assertEquals(baseline, module.openSessionCount(slot), "sessions back to the baseline");
        assertEquals(baseline, fixture.hsm().librarySessions(slot), "as the library counts them");
    }
}
