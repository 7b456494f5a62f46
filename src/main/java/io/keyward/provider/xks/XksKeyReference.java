package io.keyward.provider.xks;

import io.keyward.provider.KeyMisconfiguredException;

import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A validated reference to a key behind an XKS proxy: {@code xks://<host>[:port]/<uri-path-prefix>/keys/<external key
 * id>} plus the SigV4 credential and TLS options. Parsing touches no network; every refusal says what is wrong and
 * never echoes a credential.
 *
 * <p>Syntax rules come from the XKS proxy API specification (aws/aws-kms-xksproxy-api-spec, xks_proxy_api_spec.md,
 * "API operations" and "Appendix A"):
 * <ul>
 * <li>{@code XksProxyUriPath} is {@code [/<optional-path-prefix>]/kms/xks/v1}, at most 128 characters of
 * {@code a-z A-Z 0-9 / - _}; keyward's URI names the prefix only and appends {@code /kms/xks/v1} itself.</li>
 * <li>{@code externalKeyId}: 1 to 128 characters of letters, digits, {@code -}, {@code .} and {@code _}.</li>
 * <li>the whole API URI is at most 256 characters.</li>
 * <li>access key id: 20 to 30 characters of {@code A-Z} and {@code 2-7}; secret access key: 43 to 64 characters of
 * {@code A-Z a-z 0-9 + / =} (the KMS console's configuration file rules).</li>
 * </ul>
 *
 * @param host        host name or IPv4 address of the proxy
 * @param port        TCP port, -1 for 443
 * @param prefix      the uri path prefix without leading or trailing slash, may be empty
 * @param keyId       the external key id
 * @param region      the SigV4 region in the credential scope
 * @param caPem       PEM certificates trusted for the proxy's TLS certificate, or null for the JDK trust store
 * @param clientCertPem PEM client certificate chain for mutual TLS, or null
 */
record XksKeyReference(String host, int port, String prefix, String keyId, String accessKeyId, String region,
        String caPem, String clientCertPem) {

    static final String SCHEME = "xks://";
    static final String API_PATH = "kms/xks/v1";

    static final String ACCESS_KEY_ID = "accessKeyId";
    static final String SECRET_ACCESS_KEY = "secretAccessKey";
    static final String REGION = "region";
    static final String CA_CERTIFICATE = "caCertificate";
    static final String CLIENT_CERTIFICATE = "clientCertificate";
    static final String CLIENT_KEY = "clientKey";

    static final Set<String> OPTIONS = Set.of(ACCESS_KEY_ID, SECRET_ACCESS_KEY, REGION, CA_CERTIFICATE,
            CLIENT_CERTIFICATE, CLIENT_KEY);
    static final Set<String> SECRETS = Set.of(SECRET_ACCESS_KEY, CLIENT_KEY);

    private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final Pattern PREFIX_SEGMENT = Pattern.compile("[A-Za-z0-9_-]+");
    private static final Pattern ACCESS_KEY = Pattern.compile("[A-Z2-7]{20,30}");
    private static final Pattern SECRET = Pattern.compile("[A-Za-z0-9+/=]{43,64}");
    private static final Pattern REGION_NAME = Pattern.compile("[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?");
    private static final Pattern HOST_LABEL = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final int MAX_URI_PATH = 128;
    private static final int MAX_API_URI = 256;

    @Override
    public String toString() {
        return "XksKeyReference[" + keyUri() + ", accessKeyId=" + accessKeyId + ", region=" + region
                + (caPem == null ? "" : ", private CA") + (clientCertPem == null ? "" : ", mTLS") + "]";
    }

    String authority() {
        return port < 0 ? host : host + ":" + port;
    }

    String keyUri() {
        return SCHEME + authority() + "/" + (prefix.isEmpty() ? "" : prefix + "/") + "keys/" + keyId;
    }

    /** {@code https://<server>[/<prefix>]/kms/xks/v1}: the spec's base URI, no trailing slash. */
    String baseUri() {
        return "https://" + authority() + "/" + (prefix.isEmpty() ? "" : prefix + "/") + API_PATH;
    }

    URI operationUri(String operation) {
        return URI.create(baseUri() + "/keys/" + keyId + "/" + operation);
    }

    URI healthUri() {
        return URI.create(baseUri() + "/health");
    }

    /** Identifies a TLS configuration (trust anchors and client certificate): one HTTP client each. */
    static String tlsKey(Map<String, String> options) {
        return digest(options.getOrDefault(CA_CERTIFICATE, "") + "\u0000"
                + options.getOrDefault(CLIENT_CERTIFICATE, "") + "\u0000" + options.getOrDefault(CLIENT_KEY, ""));
    }

    static XksKeyReference parse(String keyUri, Map<String, String> options) {
        if (keyUri == null || !keyUri.startsWith(SCHEME)) {
            throw bad("an xks key URI starts with 'xks://', e.g. xks://xks.example.com/tenant-a/keys/kek-1");
        }
        String rest = keyUri.substring(SCHEME.length());
        for (char c : rest.toCharArray()) {
            if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#' || c == '@' || c == '%' || c == '\\') {
                throw bad("key URI '" + printable(keyUri) + "' may not contain spaces, '?', '#', '@', '%' or '\\'");
            }
        }
        int slash = rest.indexOf('/');
        if (slash <= 0) {
            throw bad("key URI '" + printable(keyUri) + "' has no host: xks://<host>[:port]/<prefix>/keys/<key id>");
        }
        String authority = rest.substring(0, slash);
        String path = rest.substring(slash + 1);
        String host = authority;
        int port = -1;
        int colon = authority.lastIndexOf(':');
        if (colon >= 0) {
            host = authority.substring(0, colon);
            port = parsePort(authority.substring(colon + 1));
        }
        checkHost(host);
        int keys = path.lastIndexOf("keys/");
        if (keys < 0 || (keys > 0 && path.charAt(keys - 1) != '/')) {
            throw bad("key URI '" + printable(keyUri) + "' must end in /keys/<external key id>");
        }
        String prefix = keys == 0 ? "" : path.substring(0, keys - 1);
        String keyId = path.substring(keys + "keys/".length());
        checkPrefix(prefix);
        if (!KEY_ID.matcher(keyId).matches() || keyId.equals(".") || keyId.equals("..")) {
            throw bad("external key id '" + printable(keyId) + "' must be 1 to 128 characters of A-Z a-z 0-9 . - _ "
                    + "(XKS proxy API, externalKeyId)");
        }
        XksKeyReference ref = fromOptions(host.toLowerCase(Locale.ROOT), port == 443 ? -1 : port, prefix, keyId,
                options == null ? Map.of() : options);
        if (ref.operationUri("metadata").toString().length() > MAX_API_URI) {
            throw bad("key URI is too long: the XKS proxy API allows at most " + MAX_API_URI
                    + " characters per request URI");
        }
        return ref;
    }

    private static XksKeyReference fromOptions(String host, int port, String prefix, String keyId,
            Map<String, String> options) {
        Set<String> unknown = new TreeSet<>(options.keySet());
        unknown.removeAll(OPTIONS);
        if (!unknown.isEmpty()) {
            throw bad("unknown xks options " + unknown + "; known: " + new TreeSet<>(OPTIONS));
        }
        String accessKeyId = options.get(ACCESS_KEY_ID);
        if (accessKeyId == null || !ACCESS_KEY.matcher(accessKeyId).matches()) {
            throw bad("option 'accessKeyId' is required: 20 to 30 characters of A-Z and 2-7, as configured at the "
                    + "XKS proxy (XKS proxy API, Appendix A)");
        }
        String secret = options.get(SECRET_ACCESS_KEY);
        if (secret == null || !SECRET.matcher(secret).matches()) {
            // Never echo the value, not even a part of it.
            throw bad("option 'secretAccessKey' is required: 43 to 64 characters of A-Z a-z 0-9 + / =, as "
                    + "configured at the XKS proxy");
        }
        String region = options.get(REGION);
        if (region == null || !REGION_NAME.matcher(region).matches()) {
            throw bad("option 'region' is required: the SigV4 region the proxy expects in the credential scope, "
                    + "e.g. 'us-east-1' (lower-case letters, digits and '-')");
        }
        String ca = blankToNull(options.get(CA_CERTIFICATE));
        if (ca != null) {
            XksTls.certificates(ca, CA_CERTIFICATE);
        }
        String clientCert = blankToNull(options.get(CLIENT_CERTIFICATE));
        String clientKey = blankToNull(options.get(CLIENT_KEY));
        if ((clientCert == null) != (clientKey == null)) {
            throw bad("options 'clientCertificate' and 'clientKey' go together (mutual TLS): give both or neither");
        }
        if (clientCert != null) {
            XksTls.certificates(clientCert, CLIENT_CERTIFICATE);
            XksTls.privateKey(clientKey);
        }
        return new XksKeyReference(host, port, prefix, keyId, accessKeyId, region, ca, clientCert);
    }

    /** The options as keyward stores them: known keys only, blank optional values dropped. */
    static Map<String, String> normalised(Map<String, String> options) {
        Map<String, String> out = new TreeMap<>();
        options.forEach((k, v) -> {
            if (v != null && !v.isBlank()) {
                out.put(k, v);
            }
        });
        return out;
    }

    private static int parsePort(String s) {
        if (!s.matches("[0-9]{1,5}")) {
            throw bad("port '" + printable(s) + "' is not a number");
        }
        int port = Integer.parseInt(s);
        if (port < 1 || port > 65535) {
            throw bad("port " + port + " is out of range 1-65535");
        }
        return port;
    }

    private static void checkHost(String host) {
        // The spec asks for a fully qualified domain name (the proxy's certificate names it); IPv4 literals are
        // accepted for proxies reached by address with a certificate that lists it.
        if (host.isEmpty() || host.length() > 253) {
            throw bad("key URI has no valid host");
        }
        for (String label : host.split("\\.", -1)) {
            if (!HOST_LABEL.matcher(label).matches()) {
                throw bad("host '" + printable(host) + "' is not a DNS name or IPv4 address");
            }
        }
    }

    private static void checkPrefix(String prefix) {
        if (prefix.isEmpty()) {
            return;
        }
        for (String segment : prefix.split("/", -1)) {
            if (!PREFIX_SEGMENT.matcher(segment).matches()) {
                throw bad("uri path prefix '" + printable(prefix) + "' may only hold A-Z a-z 0-9 - _ in non-empty "
                        + "segments separated by '/' (XKS proxy API, XksProxyUriPath)");
            }
        }
        if (prefix.equals(API_PATH) || prefix.endsWith("/" + API_PATH)) {
            throw bad("leave '/kms/xks/v1' out of the key URI: keyward appends it to the uri path prefix");
        }
        if (prefix.length() + 1 + 1 + API_PATH.length() > MAX_URI_PATH) {
            throw bad("uri path prefix is too long: '/<prefix>/kms/xks/v1' may have at most " + MAX_URI_PATH
                    + " characters");
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    static String printable(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (b.length() >= 80) {
                return b + "...";
            }
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return b.toString();
    }

    private static String digest(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static KeyMisconfiguredException bad(String message) {
        return new KeyMisconfiguredException(message);
    }
}
