package io.keyward.provider.pkcs11;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * {@link Cryptoki} over the JDK's PKCS#11 binding, {@code sun.security.pkcs11.wrapper.PKCS11} in module
 * {@code jdk.crypto.cryptoki}: the JNI layer under the SunPKCS11 provider. keyward needs what the provider's JCA
 * surface hides (choose a token by label, tell a deleted key from a removed token from a failing library, own the
 * sessions), see docs/decisions/0009-pkcs11-binding.md.
 *
 * <p>The package is not exported, so the JVM must run with
 * {@code --add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED} (the packaged jar's manifest
 * carries it). It is reached by reflection because {@code javac --release} refuses to compile against a
 * non-exported JDK package.
 *
 * <p>A module is loaded and {@code C_Initialize}d once per process, and PKCS#11 login state belongs to the process,
 * so both are tracked in one static map: the one piece of static mutable state in keyward, mirroring the JDK's own
 * per-library cache (STYLE rule 2 does not fit a process-wide native resource).
 */
final class JdkCryptoki implements Cryptoki {
    private static final String PKG = "sun.security.pkcs11.wrapper.";
    private static final ConcurrentMap<String, JdkCryptoki> LOADED = new ConcurrentHashMap<>();
    /** What C_CloseSession may answer for a session that no longer exists. */
    private static final java.util.Set<Long> GONE = java.util.Set.of(Ck.CKR_SESSION_HANDLE_INVALID,
            Ck.CKR_SESSION_CLOSED, Ck.CKR_TOKEN_NOT_PRESENT, Ck.CKR_DEVICE_REMOVED);

    private final String libraryPath;
    private final Object pkcs11;
    /** SHA-256 of the PIN that logged in the user on each slot, to refuse any other PIN while logged in. */
    private final ConcurrentMap<Long, byte[]> loginDigests = new ConcurrentHashMap<>();
    /** Sessions opened and not yet closed through this binding, per slot, and the slot of each. */
    private final ConcurrentMap<Long, java.util.concurrent.atomic.AtomicLong> sessionsPerSlot = new ConcurrentHashMap<>();
    private final ConcurrentMap<Long, Long> sessionSlot = new ConcurrentHashMap<>();

    static Cryptoki load(String libraryPath) {
        return LOADED.computeIfAbsent(libraryPath, JdkCryptoki::new);
    }

    private JdkCryptoki(String libraryPath) {
        Api api = Api.get();
        this.libraryPath = libraryPath;
        try {
            Object args = api.initArgs.getDeclaredConstructor().newInstance();
            api.initArgsFlags.setLong(args, Ck.CKF_OS_LOCKING_OK);
            this.pkcs11 = api.getInstance.invoke(null, libraryPath, "C_GetFunctionList", args, false);
        } catch (InvocationTargetException e) {
            throw translate(e, "C_Initialize");
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the JDK's PKCS#11 binding is not usable: " + e.getClass().getSimpleName());
        }
    }

    @Override
    public String libraryPath() {
        return libraryPath;
    }

    @Override
    public long[] slotsWithToken() {
        return (long[]) call("C_GetSlotList", Api.get().getSlotList, true);
    }

    @Override
    public TokenInfo tokenInfo(long slot) {
        Object info = call("C_GetTokenInfo", Api.get().getTokenInfo, slot);
        try {
            Api api = Api.get();
            long flags = api.tokenFlags.getLong(info);
            return new TokenInfo(trim((char[]) api.tokenLabel.get(info)), trim((char[]) api.tokenSerial.get(info)),
                    (flags & Ck.CKF_TOKEN_INITIALIZED) != 0);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("CK_TOKEN_INFO is not readable", e);
        }
    }

    @Override
    public long openSession(long slot, boolean readWrite) {
        long flags = Ck.CKF_SERIAL_SESSION | (readWrite ? Ck.CKF_RW_SESSION : 0);
        long session = (Long) call("C_OpenSession", Api.get().openSession, slot, flags, null, null);
        sessionSlot.put(session, slot);
        sessionsPerSlot.computeIfAbsent(slot, s -> new java.util.concurrent.atomic.AtomicLong()).incrementAndGet();
        return session;
    }

    @Override
    public void closeSession(long session) {
        try {
            call("C_CloseSession", Api.get().closeSession, session);
        } catch (CryptokiException e) {
            if (!GONE.contains(e.code())) {
                throw e; // still counted: the library may well hold the session
            }
        }
        // Closed, or already gone with its token: either way the library no longer holds it.
        Long slot = sessionSlot.remove(session);
        if (slot != null) {
            sessionsPerSlot.get(slot).decrementAndGet();
        }
    }

    @Override
    public SessionInfo sessionInfo(long session) {
        Object info = call("C_GetSessionInfo", Api.get().getSessionInfo, session);
        try {
            return new SessionInfo(Api.get().sessionSlot.getLong(info), Api.get().sessionState.getLong(info));
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(Api.EXPORT_HINT);
        }
    }

    @Override
    public long openSessionCount(long slot) {
        try {
            Object info = call("C_GetTokenInfo", Api.get().getTokenInfo, slot);
            long reported = Api.get().tokenSessionCount.getLong(info);
            if (reported >= 0 && reported != Long.MAX_VALUE) {
                return reported;
            }
        } catch (CryptokiException | IllegalAccessException e) {
            // fall through to our own count
        }
        java.util.concurrent.atomic.AtomicLong n = sessionsPerSlot.get(slot);
        return n == null ? 0 : n.get();
    }

    @Override
    public void login(long session, long slot, char[] pin) {
        byte[] digest = digest(slot, pin);
        try {
            call("C_Login", Api.get().login, session, Ck.CKU_USER, pin);
            loginDigests.put(slot, digest.clone());
        } catch (CryptokiException e) {
            if (e.code() != Ck.CKR_USER_ALREADY_LOGGED_IN) {
                throw e;
            }
            byte[] known = loginDigests.get(slot);
            if (known == null || !MessageDigest.isEqual(known, digest)) {
                // Logged in with another PIN (or by something outside keyward): this PIN is not proven.
                throw new CryptokiException(Ck.CKR_PIN_INCORRECT, "C_Login");
            }
        } finally {
            Arrays.fill(digest, (byte) 0);
        }
    }

    @Override
    public long[] findSecretKeys(long session, String label) {
        Api api = Api.get();
        Object[] template = attributes(api.attr(Ck.CKA_CLASS, Ck.CKO_SECRET_KEY),
                api.attr(Ck.CKA_LABEL, label.toCharArray()));
        call("C_FindObjectsInit", api.findInit, session, template);
        try {
            return (long[]) call("C_FindObjects", api.find, session, 16L);
        } finally {
            call("C_FindObjectsFinal", api.findFinal, session);
        }
    }

    @Override
    public KeyAttributes keyAttributes(long session, long key) {
        Api api = Api.get();
        Object[] template = attributes(api.attr(Ck.CKA_KEY_TYPE), api.attr(Ck.CKA_VALUE_LEN), api.attr(Ck.CKA_ENCRYPT),
                api.attr(Ck.CKA_DECRYPT), api.attr(Ck.CKA_SENSITIVE), api.attr(Ck.CKA_EXTRACTABLE));
        call("C_GetAttributeValue", api.getAttributeValue, session, key, template);
        return new KeyAttributes(api.longValue(template[0]), api.longValue(template[1]), api.boolValue(template[2]),
                api.boolValue(template[3]), api.boolValue(template[4]), api.boolValue(template[5]));
    }

    @Override
    public byte[] encryptAesGcm(long session, long key, byte[] iv, byte[] aad, byte[] plaintext) {
        Api api = Api.get();
        call("C_EncryptInit", api.encryptInit, session, api.gcm(iv, aad), key);
        byte[] out = new byte[plaintext.length + 16];
        int n = (Integer) call("C_Encrypt", api.encrypt, session, 0L, plaintext, 0, plaintext.length, 0L, out, 0,
                out.length);
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    @Override
    public byte[] decryptAesGcm(long session, long key, byte[] iv, byte[] aad, byte[] ciphertextAndTag) {
        Api api = Api.get();
        call("C_DecryptInit", api.decryptInit, session, api.gcm(iv, aad), key);
        byte[] out = new byte[ciphertextAndTag.length];
        int n = (Integer) call("C_Decrypt", api.decrypt, session, 0L, ciphertextAndTag, 0, ciphertextAndTag.length,
                0L, out, 0, out.length);
        byte[] result = Arrays.copyOf(out, n);
        Arrays.fill(out, (byte) 0);
        return result;
    }

    @Override
    public long generateAesKey(long session, String label, int bytes, boolean extractable) {
        Api api = Api.get();
        Object[] template = attributes(api.attr(Ck.CKA_CLASS, Ck.CKO_SECRET_KEY), api.attr(Ck.CKA_KEY_TYPE, Ck.CKK_AES),
                api.attr(Ck.CKA_TOKEN, true), api.attr(Ck.CKA_PRIVATE, true), api.attr(Ck.CKA_LABEL, label.toCharArray()),
                api.attr(Ck.CKA_VALUE_LEN, (long) bytes), api.attr(Ck.CKA_SENSITIVE, true),
                api.attr(Ck.CKA_EXTRACTABLE, extractable), api.attr(Ck.CKA_ENCRYPT, true),
                api.attr(Ck.CKA_DECRYPT, true));
        return (Long) call("C_GenerateKey", api.generateKey, session, api.mechanism(Ck.CKM_AES_KEY_GEN), template);
    }

    @Override
    public void setUsable(long session, long key, boolean usable) {
        Api api = Api.get();
        call("C_SetAttributeValue", api.setAttributeValue, session, key,
                attributes(api.attr(Ck.CKA_ENCRYPT, usable), api.attr(Ck.CKA_DECRYPT, usable)));
    }

    @Override
    public void destroyObject(long session, long key) {
        call("C_DestroyObject", Api.get().destroyObject, session, key);
    }

    @Override
    public void logout(long session) {
        call("C_Logout", Api.get().logout, session);
    }

    @Override
    public byte[] readKeyValue(long session, long key) {
        Api api = Api.get();
        Object[] template = attributes(api.attr(Ck.CKA_VALUE));
        call("C_GetAttributeValue", api.getAttributeValue, session, key, template);
        return (byte[]) api.value(template[0]);
    }

    private Object[] attributes(Object... attrs) {
        Object[] array = (Object[]) java.lang.reflect.Array.newInstance(Api.get().attribute, attrs.length);
        System.arraycopy(attrs, 0, array, 0, attrs.length);
        return array;
    }

    private Object call(String function, Method method, Object... args) {
        try {
            return method.invoke(pkcs11, args);
        } catch (InvocationTargetException e) {
            throw translate(e, function);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(Api.EXPORT_HINT);
        }
    }

    private static RuntimeException translate(InvocationTargetException e, String function) {
        Throwable cause = e.getCause();
        Api api = Api.get();
        if (api.pkcs11Exception.isInstance(cause)) {
            try {
                return new CryptokiException((Long) api.errorCode.invoke(cause), function);
            } catch (ReflectiveOperationException ignored) {
                return new CryptokiException(Ck.CKR_GENERAL_ERROR, function);
            }
        }
        // An IOException from loading the library, or a wrapper-level failure: a library problem. No message is
        // copied (the JDK's may echo arguments).
        return new CryptokiException(Ck.CKR_FUNCTION_FAILED, function + " (" + cause.getClass().getSimpleName() + ")");
    }

    private static String trim(char[] padded) {
        return new String(padded).strip();
    }

    private static byte[] digest(long slot, char[] pin) {
        ByteBuffer bytes = StandardCharsets.UTF_8.encode(CharBuffer.wrap(pin));
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(Long.toString(slot).getBytes(StandardCharsets.US_ASCII));
            sha.update((byte) 0);
            sha.update(bytes.duplicate());
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } finally {
            if (bytes.hasArray()) {
                Arrays.fill(bytes.array(), (byte) 0);
            }
        }
    }

    /** The reflective handles, resolved once. */
    private static final class Api {
        static final String EXPORT_HINT = "the JVM must run with "
                + "--add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED for the pkcs11 provider";
        private static volatile Api instance;

        final Class<?> initArgs, attribute, pkcs11Exception;
        final Field initArgsFlags, tokenLabel, tokenSerial, tokenFlags, tokenSessionCount, sessionSlot, sessionState, attrValue;
        final Method getInstance, getSlotList, getTokenInfo, getSessionInfo, openSession, closeSession, login, findInit, find, findFinal,
                getAttributeValue, setAttributeValue, encryptInit, encrypt, decryptInit, decrypt, generateKey,
                destroyObject, logout, errorCode;
        final Constructor<?> attrType, attrBool, attrLong, attrObject, mechanismPlain, mechanismGcm, gcmParams;

        static Api get() {
            Api a = instance;
            if (a == null) {
                synchronized (Api.class) {
                    if (instance == null) {
                        instance = new Api();
                    }
                    a = instance;
                }
            }
            return a;
        }

        private Api() {
            try {
                Class<?> p11 = Class.forName(PKG + "PKCS11");
                Module module = p11.getModule();
                if (!module.isExported("sun.security.pkcs11.wrapper", Api.class.getModule())) {
                    throw new IllegalStateException(EXPORT_HINT);
                }
                initArgs = Class.forName(PKG + "CK_C_INITIALIZE_ARGS");
                attribute = Class.forName(PKG + "CK_ATTRIBUTE");
                pkcs11Exception = Class.forName(PKG + "PKCS11Exception");
                Class<?> mech = Class.forName(PKG + "CK_MECHANISM");
                Class<?> gcm = Class.forName(PKG + "CK_GCM_PARAMS");
                Class<?> tokenInfo = Class.forName(PKG + "CK_TOKEN_INFO");
                Class<?> notify = Class.forName(PKG + "CK_NOTIFY");
                Class<?> attrs = attribute.arrayType();
                initArgsFlags = initArgs.getField("flags");
                tokenLabel = tokenInfo.getField("label");
                tokenSerial = tokenInfo.getField("serialNumber");
                tokenFlags = tokenInfo.getField("flags");
                tokenSessionCount = tokenInfo.getField("ulSessionCount");
                Class<?> sessionInfo = Class.forName(PKG + "CK_SESSION_INFO");
                sessionSlot = sessionInfo.getField("slotID");
                sessionState = sessionInfo.getField("state");
                attrValue = attribute.getField("pValue");
                getInstance = p11.getMethod("getInstance", String.class, String.class, initArgs, boolean.class);
                getSlotList = p11.getMethod("C_GetSlotList", boolean.class);
                getTokenInfo = p11.getMethod("C_GetTokenInfo", long.class);
                getSessionInfo = p11.getMethod("C_GetSessionInfo", long.class);
                openSession = p11.getMethod("C_OpenSession", long.class, long.class, Object.class, notify);
                closeSession = p11.getMethod("C_CloseSession", long.class);
                login = p11.getMethod("C_Login", long.class, long.class, char[].class);
                findInit = p11.getMethod("C_FindObjectsInit", long.class, attrs);
                find = p11.getMethod("C_FindObjects", long.class, long.class);
                findFinal = p11.getMethod("C_FindObjectsFinal", long.class);
                getAttributeValue = p11.getMethod("C_GetAttributeValue", long.class, long.class, attrs);
                setAttributeValue = p11.getMethod("C_SetAttributeValue", long.class, long.class, attrs);
                encryptInit = p11.getMethod("C_EncryptInit", long.class, mech, long.class);
                decryptInit = p11.getMethod("C_DecryptInit", long.class, mech, long.class);
                encrypt = p11.getMethod("C_Encrypt", long.class, long.class, byte[].class, int.class, int.class,
                        long.class, byte[].class, int.class, int.class);
                decrypt = p11.getMethod("C_Decrypt", long.class, long.class, byte[].class, int.class, int.class,
                        long.class, byte[].class, int.class, int.class);
                generateKey = p11.getMethod("C_GenerateKey", long.class, mech, attrs);
                destroyObject = p11.getMethod("C_DestroyObject", long.class, long.class);
                logout = p11.getMethod("C_Logout", long.class);
                errorCode = pkcs11Exception.getMethod("getErrorCode");
                attrType = attribute.getConstructor(long.class);
                attrBool = attribute.getConstructor(long.class, boolean.class);
                attrLong = attribute.getConstructor(long.class, long.class);
                attrObject = attribute.getConstructor(long.class, Object.class);
                mechanismPlain = mech.getConstructor(long.class);
                mechanismGcm = mech.getConstructor(long.class, gcm);
                gcmParams = gcm.getConstructor(int.class, byte[].class, byte[].class);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("this JDK's PKCS#11 binding differs from the one keyward supports: "
                        + e.getClass().getSimpleName() + " " + e.getMessage());
            }
        }

        Object attr(long type) {
            return construct(attrType, type);
        }

        Object attr(long type, boolean value) {
            return construct(attrBool, type, value);
        }

        Object attr(long type, long value) {
            return construct(attrLong, type, value);
        }

        Object attr(long type, char[] value) {
            return construct(attrObject, type, value);
        }

        Object mechanism(long mechanism) {
            return construct(mechanismPlain, mechanism);
        }

        Object gcm(byte[] iv, byte[] aad) {
            return construct(mechanismGcm, Ck.CKM_AES_GCM, construct(gcmParams, 128, iv, aad));
        }

        Object value(Object attr) {
            try {
                return attrValue.get(attr);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(EXPORT_HINT);
            }
        }

        long longValue(Object attr) {
            Object v = value(attr);
            return v instanceof Number n ? n.longValue() : -1;
        }

        boolean boolValue(Object attr) {
            Object v = value(attr);
            return v instanceof Boolean b && b;
        }

        private static Object construct(Constructor<?> c, Object... args) {
            try {
                return c.newInstance(args);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot build a PKCS#11 structure: " + e.getClass().getSimpleName());
            }
        }
    }
}
