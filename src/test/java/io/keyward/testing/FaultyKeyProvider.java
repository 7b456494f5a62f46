package io.keyward.testing;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeySpec;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.WrappedKeyInvalidException;
import jakarta.inject.Singleton;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test-only provider ({@code test-faulty:<name>}) that wraps for real (Tink AES-256-GCM, one key per name) and
 * can be switched, per key name, to fail the way real KMSs fail: unavailable, revoked, misconfigured, or with a
 * bug (an unexpected RuntimeException). {@code ProviderSetup} picks it up as an extra {@link KeyProvider} bean.
 * Per-name state keeps tests that share the one Quarkus application from disturbing each other.
 */
@Singleton
public class FaultyKeyProvider implements KeyProvider {
    public static final String ID = "test-faulty";
    public static final String SCHEME = ID + ":";

    /** How the named key answers. */
    public enum Mode {
        OK, UNAVAILABLE, REVOKED, MISCONFIGURED, BUG,
        /** Answers correctly after the delay given to {@link #slow}: a hanging key manager. */
        SLOW
    }

    private final Map<String, Aead> keys = new ConcurrentHashMap<>();
    private final Map<String, Mode> modes = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final Map<String, Long> delays = new ConcurrentHashMap<>();

    public FaultyKeyProvider() {
        try {
            AeadConfig.register();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public void set(String name, Mode mode) {
        modes.put(name, mode);
    }

    /** Makes the named key answer correctly, but only after {@code millis}. */
    public void slow(String name, long millis) {
        delays.put(name, millis);
        modes.put(name, Mode.SLOW);
    }

    /**
     * Wrap and unwrap calls (not checks: the health prober checks cached keys in the background) that reached
     * this provider for {@code name}, whatever their outcome.
     */
    public int dataKeyCalls(String name) {
        AtomicInteger n = calls.get(name);
        return n == null ? 0 : n.get();
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public KeySpec validate(String keyUri, Map<String, String> options) {
        if (keyUri == null || !keyUri.startsWith(SCHEME) || !keyUri.substring(SCHEME.length()).matches("[a-z0-9-]{1,63}")) {
            throw new KeyMisconfiguredException("test-faulty key URI must look like 'test-faulty:<name>'");
        }
        return new KeySpec(ID, keyUri, options);
    }

    @Override
    public byte[] wrap(KeySpec spec, byte[] dataKey, byte[] aad) {
        count(spec);
        return doWrap(spec, dataKey, aad);
    }

    private byte[] doWrap(KeySpec spec, byte[] dataKey, byte[] aad) {
        try {
            return usable(spec).encrypt(dataKey, aad);
        } catch (GeneralSecurityException e) {
            throw new KeyMisconfiguredException("cannot encrypt");
        }
    }

    @Override
    public byte[] unwrap(KeySpec spec, byte[] wrapped, byte[] aad) {
        count(spec);
        return doUnwrap(spec, wrapped, aad);
    }

    private byte[] doUnwrap(KeySpec spec, byte[] wrapped, byte[] aad) {
        try {
            return usable(spec).decrypt(wrapped, aad);
        } catch (GeneralSecurityException e) {
            throw new WrappedKeyInvalidException("wrapped key does not decrypt");
        }
    }

    @Override
    public void check(KeySpec spec) {
        byte[] probe = new byte[32];
        byte[] back = doUnwrap(spec, doWrap(spec, probe, new byte[0]), new byte[0]);
        if (!Arrays.equals(probe, back)) {
            throw new KeyMisconfiguredException("did not round-trip");
        }
    }

    private void count(KeySpec spec) {
        calls.computeIfAbsent(spec.keyUri().substring(SCHEME.length()), n -> new AtomicInteger()).incrementAndGet();
    }

    private Aead usable(KeySpec spec) {
        String name = spec.keyUri().substring(SCHEME.length());
        switch (modes.getOrDefault(name, Mode.OK)) {
            case UNAVAILABLE -> throw new KeyUnavailableException("test-faulty key '" + name + "' timed out");
            case REVOKED -> throw new KeyRevokedException("test-faulty key '" + name + "' is disabled");
            case MISCONFIGURED -> throw new KeyMisconfiguredException("test-faulty key '" + name + "' is the wrong type");
            case BUG -> throw new IllegalStateException("test-faulty bug for '" + name + "'");
            case SLOW -> Sleep.quietly(java.time.Duration.ofMillis(delays.getOrDefault(name, 0L)));
            case OK -> {
            }
        }
        return keys.computeIfAbsent(name, n -> {
            try {
                return KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM)
                        .getPrimitive(RegistryConfiguration.get(), Aead.class);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        });
    }
}
