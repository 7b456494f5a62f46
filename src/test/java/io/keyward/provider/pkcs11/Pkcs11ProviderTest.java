package io.keyward.provider.pkcs11;

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
    void thePinCanComeFromAnEnvironmentVariableOrAFileInThePinDirectory() throws Exception {
        SoftHsm hsm = fixture.hsm();
        SoftHsm.Token envToken = hsm.envToken();
        hsm.createKey(envToken, "kek-env", false);
        KeySpec viaEnv = fixture.provider().validate("pkcs11:token=" + envToken.label() + ";object=kek-env",
                Map.of("pinEnv", SoftHsm.ENV_PIN));
        fixture.provider().check(viaEnv);

        Path dir = Files.createDirectories(hsm.home().resolve("pins"));
        SoftHsm.Token token = hsm.newToken();
        hsm.createKey(token, "kek-file", false);
        Path pinFile = dir.resolve("tenant-a.pin");
        Files.writeString(pinFile, token.pin() + "\n");
        ProviderSettings withDir = new ProviderSettings(Duration.ofMillis(300), 2, Duration.ofMillis(1500),
                Map.of("modules", SoftHsm.LIBRARY, "pin-directory", dir.toString()));
        try (Pkcs11Provider provider = new Pkcs11Provider(withDir)) {
            KeySpec viaFile = provider.validate("pkcs11:token=" + token.label() + ";object=kek-file",
                    Map.of("pinFile", pinFile.toString()));
            byte[] dek = dek();
            assertArrayEquals(dek, provider.unwrap(viaFile, provider.wrap(viaFile, dek, AAD), AAD));
            assertThrows(KeyMisconfiguredException.class, () -> provider.validate("pkcs11:token=t;object=k",
                    Map.of("pinFile", dir.resolve("../softhsm2.conf").toString())), "no way out of the PIN directory");
        }
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
        Thread.sleep(1_200); // past the idle timeout of the fixture's settings
        provider.check(key); // a call trims the idle sessions
        assertEquals(baseline, module.openSessionCount(slot), "sessions back to the baseline");
    }
}
