package io.keyward.testing.pkcs11;

import io.keyward.provider.pkcs11.Cryptoki;
import io.keyward.provider.pkcs11.CryptokiException;
import io.keyward.testing.Sleep;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sits between keyward and a real module the way a TCP proxy sits between keyward and a cloud KMS: it can make
 * the library fail as a network HSM does when its appliance is unreachable ({@code CKR_DEVICE_ERROR}), answer
 * slowly, or refuse work for a while ({@code CKR_DEVICE_MEMORY}, what an HSM under load returns). Everything else is
 * the real token.
 */
public final class FaultyCryptoki implements Cryptoki {
    private static final long CKR_DEVICE_ERROR = 0x30;
    private static final long CKR_DEVICE_MEMORY = 0x31;

    private final Cryptoki real;
    private volatile boolean down;
    private volatile Duration delay = Duration.ZERO;
    private final AtomicInteger busy = new AtomicInteger();
    private final AtomicInteger operations = new AtomicInteger();

    public FaultyCryptoki(Cryptoki real) {
        this.real = real;
    }

    public void down(boolean down) {
        this.down = down;
    }

    public void delay(Duration delay) {
        this.delay = delay;
    }

    public void busyNext(int n) {
        busy.set(n);
    }

    /** Encrypt and decrypt calls that reached this module. */
    public int operations() {
        return operations.get();
    }

    private void gate(String function) {
        Duration d = delay;
        if (!d.isZero()) {
            Sleep.quietly(d);
        }
        if (down) {
            throw new CryptokiException(CKR_DEVICE_ERROR, function);
        }
    }

    private void operation(String function) {
        gate(function);
        operations.incrementAndGet();
        if (busy.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new CryptokiException(CKR_DEVICE_MEMORY, function);
        }
    }

    @Override
    public String libraryPath() {
        return real.libraryPath();
    }

    @Override
    public long[] slotsWithToken() {
        gate("C_GetSlotList");
        return real.slotsWithToken();
    }

    @Override
    public TokenInfo tokenInfo(long slot) {
        gate("C_GetTokenInfo");
        return real.tokenInfo(slot);
    }

    @Override
    public long openSession(long slot, boolean readWrite) {
        gate("C_OpenSession");
        return real.openSession(slot, readWrite);
    }

    @Override
    public void closeSession(long session) {
        real.closeSession(session);
    }

    @Override
    public long openSessionCount(long slot) {
        return real.openSessionCount(slot);
    }

    @Override
    public void login(long session, long slot, char[] pin) {
        gate("C_Login");
        real.login(session, slot, pin);
    }

    @Override
    public long[] findSecretKeys(long session, String label) {
        gate("C_FindObjects");
        return real.findSecretKeys(session, label);
    }

    @Override
    public KeyAttributes keyAttributes(long session, long key) {
        gate("C_GetAttributeValue");
        return real.keyAttributes(session, key);
    }

    @Override
    public byte[] encryptAesGcm(long session, long key, byte[] iv, byte[] aad, byte[] plaintext) {
        operation("C_Encrypt");
        return real.encryptAesGcm(session, key, iv, aad, plaintext);
    }

    @Override
    public byte[] decryptAesGcm(long session, long key, byte[] iv, byte[] aad, byte[] ciphertextAndTag) {
        operation("C_Decrypt");
        return real.decryptAesGcm(session, key, iv, aad, ciphertextAndTag);
    }

    @Override
    public long generateAesKey(long session, String label, int bytes, boolean extractable) {
        return real.generateAesKey(session, label, bytes, extractable);
    }

    @Override
    public void setUsable(long session, long key, boolean usable) {
        real.setUsable(session, key, usable);
    }

    @Override
    public void destroyObject(long session, long key) {
        real.destroyObject(session, key);
    }

    @Override
    public byte[] readKeyValue(long session, long key) {
        return real.readKeyValue(session, key);
    }
}
