package io.keyward.provider.local;

import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeySpec;
import io.keyward.provider.WrappedKeyInvalidException;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;

/**
 * The {@code local} provider: key URI {@code local:<name>}, no options. Talks to {@link LocalKms} only through
 * encrypt/decrypt, as a cloud provider talks to its KMS: a disabled key is discovered by a failing call.
 */
public final class LocalKeyProvider implements KeyProvider {
    public static final String ID = "local";
    public static final String SCHEME = "local:";
    private static final byte[] CHECK_AAD = "keyward/v1 key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final LocalKms kms;
    private final SecureRandom random = new SecureRandom();

    public LocalKeyProvider(LocalKms kms) {
        this.kms = kms;
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public KeySpec validate(String keyUri, Map<String, String> options) {
        if (keyUri == null || !keyUri.startsWith(SCHEME)) {
            throw new KeyMisconfiguredException("local key URI must look like 'local:<name>'");
        }
        String name = keyUri.substring(SCHEME.length());
        if (!LocalKms.NAME.matcher(name).matches()) {
            throw new KeyMisconfiguredException("local key name must match " + LocalKms.NAME.pattern());
        }
        if (options != null && !options.isEmpty()) {
            throw new KeyMisconfiguredException("the local provider takes no options; got " + options.keySet());
        }
        return new KeySpec(ID, keyUri, Map.of());
    }

    @Override
    public byte[] wrap(KeySpec spec, byte[] dataKey, byte[] aad) {
        String name = name(spec);
        try {
            return kms.encrypt(name, dataKey, aad);
        } catch (LocalKeyStateException e) {
            throw new KeyRevokedException(e.getMessage());
        } catch (GeneralSecurityException e) {
            throw new KeyMisconfiguredException("local key '" + name + "' cannot encrypt");
        }
    }

    @Override
    public byte[] unwrap(KeySpec spec, byte[] wrapped, byte[] aad) {
        String name = name(spec);
        try {
            return kms.decrypt(name, wrapped, aad);
        } catch (LocalKeyStateException e) {
            throw new KeyRevokedException(e.getMessage());
        } catch (GeneralSecurityException e) {
            throw new WrappedKeyInvalidException("wrapped key does not decrypt under local key '" + name + "'");
        }
    }

    @Override
    public void check(KeySpec spec) {
        byte[] probe = new byte[32];
        random.nextBytes(probe);
        byte[] back = unwrap(spec, wrap(spec, probe, CHECK_AAD), CHECK_AAD);
        boolean same = java.security.MessageDigest.isEqual(probe, back);
        Arrays.fill(probe, (byte) 0);
        Arrays.fill(back, (byte) 0);
        if (!same) {
            throw new KeyMisconfiguredException("local key '" + name(spec) + "' did not round-trip");
        }
    }

    private static String name(KeySpec spec) {
        return spec.keyUri().substring(SCHEME.length());
    }
}
