package io.keyward.provider.vault;

import io.keyward.provider.KeyMisconfiguredException;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A validated reference to a Transit key: {@code vault-transit://<mount>/<key>} plus the options that say where the
 * Vault is and how keyward logs in. Parsing touches no network; every refusal says exactly what is wrong and never
 * echoes a credential.
 *
 * @param address   the Vault base URL without a trailing slash ({@code https://vault.example.com:8200})
 * @param namespace Vault Enterprise namespace sent as {@code X-Vault-Namespace}, or null
 * @param mount     the Transit mount path, may contain {@code /}
 * @param name      the Transit key name
 * @param caPem     PEM certificates to trust for the Vault's TLS certificate, or null for the JDK trust store
 */
record VaultTransitKey(String address, String namespace, String mount, String name, VaultAuth auth, String caPem) {

    static final String SCHEME = "vault-transit://";

    static final String ADDRESS = "address";
    static final String NAMESPACE = "namespace";
    static final String TOKEN = "token";
    static final String ROLE_ID = "roleId";
    static final String SECRET_ID = "secretId";
    static final String KUBERNETES_ROLE = "kubernetesRole";
    static final String KUBERNETES_JWT_PATH = "kubernetesJwtPath";
    static final String AUTH_MOUNT = "authMount";
    static final String CA_CERTIFICATE = "caCertificate";

    static final Set<String> OPTIONS = Set.of(ADDRESS, NAMESPACE, TOKEN, ROLE_ID, SECRET_ID, KUBERNETES_ROLE,
            KUBERNETES_JWT_PATH, AUTH_MOUNT, CA_CERTIFICATE);
    static final Set<String> SECRETS = Set.of(TOKEN, SECRET_ID);
    static final String DEFAULT_JWT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount/token";

    /** Transit key names: framework.GenericNameRegex in Vault, restricted to what keyward documents. */
    static final Pattern KEY_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,128}");
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_.-]{1,128}");
    private static final Pattern NAMESPACE_PATTERN = Pattern.compile("[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/?");
    /** Paths Vault reserves for itself: a secrets engine can never be mounted there. */
    private static final Set<String> RESERVED_MOUNTS = Set.of("sys", "auth", "identity", "cubbyhole");

    @Override
    public String toString() {
        return "VaultTransitKey[" + address + (namespace == null ? "" : " ns=" + namespace) + " " + mount + "/" + name
                + ", " + auth + "]";
    }

    String keyUri() {
        return SCHEME + mount + "/" + name;
    }

    /** Identifies one logged-in client: same Vault, namespace, login and trust. */
    String sessionKey() {
        return address + "|" + (namespace == null ? "" : namespace) + "|" + auth.fingerprint() + "|" + trustKey();
    }

    /** Identifies the TLS trust configuration (one HTTP client each). */
    String trustKey() {
        if (caPem == null) {
            return "jdk";
        }
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(caPem.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /**
     * The options keyward stores for this key: what the caller sent, with the address and namespace normalised.
     * Credentials stay in the map (keyward seals the ones named in {@link #SECRETS}).
     */
    Map<String, String> normalisedOptions(Map<String, String> options) {
        Map<String, String> out = new TreeMap<>(options);
        out.put(ADDRESS, address);
        if (namespace != null) {
            out.put(NAMESPACE, namespace);
        }
        return out;
    }

    static VaultTransitKey parse(String keyUri, Map<String, String> rawOptions) {
        Map<String, String> options = rawOptions == null ? Map.of() : rawOptions;
        if (keyUri == null || !keyUri.startsWith(SCHEME)) {
            throw bad("a Vault Transit key URI must look like 'vault-transit://<mount>/<key>'");
        }
        String path = keyUri.substring(SCHEME.length());
        int slash = path.lastIndexOf('/');
        if (slash <= 0 || slash == path.length() - 1) {
            throw bad("key URI must name a mount and a key: 'vault-transit://<mount>/<key>' (e.g. "
                    + "'vault-transit://transit/acme-kek')");
        }
        String mount = path.substring(0, slash);
        String name = path.substring(slash + 1);
        for (String segment : mount.split("/", -1)) {
            checkSegment(segment, "mount path segment");
        }
        String first = mount.split("/", 2)[0];
        if (RESERVED_MOUNTS.contains(first)) {
            throw bad("mount '" + mount + "' is under the Vault system path '" + first + "/', not a Transit mount");
        }
        if (!KEY_NAME.matcher(name).matches()) {
            throw bad("Transit key name '" + printable(name) + "' must match [A-Za-z0-9_.-]{1,128}");
        }
        checkSegment(name, "Transit key name");

        Set<String> unknown = new TreeSet<>(options.keySet());
        unknown.removeAll(OPTIONS);
        if (!unknown.isEmpty()) {
            List<String> names = new ArrayList<>();
            unknown.forEach(u -> names.add(printable(u)));
            throw bad("unknown option(s) " + names + "; the vault-transit provider takes " + new TreeSet<>(OPTIONS));
        }
        String address = parseAddress(options.get(ADDRESS));
        String namespace = parseNamespace(options.get(NAMESPACE));
        VaultAuth auth = parseAuth(options);
        String ca = options.get(CA_CERTIFICATE);
        if (ca != null) {
            if (address.startsWith("http:")) {
                throw bad("option 'caCertificate' only applies to an https address");
            }
            parseCertificates(ca);
        }
        return new VaultTransitKey(address, namespace, mount, name, auth, ca);
    }

    private static void checkSegment(String segment, String what) {
        if (!SEGMENT.matcher(segment).matches()) {
            throw bad(what + " '" + printable(segment) + "' must match [A-Za-z0-9_.-]{1,128} (no empty segments)");
        }
        // "The path parameter cannot end in periods. Otherwise, Vault will return a 404 unsupported path error."
        // (https://developer.hashicorp.com/vault/api-docs#parameter-restrictions)
        if (segment.endsWith(".")) {
            throw bad(what + " '" + segment + "' must not end with '.' (Vault refuses such paths)");
        }
    }

    private static String parseAddress(String value) {
        if (value == null || value.isBlank()) {
            throw bad("option 'address' is required: the Vault URL, e.g. 'https://vault.example.com:8200'");
        }
        URI uri;
        try {
            uri = new URI(value.trim());
        } catch (URISyntaxException e) {
            throw bad("option 'address' is not a URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http")) {
            throw bad("option 'address' must be an https URL (http is for local tests only); got scheme '"
                    + printable(scheme) + "'");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw bad("option 'address' has no host: expected e.g. 'https://vault.example.com:8200'");
        }
        if (uri.getRawUserInfo() != null) {
            throw bad("option 'address' must not carry credentials in the URL");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw bad("option 'address' must not have a query or fragment");
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        if (path.endsWith("/v1")) {
            throw bad("option 'address' is the Vault base URL, without '/v1'");
        }
        return scheme + "://" + uri.getRawAuthority() + path;
    }

    private static String parseNamespace(String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        if (!NAMESPACE_PATTERN.matcher(value).matches()) {
            throw bad("option 'namespace' '" + printable(value) + "' must be a Vault namespace path like 'team-a' "
                    + "or 'org/team-a'");
        }
        return value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
    }

    private static VaultAuth parseAuth(Map<String, String> o) {
        boolean token = o.containsKey(TOKEN);
        boolean appRole = o.containsKey(ROLE_ID) || o.containsKey(SECRET_ID);
        boolean kubernetes = o.containsKey(KUBERNETES_ROLE);
        int methods = (token ? 1 : 0) + (appRole ? 1 : 0) + (kubernetes ? 1 : 0);
        if (methods == 0) {
            throw bad("no Vault login given: set 'token', or 'roleId' and 'secretId' (AppRole), or 'kubernetesRole'");
        }
        if (methods > 1) {
            throw bad("give exactly one Vault login: 'token', or 'roleId' and 'secretId', or 'kubernetesRole'");
        }
        if (o.containsKey(KUBERNETES_JWT_PATH) && !kubernetes) {
            throw bad("option 'kubernetesJwtPath' only applies with 'kubernetesRole'");
        }
        if (o.containsKey(AUTH_MOUNT) && token) {
            throw bad("option 'authMount' only applies to AppRole or Kubernetes login, not to 'token'");
        }
        if (token) {
            return new VaultAuth.StaticToken(credential(o, TOKEN));
        }
        if (appRole) {
            if (!o.containsKey(ROLE_ID) || !o.containsKey(SECRET_ID)) {
                throw bad("AppRole login needs both 'roleId' and 'secretId'; '"
                        + (o.containsKey(ROLE_ID) ? SECRET_ID : ROLE_ID) + "' is missing");
            }
            return new VaultAuth.AppRole(authMount(o, "approle"), credential(o, ROLE_ID), credential(o, SECRET_ID));
        }
        String role = o.get(KUBERNETES_ROLE);
        if (role == null || !SEGMENT.matcher(role).matches()) {
            throw bad("option 'kubernetesRole' must be a Vault role name ([A-Za-z0-9_.-]+)");
        }
        String jwt = o.getOrDefault(KUBERNETES_JWT_PATH, DEFAULT_JWT_PATH);
        if (jwt.isEmpty() || !jwt.startsWith("/") || jwt.contains("\0")) {
            throw bad("option 'kubernetesJwtPath' must be an absolute file path");
        }
        return new VaultAuth.Kubernetes(authMount(o, "kubernetes"), role, Path.of(jwt));
    }

    private static String authMount(Map<String, String> o, String fallback) {
        String mount = o.getOrDefault(AUTH_MOUNT, fallback);
        if (mount.startsWith("auth/")) {
            mount = mount.substring("auth/".length());
        }
        for (String segment : mount.split("/", -1)) {
            checkSegment(segment, "option 'authMount' segment");
        }
        return mount;
    }

    /** A credential goes into an HTTP header or body: printable ASCII only, and never echoed in a message. */
    private static String credential(Map<String, String> o, String option) {
        String v = o.get(option);
        if (v == null || v.isEmpty() || v.length() > 4096) {
            throw bad("option '" + option + "' is empty or too long");
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                throw bad("option '" + option + "' must be printable ASCII without spaces");
            }
        }
        return v;
    }

    static List<X509Certificate> parseCertificates(String pem) {
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            Collection<? extends java.security.cert.Certificate> certs = cf.generateCertificates(
                    new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
            List<X509Certificate> out = new ArrayList<>();
            for (java.security.cert.Certificate c : certs) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw bad("option 'caCertificate' holds no PEM certificate");
            }
            return out;
        } catch (CertificateException | ClassCastException e) {
            throw bad("option 'caCertificate' is not a PEM X.509 certificate");
        }
    }

    /** For messages: the value itself if it is short printable ASCII, else a placeholder. */
    static String printable(String s) {
        if (s.length() > 64) {
            return "<" + s.length() + " characters>";
        }
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return b.toString();
    }

    private static KeyMisconfiguredException bad(String message) {
        return new KeyMisconfiguredException(message);
    }
}
