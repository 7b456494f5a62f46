package io.keyward.testing.vault;

import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeySpec;
import io.keyward.testing.contract.ProviderFixture;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The contract fixture for {@code vault-transit}: a {@link VaultTestServer} (in memory, or in front of a real Vault)
 * administered over Vault's HTTP API as a customer would, and the provider under test talking to it through
 * vault-java-driver.
 *
 * <p>What the customer's actions are, in Vault terms (docs/how-to/vault-transit.md):
 * <ul>
 * <li><b>disable</b>: rewrite keyward's policy to {@code deny} on the key's paths. Transit keys have no enabled flag;
 * an explicit deny is the reversible switch a Vault administrator has, and it takes effect on the next request.</li>
 * <li><b>enable</b>: write the granting policy back.</li>
 * <li><b>delete</b>: {@code deletion_allowed=true} then {@code DELETE <mount>/keys/<key>}: the key material is gone.</li>
 * <li><b>deny access</b>: revoke keyward's token (token login), or delete keyward's policy (AppRole: the role stays,
 * its tokens lose every grant).</li>
 * </ul>
 */
public final class VaultTransitFixture implements ProviderFixture {
    /** A mount path with a slash in it, as customers use to group engines. */
    public static final String MOUNT = "kw/transit";
    public static final String APPROLE_MOUNT = "approle";

    /** How keyward logs in to the test Vault. */
    public enum Login { TOKEN, APPROLE }

    private final VaultTestServer server;
    private final VaultAdmin admin;
    private final KeyProvider provider;
    private final Login login;
    private final Duration deadline;
    private final boolean closeServer;
    private final Map<String, Issued> issued = new ConcurrentHashMap<>();

    private record Issued(String name, String policy, String token, VaultAdmin.AppRoleLogin appRole) {
    }

    /**
     * @param closeServer whether {@link #close()} stops the server (false when a test class shares it)
     */
    public VaultTransitFixture(VaultTestServer server, KeyProvider provider, Login login, Duration deadline,
            boolean closeServer) {
        this.server = server;
        this.admin = VaultAdmin.of(server);
        this.provider = provider;
        this.login = login;
        this.deadline = deadline;
        this.closeServer = closeServer;
        admin.enableTransit(MOUNT);
        if (login == Login.APPROLE) {
            admin.enableAuth(APPROLE_MOUNT, "approle");
        }
    }

    public VaultTestServer server() {
        return server;
    }

    public VaultAdmin admin() {
        return admin;
    }

    @Override
    public KeyProvider provider() {
        return provider;
    }

    @Override
    public KeySpec newKey() {
        String name = "kek-" + UUID.randomUUID().toString().substring(0, 8);
        admin.createKey(MOUNT, name, "aes256-gcm96");
        String policy = "keyward-" + name;
        admin.writePolicy(policy, rules(name, "grant"));
        Map<String, String> options = new LinkedHashMap<>();
        options.put("address", server.address());
        if (server.address().startsWith("https:")) {
            options.put("caCertificate", server.caPem());
        }
        Issued i;
        if (login == Login.TOKEN) {
            String token = admin.createToken(List.of(policy), "1h");
            options.put("token", token);
            i = new Issued(name, policy, token, null);
        } else {
            VaultAdmin.AppRoleLogin creds = admin.createAppRole(APPROLE_MOUNT, name, List.of(policy), "1h");
            options.put("roleId", creds.roleId());
            options.put("secretId", creds.secretId());
            i = new Issued(name, policy, null, creds);
        }
        KeySpec spec = provider.validate(keyUri(name), options);
        issued.put(spec.keyUri(), i);
        return spec;
    }

    public static String keyUri(String name) {
        return "vault-transit://" + MOUNT + "/" + name;
    }

    /** keyward's policy for one key: update on encrypt and decrypt, read on the key (or the same paths denied). */
    public static Map<String, List<String>> rules(String name, String mode) {
        List<String> update = mode.equals("deny") ? List.of("deny") : List.of("update");
        List<String> read = mode.equals("deny") ? List.of("deny") : List.of("read");
        Map<String, List<String>> rules = new HashMap<>();
        rules.put(MOUNT + "/encrypt/" + name, update);
        rules.put(MOUNT + "/decrypt/" + name, update);
        rules.put(MOUNT + "/keys/" + name, read);
        return rules;
    }

    private Issued of(KeySpec key) {
        Issued i = issued.get(key.keyUri());
        if (i == null) {
            throw new IllegalArgumentException("not a key of this fixture: " + key);
        }
        return i;
    }

    @Override
    public void disable(KeySpec key) {
        Issued i = of(key);
        admin.writePolicy(i.policy(), rules(i.name(), "deny"));
    }

    @Override
    public void enable(KeySpec key) {
        Issued i = of(key);
        admin.writePolicy(i.policy(), rules(i.name(), "grant"));
    }

    @Override
    public void delete(KeySpec key) {
        admin.deleteKey(MOUNT, of(key).name());
    }

    @Override
    public void denyAccess(KeySpec key) {
        Issued i = of(key);
        if (i.token() != null) {
            admin.revokeToken(i.token());
        } else {
            admin.deletePolicy(i.policy());
        }
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
        String a = server.address();
        Map<String, String> ok = Map.of("address", a, "token", "hvs.x");
        return List.of(
                Map.entry("vault-transit://transit", ok),
                Map.entry("vault-transit://transit/", ok),
                Map.entry("vault-transit:///k", ok),
                Map.entry("vault-transit://transit//k", ok),
                Map.entry("vault-transit://transit/bad key", ok),
                Map.entry("vault-transit://transit/k.", ok),
                Map.entry("vault-transit://sys/k", ok),
                Map.entry("aws-kms://transit/k", ok),
                Map.entry("vault-transit://transit/k", Map.of("token", "hvs.x")),
                Map.entry("vault-transit://transit/k", Map.of("address", "ftp://vault:8200", "token", "hvs.x")),
                Map.entry("vault-transit://transit/k", Map.of("address", "https://", "token", "hvs.x")),
                Map.entry("vault-transit://transit/k", Map.of("address", a)),
                Map.entry("vault-transit://transit/k", Map.of("address", a, "token", "t", "roleId", "r",
                        "secretId", "s")),
                Map.entry("vault-transit://transit/k", Map.of("address", a, "roleId", "r")),
                Map.entry("vault-transit://transit/k", Map.of("address", a, "token", "has space")),
                Map.entry("vault-transit://transit/k", Map.of("address", a, "token", "t", "colour", "blue")),
                Map.entry("vault-transit://transit/k", Map.of("address", a, "token", "t", "namespace", "a//b")),
                Map.entry("vault-transit://transit/k", Map.of("address", a, "kubernetesRole", "r",
                        "kubernetesJwtPath", "relative/token")),
                Map.entry("vault-transit://transit/k", Map.of("address", "https://vault:8200", "token", "t",
                        "caCertificate", "not a certificate")));
    }

    @Override
    public void close() {
        if (closeServer) {
            server.close();
        }
    }
}
