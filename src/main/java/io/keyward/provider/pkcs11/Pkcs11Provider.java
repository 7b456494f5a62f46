package io.keyward.provider.pkcs11;

import io.keyward.provider.Backoff;
import io.keyward.provider.CallContext;
import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeySpec;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.ProviderSettings;
import io.keyward.provider.WrappedKeyInvalidException;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Hold Your Own Key on an HSM over PKCS#11: the KEK is a non-extractable AES key on the customer's token, and every
 * wrap and unwrap is a {@code CKM_AES_GCM} operation inside the token with a fresh random 96-bit IV and keyward's
 * AAD. The wrapped form is {@code 0x01 | iv (12) | ciphertext | tag (16)}.
 *
 * <p>Outcomes (PKCS#11 v2.40 section 5.1 return values): a key that is disabled ({@code CKA_ENCRYPT}/
 * {@code CKA_DECRYPT} false: {@code CKR_KEY_FUNCTION_NOT_PERMITTED}) or gone (not found by label from a logged-in
 * session), and a token that is no longer present, are <b>revoked</b>; a wrong PIN, a missing mechanism, an
 * extractable key or a token not assigned to the tenant are <b>misconfigured</b>; anything else the library reports
 * is <b>unavailable</b> and retried within the deadline. An unexplained failure is diagnosed before it is
 * classified: is the token still there, is the key, and (for an unwrap) does the key still decrypt its own output?
 * Only then is a failed unwrap blamed on the wrapped bytes, so tampering can never revoke a tenant and a broken HSM
 * is never taken for tampering.
 *
 * <p>PKCS#11 calls block in native code and cannot be interrupted, so each attempt runs on a bounded pool of provider
 * threads and the caller waits at most its attempt timeout; a stuck call keeps its session until the library
 * returns, and when every provider thread is stuck new calls are refused at once as unavailable.
 */
public final class Pkcs11Provider implements KeyProvider, AutoCloseable {
    public static final String ID = "pkcs11";
    private static final byte FORMAT = 1;
    private static final int IV = 12;
    private static final int TAG = 16;
    /** A DEK is 32 bytes; anything much longer is not ours, and is refused before it reaches the token. */
    private static final int MAX_WRAPPED = 1 + IV + 64 + TAG;
    private static final Set<String> OPTIONS = Set.of("module", "pin", "pinEnv", "pinFile");
    private static final Set<Long> PIN_REFUSED = Set.of(Ck.CKR_PIN_INCORRECT, Ck.CKR_PIN_INVALID, Ck.CKR_PIN_LEN_RANGE,
            Ck.CKR_PIN_EXPIRED, Ck.CKR_PIN_LOCKED, Ck.CKR_USER_PIN_NOT_INITIALIZED);
    private static final Set<Long> NOT_SUPPORTED = Set.of(Ck.CKR_MECHANISM_INVALID, Ck.CKR_MECHANISM_PARAM_INVALID,
            Ck.CKR_KEY_TYPE_INCONSISTENT, Ck.CKR_KEY_SIZE_RANGE);
    /** Failures after which no idle session of the token can be trusted (its login is gone). */
    private static final Set<Long> LOGIN_LOST = Set.of(Ck.CKR_USER_NOT_LOGGED_IN, Ck.CKR_SESSION_HANDLE_INVALID,
            Ck.CKR_SESSION_CLOSED, Ck.CKR_DEVICE_REMOVED, Ck.CKR_TOKEN_NOT_PRESENT);

    private final ProviderSettings settings;
    private final Pkcs11Settings config;
    private final Function<String, Cryptoki> loader;
    private final ConcurrentMap<TokenRef, TokenAccess> tokens = new ConcurrentHashMap<>();
    private final ThreadPoolExecutor calls;
    private final ScheduledExecutorService housekeeping;
    private final SecureRandom random = new SecureRandom();
    private final byte[] pinSalt = new byte[32];

    /**
     * A token as reached with one PIN. Sessions are pooled per PIN as well as per token: a pooled session is
     * already logged in, so sharing it across PINs would let a tenant with a wrong PIN use another tenant's login.
     */
    record TokenRef(String module, String label, String serial, String pinIdentity) {
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

    public Pkcs11Provider(ProviderSettings settings) {
        this(settings, Cryptoki::load);
    }

    /** With another way to reach a module: tests put a fault-injecting {@link Cryptoki} in front of a real token. */
    public Pkcs11Provider(ProviderSettings settings, Function<String, Cryptoki> loader) {
        this.settings = settings;
        this.config = Pkcs11Settings.from(settings);
        this.loader = loader;
        random.nextBytes(pinSalt);
        AtomicInteger n = new AtomicInteger();
        this.calls = new ThreadPoolExecutor(0, config.maxConcurrentCalls(), 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), r -> daemon(r, "keyward-pkcs11-" + n.incrementAndGet()));
        this.housekeeping = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "keyward-pkcs11-sessions"));
        long every = Math.max(TimeUnit.MILLISECONDS.toNanos(250), config.idleNanos() / 2);
        housekeeping.scheduleWithFixedDelay(this::trimIdleSessions, every, every, TimeUnit.NANOSECONDS);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
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
        String module = config.module(options.get("module"));
        if (!config.tokenAssigned(uri.token())) {
            throw new KeyMisconfiguredException("token '" + uri.token() + "' is not assigned to any tenant on this "
                    + "deployment; the operator assigns tokens in keyward.providers.pkcs11.token-tenants");
        }
        PinSource pin = PinSource.from(options, config.pinDirectory(), uri.token());
        return new Target(new TokenRef(module, uri.token(), uri.serial(), pinIdentity(pin)), uri.object(), pin);
    }

    /** Tells PINs apart without keeping them: a keyed hash of an inline PIN, the name of an env var or file. */
    private String pinIdentity(PinSource pin) {
        if (pin instanceof PinSource.Inline inline) {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(pinSalt, "HmacSHA256"));
                return "pin:" + HexFormat.of().formatHex(mac.doFinal(inline.pin().getBytes(StandardCharsets.UTF_8)));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
        return pin.toString();
    }

    /** The operator's token assignment, checked on every call against the tenant the key service names. */
    private void authorize(Target target) {
        String tenant = CallContext.current().tenantId();
        if (!config.tokenAllowedFor(target.token().label(), tenant)) {
            throw new KeyMisconfiguredException("token '" + target.token().label() + "' is not assigned to tenant '"
                    + tenant + "' on this deployment (keyward.providers.pkcs11.token-tenants)");
        }
    }

    @Override
    public byte[] wrap(KeySpec spec, byte[] dataKey, byte[] aad) {
        return wrap(spec, dataKey, aad, deadline());
    }

    @Override
    public byte[] unwrap(KeySpec spec, byte[] wrapped, byte[] aad) {
        return unwrap(spec, wrapped, aad, deadline());
    }

    @Override
    public void check(KeySpec spec) {
        long deadline = deadline(); // one budget for both halves of the round trip
        byte[] probe = new byte[32];
        random.nextBytes(probe);
        byte[] aad = "keyward pkcs11 check".getBytes(StandardCharsets.US_ASCII);
        byte[] back = unwrap(spec, wrap(spec, probe, aad, deadline), aad, deadline);
        if (!MessageDigest.isEqual(probe, back)) {
            throw new KeyUnavailableException("the token returned other bytes than it was given");
        }
    }

    private long deadline() {
        return System.nanoTime() + settings.deadline().toNanos();
    }

    private byte[] wrap(KeySpec spec, byte[] dataKey, byte[] aad, long deadline) {
        byte[] iv = new byte[IV];
        random.nextBytes(iv);
        byte[] sealed = execute(spec, deadline, false, (m, s, k) -> m.encryptAesGcm(s, k, iv, aad, dataKey));
        byte[] out = new byte[1 + IV + sealed.length];
        out[0] = FORMAT;
        System.arraycopy(iv, 0, out, 1, IV);
        System.arraycopy(sealed, 0, out, 1 + IV, sealed.length);
        return out;
    }

    private byte[] unwrap(KeySpec spec, byte[] wrapped, byte[] aad, long deadline) {
        if (wrapped.length < 1 + IV + TAG + 1 || wrapped.length > MAX_WRAPPED || wrapped[0] != FORMAT) {
            throw new WrappedKeyInvalidException("not a pkcs11 wrapped key of format 1");
        }
        byte[] iv = Arrays.copyOfRange(wrapped, 1, 1 + IV);
        byte[] sealed = Arrays.copyOfRange(wrapped, 1 + IV, wrapped.length);
        return execute(spec, deadline, true, (m, s, k) -> m.decryptAesGcm(s, k, iv, aad, sealed));
    }

    /** Sessions this provider holds open on all tokens (for tests and metrics). */
    public int openSessions() {
        return tokens.values().stream().map(TokenAccess::sessionsIfOpen).filter(java.util.Objects::nonNull)
                .mapToInt(TokenSessions::openSessions).sum();
    }

    private byte[] execute(KeySpec spec, long deadline, boolean unwrap, Operation op) {
        Target target = target(spec.keyUri(), spec.options());
        authorize(target);
        String last = "no attempt finished";
        for (int attempt = 0; ; attempt++) {
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                throw new KeyUnavailableException("PKCS#11 token did not answer within "
                        + settings.deadline().toMillis() + " ms: " + last);
            }
            long budget = Math.min(settings.attemptTimeout().toNanos(), remaining);
            CompletableFuture<byte[]> call;
            try {
                call = CompletableFuture.supplyAsync(() -> attempt(target, unwrap, op, budget), calls);
            } catch (RejectedExecutionException e) {
                throw new KeyUnavailableException("all " + config.maxConcurrentCalls()
                        + " PKCS#11 call threads are busy (is the HSM hanging?)");
            }
            try {
                return call.get(budget, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                call.thenAccept(late -> Arrays.fill(late, (byte) 0)); // a late key must not linger
                last = "an attempt took longer than " + TimeUnit.NANOSECONDS.toMillis(budget) + " ms";
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
        TokenAccess token = token(target.token());
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
                tokens.remove(target.token(), token); // nothing pooled for a PIN the token refused
                token.close();
                throw new KeyMisconfiguredException("token '" + target.token().label() + "' refused the PIN ("
                        + e.codeName() + ")");
            }
            return diagnoseThenRetry(token, sessions, target, e, unwrap);
        }
        boolean healthy = true;
        CryptokiException failure;
        try {
            long key = token.keyHandle(session, target.object());
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
        if (LOGIN_LOST.contains(failure.code())) {
            sessions.discardIdle(); // login is per application: if one session lost it, all did
        }
        return diagnoseThenRetry(token, sessions, target, failure, unwrap);
    }

    /**
     * After a failure PKCS#11 does not explain: revoked if the token or the key is gone or disabled; for an unwrap,
     * wrapped-key-invalid if the key demonstrably still decrypts; otherwise worth another attempt.
     */
    private byte[] diagnoseThenRetry(TokenAccess token, TokenSessions sessions, Target target,
            CryptokiException failure, boolean unwrap) {
        boolean present;
        try {
            present = token.presentIn(sessions.slot());
        } catch (CryptokiException e) {
            throw new Retryable(failure.codeName() + ", then " + e.codeName());
        }
        if (!present) {
            token.forget(sessions);
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
            long key = token.keyHandle(session, target.object());
            if (unwrap && (failure.code() == Ck.CKR_GENERAL_ERROR || failure.code() == Ck.CKR_FUNCTION_FAILED
                    || failure.code() == Ck.CKR_DATA_LEN_RANGE)) {
                if (keyStillDecrypts(token.module, session, key)) {
                    throw new WrappedKeyInvalidException("the token could not authenticate the wrapped key");
                }
            }
        } catch (CryptokiException e) {
            healthy = false;
            if (e.code() == Ck.CKR_KEY_FUNCTION_NOT_PERMITTED) {
                throw disabled(target);
            }
            if (LOGIN_LOST.contains(e.code())) {
                sessions.discardIdle();
            }
            throw new Retryable(failure.codeName() + ", then " + e.codeName());
        } finally {
            sessions.release(session, healthy);
        }
        throw new Retryable(failure.codeName());
    }

    /** A fresh round trip under the key: random IV, random AAD, random bytes (never a repeated GCM nonce). */
    private boolean keyStillDecrypts(Cryptoki module, long session, long key) {
        byte[] iv = new byte[IV];
        byte[] aad = new byte[16];
        byte[] probe = new byte[16];
        random.nextBytes(iv);
        random.nextBytes(aad);
        random.nextBytes(probe);
        byte[] back = module.decryptAesGcm(session, key, iv, aad, module.encryptAesGcm(session, key, iv, aad, probe));
        return MessageDigest.isEqual(probe, back);
    }

    private TokenAccess token(TokenRef ref) {
        TokenAccess t = tokens.get(ref);
        if (t != null) {
            return t;
        }
        Cryptoki module;
        try {
            module = loader.apply(ref.module());
        } catch (CryptokiException e) {
            throw new KeyMisconfiguredException("the PKCS#11 module cannot be loaded and initialised ("
                    + e.codeName() + ")");
        }
        return tokens.computeIfAbsent(ref, r -> new TokenAccess(r, module, config.maxSessions(), config.idleNanos()));
    }

    private void trimIdleSessions() {
        for (TokenAccess t : tokens.values()) {
            TokenSessions s = t.sessionsIfOpen();
            if (s != null) {
                s.trim();
            }
        }
    }

    private static KeyRevokedException disabled(Target target) {
        return new KeyRevokedException("key '" + target.object() + "' is not permitted to encrypt/decrypt on token '"
                + target.token().label() + "' (CKR_KEY_FUNCTION_NOT_PERMITTED)");
    }

    private static void backoff(int attempt, long deadline) {
        long sleep = Math.min(Backoff.equalJitterNanos(TimeUnit.MILLISECONDS.toNanos(50), attempt,
                TimeUnit.SECONDS.toNanos(1)), deadline - System.nanoTime());
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
        housekeeping.shutdownNow();
        calls.shutdown();
        tokens.values().forEach(TokenAccess::close);
    }
}
