package io.keyward.provider.pkcs11;

/**
 * The part of a PKCS#11 module ("Cryptoki" library) keyward calls. Every method maps to one or a few PKCS#11
 * functions and reports a non-{@code CKR_OK} return as {@link CryptokiException}. Handles are the module's own
 * {@code CK_SESSION_HANDLE}/{@code CK_OBJECT_HANDLE} values.
 *
 * <p>The production implementation is {@link #load(String)}: the JDK's own PKCS#11 binding (the one SunPKCS11 is
 * built on). The interface exists so that a test can put a fault between keyward and a real token, the way a TCP
 * proxy sits between keyward and a cloud KMS.
 */
public interface Cryptoki {

    /** A token as {@code C_GetTokenInfo} describes it; label and serial with their space padding removed. */
    record TokenInfo(String label, String serial, boolean initialized) {
    }

    /**
     * What keyward needs to know about a key object before using it as a KEK.
     *
     * @param keyType      {@code CKA_KEY_TYPE}
     * @param valueLength  {@code CKA_VALUE_LEN} in bytes
     */
    /** {@code C_GetSessionInfo}: the slot of a session and its state ({@code CKS_*}). */
    record SessionInfo(long slot, long state) {
        /** Whether the normal user is logged in ({@code CKS_RO_USER_FUNCTIONS} or {@code CKS_RW_USER_FUNCTIONS}). */
        public boolean userLoggedIn() {
            return state == 1 || state == 3;
        }
    }

    record KeyAttributes(long keyType, long valueLength, boolean encrypt, boolean decrypt, boolean sensitive,
            boolean extractable) {
    }

    /** Loads (once per process) and initialises the module at {@code libraryPath}. */
    static Cryptoki load(String libraryPath) {
        return JdkCryptoki.load(libraryPath);
    }

    String libraryPath();

    /** {@code C_GetSlotList(CK_TRUE)}: slots with a token present. */
    long[] slotsWithToken();

    TokenInfo tokenInfo(long slot);

    long openSession(long slot, boolean readWrite);

    void closeSession(long session);

    SessionInfo sessionInfo(long session);

    /**
     * Sessions this process has open on {@code slot} through this module: the token's own count
     * ({@code CK_TOKEN_INFO.ulSessionCount}) where the token reports it, otherwise the successful
     * {@code C_OpenSession} calls minus the {@code C_CloseSession} calls made through this binding.
     */
    long openSessionCount(long slot);

    /**
     * {@code C_Login} as the normal user. PKCS#11 logs in the whole application, not one session; when the token is
     * already logged in, the implementation accepts only the PIN that logged it in (compared in constant time), so
     * one tenant can never ride on another tenant's login.
     */
    void login(long session, long slot, char[] pin);

    /** Secret-key objects with this {@code CKA_LABEL}. */
    long[] findSecretKeys(long session, String label);

    KeyAttributes keyAttributes(long session, long key);

    /** {@code C_EncryptInit}+{@code C_Encrypt} with {@code CKM_AES_GCM}, 128-bit tag; returns ciphertext||tag. */
    byte[] encryptAesGcm(long session, long key, byte[] iv, byte[] aad, byte[] plaintext);

    /** The reverse of {@link #encryptAesGcm}. */
    byte[] decryptAesGcm(long session, long key, byte[] iv, byte[] aad, byte[] ciphertextAndTag);

    // Administration: what a customer's own tooling does on its token. keyward never calls these; tests use them
    // to play the customer, and they document which attributes a KEK for keyward must have.

    /** {@code C_GenerateKey} of a token AES key with {@code CKA_SENSITIVE} and the given extractability. */
    long generateAesKey(long session, String label, int bytes, boolean extractable);

    /** Sets {@code CKA_ENCRYPT} and {@code CKA_DECRYPT}: how a customer disables (or re-enables) a key. */
    void setUsable(long session, long key, boolean usable);

    void destroyObject(long session, long key);

    /** {@code C_Logout}: logs the whole application out of the token, as an HSM restart or failover does. */
    void logout(long session);

    /** {@code C_GetAttributeValue(CKA_VALUE)}: fails with {@code CKR_ATTRIBUTE_SENSITIVE} on a proper KEK. */
    byte[] readKeyValue(long session, long key);
}
