package io.keyward.provider.pkcs11;

import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyRevokedException;

import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * One token as reached with one PIN: the slot it was last found in, a pool of logged-in sessions there, and the
 * handles of keys found on it. Answers the two questions a failure raises: is the token still there, and is the key.
 */
final class TokenAccess {
    /** Return values that say a slot holds no (usable) token: PKCS#11 v2.40 section 5.1. */
    static final Set<Long> EXPLICITLY_ABSENT = Set.of(Ck.CKR_TOKEN_NOT_PRESENT, Ck.CKR_TOKEN_NOT_RECOGNIZED,
            Ck.CKR_DEVICE_REMOVED, Ck.CKR_SLOT_ID_INVALID);
    /** How long a second look at a slot waits when the first answered CKR_GENERAL_ERROR. */
    private static final long SECOND_LOOK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    final Pkcs11Provider.TokenRef ref;
    final Cryptoki module;
    final ConcurrentMap<String, Long> handles = new ConcurrentHashMap<>();
    private final int maxSessions;
    private final long idleNanos;
    private volatile TokenSessions sessions;
    /** The slot this token was last found in, or -1. */
    private volatile long lastSlot = -1;

    TokenAccess(Pkcs11Provider.TokenRef ref, Cryptoki module, int maxSessions, long idleNanos) {
        this.ref = ref;
        this.module = module;
        this.maxSessions = maxSessions;
        this.idleNanos = idleNanos;
    }

    /** The pool on the token's current slot, locating the token first if needed. */
    synchronized TokenSessions sessions() {
        if (sessions == null) {
            long slot = locate();
            lastSlot = slot;
            sessions = new TokenSessions(module, slot, maxSessions, idleNanos);
        }
        return sessions;
    }

    /** The pool if one exists; never touches the token. */
    TokenSessions sessionsIfOpen() {
        return sessions;
    }

    /** Drops the pool (closing its idle sessions) and the key handles, if {@code stale} is still current. */
    synchronized void forget(TokenSessions stale) {
        if (sessions == stale) {
            sessions = null;
            handles.clear();
            stale.close();
        }
    }

    /**
     * Whether the token still sits in {@code slot}. A slot that says so explicitly is believed; SoftHSM2 answers a
     * deleted token with {@code CKR_GENERAL_ERROR}, a code any library may also return once in a bad moment, so that
     * answer counts only when a second look a moment later gives it again.
     *
     * @throws CryptokiException when the slot fails in a way that says nothing about the token
     */
    boolean presentIn(long slot) {
        return info(slot, true).map(this::matches).orElse(false);
    }

    /**
     * The slot holding this token now; {@link KeyRevokedException} if none does. A slot that cannot be read for a
     * reason other than absence leaves the question open (thrown, so the call is retried) unless the token is found.
     */
    long locate() {
        Long found = null;
        CryptokiException undecided = null;
        for (long slot : module.slotsWithToken()) {
            Optional<Cryptoki.TokenInfo> info;
            try {
                // Only the slot the token was last seen in earns a second look; any other unreadable slot is
                // somebody else's (a removed SoftHSM2 token stays listed with CKR_GENERAL_ERROR).
                info = info(slot, slot == lastSlot);
            } catch (CryptokiException e) {
                undecided = e;
                continue;
            }
            if (info.isPresent() && matches(info.get())) {
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

    private Optional<Cryptoki.TokenInfo> info(long slot, boolean secondLook) {
        try {
            return Optional.of(module.tokenInfo(slot));
        } catch (CryptokiException e) {
            if (EXPLICITLY_ABSENT.contains(e.code())) {
                return Optional.empty();
            }
            if (e.code() != Ck.CKR_GENERAL_ERROR) {
                throw e;
            }
            if (!secondLook) {
                return Optional.empty();
            }
        }
        try {
            TimeUnit.NANOSECONDS.sleep(SECOND_LOOK_NANOS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CryptokiException(Ck.CKR_GENERAL_ERROR, "C_GetTokenInfo");
        }
        try {
            return Optional.of(module.tokenInfo(slot));
        } catch (CryptokiException e) {
            if (EXPLICITLY_ABSENT.contains(e.code()) || e.code() == Ck.CKR_GENERAL_ERROR) {
                return Optional.empty();
            }
            throw e;
        }
    }

    boolean matches(Cryptoki.TokenInfo info) {
        return info.initialized() && info.label().equals(ref.label())
                && (ref.serial() == null || ref.serial().equals(info.serial()));
    }

    /**
     * The key's handle, found by label and vetted once, then remembered until a call with it fails. "Not found" is
     * believed only from a session that is logged in: private objects are invisible to one that is not (after an
     * HSM restart, say), and that must never read as a deleted key.
     */
    long keyHandle(long session, String label) {
        Long known = handles.get(label);
        if (known != null) {
            return known;
        }
        long[] found = module.findSecretKeys(session, label);
        if (found.length == 0) {
            if (!module.sessionInfo(session).userLoggedIn()) {
                throw new CryptokiException(Ck.CKR_USER_NOT_LOGGED_IN, "C_FindObjects");
            }
            throw new KeyRevokedException("token '" + ref.label() + "' has no secret key labelled '" + label + "'");
        }
        if (found.length > 1) {
            throw new KeyMisconfiguredException("token '" + ref.label() + "' has " + found.length
                    + " secret keys labelled '" + label + "'; keyward needs exactly one");
        }
        Cryptoki.KeyAttributes a = module.keyAttributes(session, found[0]);
        if (a.keyType() != Ck.CKK_AES || a.valueLength() < 16) {
            throw new KeyMisconfiguredException("key '" + label + "' is not an AES key");
        }
        if (a.extractable() || !a.sensitive()) {
            throw new KeyMisconfiguredException("key '" + label + "' can leave the token (CKA_EXTRACTABLE=true or "
                    + "CKA_SENSITIVE=false); keyward uses only non-extractable, sensitive keys as KEKs");
        }
        if (!a.encrypt() || !a.decrypt()) {
            throw new KeyRevokedException("key '" + label + "' is disabled on token '" + ref.label()
                    + "' (CKA_ENCRYPT/CKA_DECRYPT is false)");
        }
        handles.put(label, found[0]);
        return found[0];
    }

    void close() {
        TokenSessions s = sessions;
        if (s != null) {
            s.close();
        }
    }
}
