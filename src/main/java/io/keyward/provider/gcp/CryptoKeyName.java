package io.keyward.provider.gcp;

import io.keyward.provider.KeyMisconfiguredException;

import java.util.regex.Pattern;

/**
 * A Cloud KMS crypto key resource name, {@code projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>}, checked
 * segment by segment so a tenant admin learns exactly which part is wrong before keyward touches the network.
 *
 * <p>Key ring and key ids: {@code [a-zA-Z0-9_-]{1,63}} (CreateKeyRingRequest.key_ring_id and
 * CreateCryptoKeyRequest.crypto_key_id, https://cloud.google.com/kms/docs/reference/rpc/google.cloud.kms.v1).
 * Project: a project id (6-30 characters: lowercase letters, digits, hyphens; starts with a letter, does not end
 * with a hyphen), a legacy domain-scoped id ({@code example.com:my-project}) or a project number
 * (https://cloud.google.com/resource-manager/docs/creating-managing-projects). Location: {@code global} or a
 * region / multi-region name such as {@code us-east1}, {@code europe-west3}, {@code us}, {@code nam4}
 * (https://cloud.google.com/kms/docs/locations).
 */
record CryptoKeyName(String project, String location, String keyRing, String cryptoKey) {
    /** Tink's key URI prefix for Cloud KMS; accepted so a URI copied from Tink configuration works as is. */
    static final String TINK_PREFIX = "gcp-kms://";
    static final String FORMAT = "projects/<project>/locations/<location>/keyRings/<keyRing>/cryptoKeys/<cryptoKey>";

    private static final Pattern ID = Pattern.compile("[a-zA-Z0-9_-]{1,63}");
    private static final Pattern PROJECT_ID = Pattern.compile("[a-z][a-z0-9-]{4,28}[a-z0-9]");
    private static final Pattern DOMAIN_SCOPED = Pattern.compile("[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+:[a-z][a-z0-9-]{4,28}[a-z0-9]");
    private static final Pattern PROJECT_NUMBER = Pattern.compile("[1-9][0-9]{0,18}");
    private static final Pattern LOCATION = Pattern.compile("[a-z]+(?:-[a-z]+)*[0-9]*");
    private static final String[] LITERALS = {"projects", null, "locations", null, "keyRings", null, "cryptoKeys", null};

    /** Parses {@code uri}; the message of the exception names the first wrong segment. */
    static CryptoKeyName parse(String uri) {
        if (uri == null || uri.isBlank()) {
            throw new KeyMisconfiguredException("Cloud KMS key URI is empty; expected " + FORMAT);
        }
        String name = uri.startsWith(TINK_PREFIX) ? uri.substring(TINK_PREFIX.length()) : uri;
        String[] parts = name.split("/", -1);
        if (parts.length == 10 && "cryptoKeyVersions".equals(parts[8])) {
            throw new KeyMisconfiguredException("Cloud KMS key URI names a key version ('cryptoKeyVersions/"
                    + quote(parts[9]) + "'); give the crypto key itself, " + FORMAT
                    + ", so Cloud KMS encrypts with its primary version and decrypts with any enabled one");
        }
        if (parts.length != LITERALS.length) {
            throw new KeyMisconfiguredException("Cloud KMS key URI '" + quote(name) + "' has " + parts.length
                    + " path segments; expected 8: " + FORMAT);
        }
        for (int i = 0; i < LITERALS.length; i += 2) {
            if (!LITERALS[i].equals(parts[i])) {
                throw new KeyMisconfiguredException("Cloud KMS key URI segment " + (i + 1) + " must be '" + LITERALS[i]
                        + "', got '" + quote(parts[i]) + "'; expected " + FORMAT);
            }
        }
        String project = parts[1];
        if (!(PROJECT_ID.matcher(project).matches() || DOMAIN_SCOPED.matcher(project).matches()
                || PROJECT_NUMBER.matcher(project).matches())) {
            throw new KeyMisconfiguredException("project '" + quote(project) + "' is not a Google Cloud project id "
                    + "(6-30 lowercase letters, digits or hyphens, starting with a letter) or project number");
        }
        String location = parts[3];
        if (location.length() > 63 || !LOCATION.matcher(location).matches()) {
            throw new KeyMisconfiguredException("location '" + quote(location) + "' is not a Cloud KMS location "
                    + "(e.g. global, us-east1, europe-west3, us, nam4)");
        }
        if (!ID.matcher(parts[5]).matches()) {
            throw new KeyMisconfiguredException("key ring id '" + quote(parts[5]) + "' must match " + ID.pattern());
        }
        if (!ID.matcher(parts[7]).matches()) {
            throw new KeyMisconfiguredException("crypto key id '" + quote(parts[7]) + "' must match " + ID.pattern());
        }
        return new CryptoKeyName(project, location, parts[5], parts[7]);
    }

    /** The canonical resource name, as Cloud KMS expects it in {@code EncryptRequest.name}. */
    @Override
    public String toString() {
        return "projects/" + project + "/locations/" + location + "/keyRings/" + keyRing + "/cryptoKeys/" + cryptoKey;
    }

    /** Echoes user input into a message safely: printable ASCII only, bounded length. */
    static String quote(String s) {
        String printable = s.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() <= 80 ? printable : printable.substring(0, 77) + "...";
    }
}
