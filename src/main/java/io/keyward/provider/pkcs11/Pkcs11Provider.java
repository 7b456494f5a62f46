package io.keyward.provider.pkcs11;

import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeySpec;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.ProviderSettings;
import io.keyward.provider.WrappedKeyInvalidException;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Hold Your Own Key on an HSM over PKCS#11: the KEK is a non-extractable AES key on the customer's token, and every
 * wrap and unwrap is a {@code CKM_AES_GCM} operation inside the token with a fresh random 96-bit IV and keyward's
 * AAD. The wrapped form is {@code 0x01 | iv (12) | ciphertext | tag (16)}.
 *
 * <p>Outcomes (PKCS#11 v2.40 section 5.1 return values): a key that is disabled ({@code CKA_ENCRYPT}/
 * {@code CKA_DECRYPT} false: {@code CKR_KEY_FUNCTION_NOT_PERMITTED}) or gone (not found by label), and a token
 * that is no longer present, are <b>revoked</b>; a wrong PIN, a missing mechanism or an extractable key are
 * <b>misconfigured</b>; anything else the library reports is <b>unavailable</b> and retried within the deadline.
 * An unexplained failure is diagnosed before it is classified: is the token still there, is the key still there
 * and usable, and (for an unwrap) does the key still decrypt its own output? Only then is a failed unwrap blamed
 * on the wrapped bytes, so tampering can never revoke a tenant and a broken HSM is never taken for tampering.
 *
 * <p>PKCS#11 calls block in native code and cannot be interrupted, so each attempt runs on a provider thread and
 * the caller waits at most its attempt timeout; a stuck call keeps its session until the library returns.
 */
public final class Pkcs11Provider implements KeyProvider, AutoCloseable {
    public static final String ID = "pkcs11";
    private static final byte FORMAT = 1;
    private static final int IV = 12;
    private static final int TAG = 16;
    private static final Set<String> OPTIONS = Set.of("module", "pin", "pinEnv", "pinFile");
    /** What a slot answers when its token was removed (SoftHSM2 says CKR_GENERAL_ERROR). */
    private static final Set<Long> TOKEN_ABSENT = Set.of(Ck.CKR_TOKEN_NOT_PRESENT, Ck.CKR_TOKEN_NOT_RECOGNIZED,
            Ck.CKR_DEVICE_REMOVED, Ck.CKR_SLOT_ID_INVALID, Ck.CKR_GENERAL_ERROR);
    private static final Set<Long> PIN_REFUSED = Set.of(Ck.CKR_PIN_INCORRECT, Ck.CKR_PIN_INVALID, Ck.CKR_PIN_LEN_RANGE,
            Ck.CKR_PIN_EXPIRED, Ck.CKR_PIN_LOCKED, Ck.CKR_USER_PIN_NOT_INITIALIZED);
    private static final Set<Long> NOT_SUPPORTED = Set.of(Ck.CKR_MECHANISM_INVALID, Ck.CKR_MECHANISM_PARAM_INVALID,
            Ck.CKR_KEY_TYPE_INCONSISTENT, Ck.CKR_KEY_SIZE_RANGE);

    private final ProviderSettings settings;
    private final Set<String> modules;
    private final String pinDirectory;
    private final int maxSessions;
    private final long idleNanos;
    private final Function<String, Cryptoki> loader;
    private final ConcurrentMap<TokenRef, Token> tokens = new ConcurrentHashMap<>();
    private final ExecutorService calls;
    private final SecureRandom random = new SecureRandom();
    private final byte[] pinSalt = salt(random);

    /**
     * A token as reached with one PIN. Sessions are pooled per PIN as well as per token: a pooled session is
     * already logged in, so sharing it across PINs would let a tenant with a wrong PIN use another tenant's login.
     */
    private record TokenRef(String module, String label, String serial, String pinIdentity) {
    }

    private record Target(TokenRef token, String object, PinSource pin) {
    }

    /** Carries a failure that another attempt may fix. */
    private static final class Retryable extends RuntimeException {
        Retryable(String message) {
            super(message, null, false, false);
        }
    }

    private interface Operation {
        byte[] run(Cryptoki module, long session, long key);
    }

    /** One token as this provider found it: its slot, its sessions and the key handles found on it. */
    private final class Token {
        final TokenRef ref;
        final Cryptoki module;
        final ConcurrentMap<String, Long> handles = new ConcurrentHashMap<>();
        volatile TokenSessions sessions;

        Token(TokenRef ref, Cryptoki module) {
            this.ref = ref;
            this.module = module;
        }

        synchronized TokenSessions sessions() {
            if (sessions == null) {
                sessions = new TokenSessions(module, locate(), maxSessions, idleNanos);
            }
            return sessions;
        }

        synchronized void forgetSlot(TokenSessions stale) {
            if (sessions == stale) {
                sessions = null;
                handles.clear();
                stale.close();
            }
        }

        /**
         * The slot holding this token now; revoked if no slot does. A slot that cannot be read for another reason
         * than an absent token leaves the question open (a library failure, retried), unless the token is found.
         */
        long locate() {
            Long found = null;
            CryptokiException undecided = null;
            for (long slot : module.slotsWithToken()) {
                Cryptoki.TokenInfo info;
                try {
                    info = module.tokenInfo(slot);
                } catch (CryptokiException e) {
                    if (!TOKEN_ABSENT.contains(e.code())) {
                        undecided = e;
                    }
                    continue;
                }
                if (matches(info)) {
                    if (found != null) {
                        throw new KeyMisconfiguredException("two tokens are labelled '" + ref.label()
                                + "'; add serial=<token serial> to the key URI");
                    }
                    found = slot;
                }
            }
            if (found != null) {
                return found;
            }
            if (undecided != null) {
                throw undecided;
            }
            throw new KeyRevokedException("token '" + ref.label() + "' is not present in the PKCS#11 module");
        }

        boolean matches(Cryptoki.TokenInfo info) {
            return info.initialized() && info.label().equals(ref.label())
                    && (ref.serial() == null || ref.serial().equals(info.serial()));
        }
    }

    public Pkcs11Provider(ProviderSettings settings) {
        this(settings, Cryptoki::load);
    }

    /** With another way to reach a module: tests put a fault-injecting {@link Cryptoki} in front of a real token. */
    public Pkcs11Provider(ProviderSettings settings, Function<String, Cryptoki> loader) {
        this.settings = settings;
        this.loader = loader;
        this.modules = new LinkedHashSet<>();
        for (String m : settings.property("modules", "").split(",")) {
            if (!m.isBlank()) {
                modules.add(m.strip());
            }
        }
        this.pinDirectory = settings.property("pin-directory", "");
        this.maxSessions = Integer.parseInt(settings.property("max-sessions", "16"));
        this.idleNanos = java.time.Duration.parse(settings.property("session-idle-timeout", "PT60S")).toNanos();
        AtomicInteger n = new AtomicInteger();
        this.calls = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "keyward-pkcs11-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Set<String> secretOptions() {
        return Set.of("pin");
    }

    @Override
    public KeySpec validate(String keyUri, Map<String, String> options) {
        target(keyUri, options);
        return new KeySpec(ID, keyUri, options);
    }

    private Target target(String keyUri, Map<String, String> options) {
        Pkcs11KeyUri uri = Pkcs11KeyUri.parse(keyUri);
        for (String name : options.keySet()) {
            if (!OPTIONS.contains(name)) {
                throw new KeyMisconfiguredException("pkcs11 does not know the option '" + name
                        + "'; it takes module and one of pin, pinEnv, pinFile");
            }
        }
        if (modules.isEmpty()) {
            throw new KeyMisconfiguredException("no PKCS#11 module is allowed on this deployment; the operator lists "
                    + "them in keyward.providers.pkcs11.modules");
        }
        String module = options.get("module");
        if (module == null) {
            if (modules.size() != 1) {
                throw new KeyMisconfiguredException("pkcs11 needs the option module, one of " + modules);
            }
            module = modules.iterator().next();
        } else if (!modules.contains(module)) {
            throw new KeyMisconfiguredException("PKCS#11 module '" + module + "' is not allowed on this deployment; "
                    + "allowed: " + modules);
        }
        PinSource pin = PinSource.from(options, pinDirectory);
        return new Target(new TokenRef(module, uri.token(), uri.serial(), pinIdentity(pin)), uri.object(), pin);
    }

    private static byte[] salt(SecureRandom random) {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return b;
    }

    /** Tells PINs apart without keeping them: a keyed hash of an inline PIN, the name of an env var or file. */
    private String pinIdentity(PinSource pin) {
        if (pin instanceof PinSource.Inline inline) {
            try {
                javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
                mac.init(new javax.crypto.spec.SecretKeySpec(pinSalt, "HmacSHA256"));
                return "pin:" + java.util.HexFormat.of().formatHex(
                        mac.doFinal(inline.pin().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
        return pin.toString();
    }

    @Override
    public byte[] wrap(KeySpec spec, byte[] dataKey, byte[] aad) {
        byte[] iv = new byte[IV];
        random.nextBytes(iv);
        byte[] sealed = execute(spec, false, (m, s, k) -> m.encryptAesGcm(s, k, iv, aad, dataKey));
        byte[] out = new byte[1 + IV + sealed.length];
        out[0] = FORMAT;
        System.arraycopy(iv, 0, out, 1, IV);
        System.arraycopy(sealed, 0, out, 1 + IV, sealed.length);
        return out;
    }

    @Override
    public byte[] unwrap(KeySpec spec, byte[] wrapped, byte[] aad) {
        if (wrapped.length < 1 + IV + TAG + 1 || wrapped[0] != FORMAT) {
            throw new WrappedKeyInvalidException("not a pkcs11 wrapped key of format 1");
        }
        byte[] iv = Arrays.copyOfRange(wrapped, 1, 1 + IV);
        byte[] sealed = Arrays.copyOfRange(wrapped, 1 + IV, wrapped.length);
        return execute(spec, true, (m, s, k) -> m.decryptAesGcm(s, k, iv, aad, sealed));
    }

    @Override
    public void check(KeySpec spec) {
        byte[] probe = new byte[32];
        random.nextBytes(probe);
        byte[] aad = "keyward pkcs11 check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] back = unwrap(spec, wrap(spec, probe, aad), aad);
        if (!MessageDigest.isEqual(probe, back)) {
            throw new KeyUnavailableException("the token returned other bytes than it was given");
        }
    }

    /** Sessions this provider holds open on all tokens (for tests and metrics). */
    public int openSessions() {
        return tokens.values().stream().map(t -> t.sessions).filter(java.util.Objects::nonNull)
                .mapToInt(TokenSessions::openSessions).sum();
    }

    private byte[] execute(KeySpec spec, boolean unwrap, Operation op) {
        Target target = target(spec.keyUri(), spec.options());
        long deadline = System.nanoTime() + settings.deadline().toNanos();
        String last = "no attempt finished";
        for (int attempt = 0; ; attempt++) {
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                throw new KeyUnavailableException("PKCS#11 token did not answer within "
                        + settings.deadline().toMillis() + " ms: " + last);
            }
            long budget = Math.min(settings.attemptTimeout().toNanos(), remaining);
            Future<byte[]> call = calls.submit(() -> attempt(target, unwrap, op, budget));
            try {
                return call.get(budget, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                last = "an attempt took longer than " + settings.attemptTimeout().toMillis() + " ms";
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof ProviderException p) {
                    throw p;
                }
                if (cause instanceof Retryable r) {
                    last = r.getMessage();
                } else if (cause instanceof IllegalStateException ise) {
                    throw new KeyMisconfiguredException(ise.getMessage());
                } else {
                    last = "PKCS#11 call failed (" + cause.getClass().getSimpleName() + ")";
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KeyUnavailableException("interrupted while waiting for the PKCS#11 token");
            }
            if (attempt >= settings.maxRetries()) {
                throw new KeyUnavailableException("PKCS#11 token failed " + (attempt + 1) + " attempts: " + last);
            }
            backoff(attempt, deadline);
        }
    }

    private byte[] attempt(Target target, boolean unwrap, Operation op, long budgetNanos) {
        Token token = token(target.token());
        TokenSessions sessions;
        try {
            sessions = token.sessions();
        } catch (CryptokiException e) {
            throw new Retryable("cannot list the module's tokens: " + e.codeName());
        }
        long session;
        try {
            session = sessions.borrow(target.pin()::read, budgetNanos);
        } catch (CryptokiException e) {
            if (PIN_REFUSED.contains(e.code())) {
                throw new KeyMisconfiguredException("token '" + target.token().label() + "' refused the PIN ("
                        + e.codeName() + ")");
            }
            return diagnoseThenRetry(token, sessions, target, e, unwrap);
        }
        boolean healthy = true;
        CryptokiException failure;
        try {
            long key = keyHandle(token, session, target.object());
            return op.run(token.module, session, key);
        } catch (CryptokiException e) {
            if (e.code() == Ck.CKR_KEY_FUNCTION_NOT_PERMITTED) {
                token.handles.remove(target.object());
                throw disabled(target);
            }
            if (NOT_SUPPORTED.contains(e.code())) {
                throw new KeyMisconfiguredException("token '" + target.token().label()
                        + "' cannot do AES-GCM with key '" + target.object() + "' (" + e.codeName() + ")");
            }
            if (unwrap && (e.code() == Ck.CKR_ENCRYPTED_DATA_INVALID || e.code() == Ck.CKR_ENCRYPTED_DATA_LEN_RANGE)) {
                throw new WrappedKeyInvalidException("the token could not authenticate the wrapped key");
            }
            healthy = false;
            token.handles.remove(target.object());
            failure = e;
        } finally {
            // Given back before diagnosing, which needs a session of its own (the pool may hold only one).
            sessions.release(session, healthy);
        }
        return diagnoseThenRetry(token, sessions, target, failure, unwrap);
    }

    /**
     * After a failure PKCS#11 does not explain: revoked if the token or the key is gone or disabled; for an unwrap,
     * wrapped-key-invalid if the key demonstrably still decrypts; otherwise worth another attempt.
     */
    private byte[] diagnoseThenRetry(Token token, TokenSessions sessions, Target target, CryptokiException failure,
            boolean unwrap) {
        boolean present;
        try {
            present = token.matches(token.module.tokenInfo(sessions.slot()));
        } catch (CryptokiException e) {
            if (!TOKEN_ABSENT.contains(e.code())) {
                throw new Retryable(failure.codeName() + ", then " + e.codeName());
            }
            present = false;
        }
        if (!present) {
            token.forgetSlot(sessions);
            try {
                token.sessions(); // KeyRevokedException unless the token is in another slot now
            } catch (CryptokiException e) {
                throw new Retryable(failure.codeName() + ", then " + e.codeName());
            }
            throw new Retryable("token '" + target.token().label() + "' moved to another slot");
        }
        long session;
        try {
            session = sessions.borrow(target.pin()::read, settings.attemptTimeout().toNanos());
        } catch (CryptokiException e) {
            throw new Retryable(failure.codeName() + ", then " + e.codeName());
        }
        boolean healthy = true;
        try {
            long key = keyHandle(token, session, target.object());
            if (unwrap && (failure.code() == Ck.CKR_GENERAL_ERROR || failure.code() == Ck.CKR_FUNCTION_FAILED
                    || failure.code() == Ck.CKR_DATA_LEN_RANGE)) {
                byte[] iv = new byte[IV];
                byte[] probe = new byte[16];
                random.nextBytes(probe);
                byte[] back = token.module.decryptAesGcm(session, key, iv, iv,
                        token.module.encryptAesGcm(session, key, iv, iv, probe));
                if (MessageDigest.isEqual(probe, back)) {
                    throw new WrappedKeyInvalidException("the token could not authenticate the wrapped key");
                }
            }
        } catch (CryptokiException e) {
            healthy = false;
            if (e.code() == Ck.CKR_KEY_FUNCTION_NOT_PERMITTED) {
                throw disabled(target);
            }
            throw new Retryable(failure.codeName() + ", then " + e.codeName());
        } finally {
            sessions.release(session, healthy);
        }
        throw new Retryable(failure.codeName());
    }

    /** The key's handle, found by label and vetted once, then remembered until a call fails. */
    private long keyHandle(Token token, long session, String label) {
        Long known = token.handles.get(label);
        if (known != null) {
            return known;
        }
        long[] found = token.module.findSecretKeys(session, label);
        if (found.length == 0) {
            throw new KeyRevokedException("token '" + token.ref.label() + "' has no secret key labelled '" + label + "'");
        }
        if (found.length > 1) {
            throw new KeyMisconfiguredException("token '" + token.ref.label() + "' has " + found.length
                    + " secret keys labelled '" + label + "'; keyward needs exactly one");
        }
        Cryptoki.KeyAttributes a = token.module.keyAttributes(session, found[0]);
        if (a.keyType() != Ck.CKK_AES || a.valueLength() < 16) {
            throw new KeyMisconfiguredException("key '" + label + "' is not an AES key");
        }
        if (a.extractable() || !a.sensitive()) {
            throw new KeyMisconfiguredException("key '" + label + "' can leave the token (CKA_EXTRACTABLE=true or "
                    + "CKA_SENSITIVE=false); keyward uses only non-extractable, sensitive keys as KEKs");
        }
        if (!a.encrypt() || !a.decrypt()) {
            throw new KeyRevokedException("key '" + label + "' is disabled on token '" + token.ref.label()
                    + "' (CKA_ENCRYPT/CKA_DECRYPT is false)");
        }
        token.handles.put(label, found[0]);
        return found[0];
    }

    private Token token(TokenRef ref) {
        Token t = tokens.get(ref);
        if (t != null) {
            return t;
        }
        Cryptoki module;
        try {
            module = loader.apply(ref.module());
        } catch (CryptokiException e) {
            throw new KeyMisconfiguredException("PKCS#11 module " + ref.module() + " cannot be loaded and initialised ("
                    + e.getMessage() + ")");
        }
        return tokens.computeIfAbsent(ref, r -> new Token(r, module));
    }

    private static KeyRevokedException disabled(Target target) {
        return new KeyRevokedException("key '" + target.object() + "' is not permitted to encrypt/decrypt on token '"
                + target.token().label() + "' (CKR_KEY_FUNCTION_NOT_PERMITTED)");
    }

    private static void backoff(int attempt, long deadline) {
        long base = TimeUnit.MILLISECONDS.toNanos(Math.min(1_000, 50L << Math.min(attempt, 5)));
        long sleep = Math.min(base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1), deadline - System.nanoTime());
        if (sleep > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(sleep);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        calls.shutdownNow();
        tokens.values().forEach(t -> {
            TokenSessions s = t.sessions;
            if (s != null) {
                s.close();
            }
        });
    }
}
