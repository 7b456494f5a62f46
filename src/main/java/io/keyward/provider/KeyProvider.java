package io.keyward.provider;

/**
 * The seam between keyward and a customer's key manager. One implementation per provider, each in its own
 * package; nothing above this interface knows which provider it talks to.
 *
 * <p>Every failure is reported as one of the {@link ProviderException} subtypes, so the key service can tell a
 * key the customer revoked from a key manager that is briefly unreachable, from a configuration mistake,
 * from a wrapped key that was tampered with. No SDK exception may cross this interface.
 */
public interface KeyProvider {

    /** The provider id used in the API and in configuration, e.g. {@code local}, {@code aws-kms}. */
    String id();

    /**
     * Names of options that are credentials (a Vault AppRole secret id, an Azure client secret). Keyward stores
     * them sealed, passes them to this provider in {@link KeySpec#options()}, and never returns them.
     */
    default java.util.Set<String> secretOptions() {
        return java.util.Set.of();
    }

    /**
     * Parses and checks a key URI and its options without touching the network.
     *
     * @throws KeyMisconfiguredException with a message that says exactly what is wrong
     */
    KeySpec validate(String keyUri, java.util.Map<String, String> options);

    /** Encrypts a data key under the customer's key, binding {@code aad}. Returns opaque provider bytes. */
    byte[] wrap(KeySpec spec, byte[] dataKey, byte[] aad);

    /** Reverses {@link #wrap}. The caller owns (and zeroes) the returned array. */
    byte[] unwrap(KeySpec spec, byte[] wrapped, byte[] aad);

    /**
     * Asks the provider whether the key can be used now, with a real round trip (or the provider's describe
     * call when a round trip is not possible). Throws the same exceptions as {@link #wrap}.
     */
    void check(KeySpec spec);
}
