package io.keyward.testing.xks;

import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeySpec;
import io.keyward.testing.contract.ProviderFixture;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The contract fixture for {@code xks}: an {@link XksTestServer} administered as the customer would administer their
 * proxy and key manager, and the provider under test talking to it over HTTPS with SigV4.
 *
 * <p>The customer's actions, in XKS terms (docs/how-to/xks-proxy.md): <b>disable</b> sets the external key's status to
 * DISABLED in the key manager (the proxy answers InvalidStateException, and keyStatus DISABLED in metadata);
 * <b>delete</b> removes the key (KeyNotFoundException); <b>deny access</b> withdraws keyward in the proxy's secondary
 * authorization policy (AccessDeniedException).
 */
public final class XksFixture implements ProviderFixture {
    public static final String PREFIX = "kw/store-1";
    public static final String REGION = "eu-west-1";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final XksTestServer server;
    private final KeyProvider provider;
    private final Duration deadline;
    private final boolean closeServer;
    private final String accessKeyId = accessKeyId();
    private final String secretAccessKey = secretAccessKey();

    public XksFixture(XksTestServer server, KeyProvider provider, Duration deadline, boolean closeServer) {
        this.server = server;
        this.provider = provider;
        this.deadline = deadline;
        this.closeServer = closeServer;
        server.addCredential(accessKeyId, secretAccessKey);
    }

    /** A random access key id as the spec describes it: 20 to 30 characters of A-Z and 2-7. */
    public static String accessKeyId() {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        StringBuilder b = new StringBuilder("KW");
        while (b.length() < 26) {
            b.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return b.toString();
    }

    /** "Base64 encode a 256-bit random value" (spec, Appendix A). */
    public static String secretAccessKey() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getEncoder().encodeToString(b);
    }

    public XksTestServer server() {
        return server;
    }

    public String accessKeyIdInUse() {
        return accessKeyId;
    }

    public String secretInUse() {
        return secretAccessKey;
    }

    public static String keyId(KeySpec key) {
        return key.keyUri().substring(key.keyUri().lastIndexOf('/') + 1);
    }

    public String keyUri(String keyId) {
        return "xks://" + server.authority() + "/" + server.prefix() + "/keys/" + keyId;
    }

    /** The options keyward needs for this proxy, with the given secret. */
    public Map<String, String> options(String secret) {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("accessKeyId", accessKeyId);
        options.put("secretAccessKey", secret);
        options.put("region", REGION);
        options.put("caCertificate", server.caPem());
        return options;
    }

    @Override
    public KeyProvider provider() {
        return provider;
    }

    @Override
    public KeySpec newKey() {
        String id = "kek-" + UUID.randomUUID().toString().substring(0, 8);
        server.createKey(id);
        return provider.validate(keyUri(id), options(secretAccessKey));
    }

    @Override
    public void disable(KeySpec key) {
        server.setEnabled(keyId(key), false);
    }

    @Override
    public void enable(KeySpec key) {
        server.setEnabled(keyId(key), true);
    }

    @Override
    public void delete(KeySpec key) {
        server.deleteKey(keyId(key));
    }

    @Override
    public void denyAccess(KeySpec key) {
        server.denyAccess(keyId(key), true);
    }

    @Override
    public Network network() {
        return new Network(server::stop, server::start, server::delayResponses, server::throttleNext,
                server::requestCount);
    }

    @Override
    public Duration deadline() {
        return deadline;
    }

    @Override
    public List<Map.Entry<String, Map<String, String>>> malformedKeys() {
        Map<String, String> ok = options(secretAccessKey);
        String host = server.authority();
        Map<String, String> noSecret = new LinkedHashMap<>(ok);
        noSecret.remove("secretAccessKey");
        Map<String, String> shortSecret = new LinkedHashMap<>(ok);
        shortSecret.put("secretAccessKey", "tooshort");
        Map<String, String> badAccessKey = new LinkedHashMap<>(ok);
        badAccessKey.put("accessKeyId", "akid-lower-case-0189");
        Map<String, String> noRegion = new LinkedHashMap<>(ok);
        noRegion.remove("region");
        Map<String, String> unknown = new LinkedHashMap<>(ok);
        unknown.put("endpoint", "https://elsewhere");
        Map<String, String> halfMtls = new LinkedHashMap<>(ok);
        halfMtls.put("clientCertificate", server.caPem());
        Map<String, String> badCa = new LinkedHashMap<>(ok);
        badCa.put("caCertificate", "not a certificate");
        return List.of(
                Map.entry("xks://" + host + "/kw/keys/", ok),
                Map.entry("xks://" + host + "/kw/store/k1", ok),
                Map.entry("xks:///kw/keys/k1", ok),
                Map.entry("xks://" + host + "/kw//store/keys/k1", ok),
                Map.entry("xks://" + host + "/kw/keys/bad key", ok),
                Map.entry("xks://" + host + "/kw/keys/k1?x=1", ok),
                Map.entry("xks://" + host + "/kw/keys/..", ok),
                Map.entry("xks://" + host + "/kw.x/keys/k1", ok),
                Map.entry("xks://" + host + "/kw/kms/xks/v1/keys/k1", ok),
                Map.entry("xks://" + host + ":99999/kw/keys/k1", ok),
                Map.entry("xks://user@" + host + "/kw/keys/k1", ok),
                Map.entry("https://" + host + "/kw/keys/k1", ok),
                Map.entry("xks://" + host + "/kw/keys/" + "k".repeat(129), ok),
                Map.entry("xks://" + host + "/kw/keys/k1", noSecret),
                Map.entry("xks://" + host + "/kw/keys/k1", shortSecret),
                Map.entry("xks://" + host + "/kw/keys/k1", badAccessKey),
                Map.entry("xks://" + host + "/kw/keys/k1", noRegion),
                Map.entry("xks://" + host + "/kw/keys/k1", unknown),
                Map.entry("xks://" + host + "/kw/keys/k1", halfMtls),
                Map.entry("xks://" + host + "/kw/keys/k1", badCa));
    }

    @Override
    public void close() {
        if (closeServer) {
            server.close();
        }
    }
}
