package io.keyward.testing.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyward.testing.vault.VaultBackend.Reply;
import io.keyward.testing.vault.VaultBackend.Request;

import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small Vault in memory: the HTTP API paths keyward and its tests use, with Vault's status codes and error shapes
 * (https://developer.hashicorp.com/vault/api-docs). Sealing ({@code 503}), client tokens with TTLs and policies
 * (ACL checked on every request, {@code 403} otherwise), the token store, AppRole and Kubernetes login, ACL policies
 * in JSON, and Transit mounts ({@link TransitEngine}).
 *
 * <p>Simplifications, all on purpose: policies are JSON only; tokens, policies and auth mounts are global while
 * secrets-engine mounts live under the request's {@code X-Vault-Namespace} (so a namespaced key is only reachable with
 * the header); Kubernetes login trusts the JWT's {@code sub} claim instead of asking the Kubernetes TokenReview API.
 */
public final class InMemoryVault implements VaultBackend {
    private static final long DEFAULT_TTL = TimeUnit.HOURS.toSeconds(768);

    private final Map<String, Token> tokens = new HashMap<>();
    private final Map<String, AclPolicy> policies = new HashMap<>();
    private final Map<String, TransitEngine> mounts = new HashMap<>();
    private final Map<String, String> authMounts = new HashMap<>(Map.of("token", "token"));
    private final Map<String, AppRole> appRoles = new HashMap<>();
    private final Map<String, KubernetesRole> kubernetesRoles = new HashMap<>();
    private final AtomicInteger logins = new AtomicInteger();
    private final AtomicInteger renewals = new AtomicInteger();
    private boolean sealed;
    private boolean ignoreAssociatedData;

    private static final class Token {
        final String id = "hvs." + UUID.randomUUID().toString().replace("-", "");
        final String accessor = UUID.randomUUID().toString();
        final Set<String> policies;
        final boolean root;
        final boolean renewable;
        final long maxTtl;
        long ttl;
        long issuedNanos = System.nanoTime();

        Token(Set<String> policies, boolean root, long ttl, long maxTtl, boolean renewable) {
            this.policies = policies;
            this.root = root;
            this.ttl = ttl;
            this.maxTtl = maxTtl;
            this.renewable = renewable;
        }

        boolean expired() {
            return ttl > 0 && System.nanoTime() - issuedNanos >= TimeUnit.SECONDS.toNanos(ttl);
        }
    }

    private static final class AppRole {
        final String roleId = UUID.randomUUID().toString();
        final Set<String> secretIds = new LinkedHashSet<>();
        Set<String> policies = Set.of();
        long ttl;
        long maxTtl;
    }

    private static final class KubernetesRole {
        Set<String> serviceAccounts = Set.of();
        Set<String> namespaces = Set.of();
        Set<String> policies = Set.of();
        long ttl;
    }

    InMemoryVault(String rootToken) {
        Token root = new Token(Set.of("root"), true, 0, 0, false);
        tokens.put(rootToken, root);
    }

    public synchronized void seal() {
        sealed = true;
    }

    public synchronized void unseal() {
        sealed = false;
    }

    /** Behaves like Vault before 1.12, which silently ignored the unknown {@code associated_data} parameter. */
    public synchronized void ignoreAssociatedData(boolean ignore) {
        ignoreAssociatedData = ignore;
    }

    /** Revokes every client token but the root token (as {@code vault token revoke} on each would). */
    public synchronized void revokeAllTokens() {
        tokens.values().removeIf(t -> !t.root);
    }

    public int logins() {
        return logins.get();
    }

    public int renewals() {
        return renewals.get();
    }

    @Override
    public synchronized Reply handle(Request r) {
        if (sealed) {
            return Reply.error(503, "Vault is sealed");
        }
        String path = trim(r.path());
        String ns = r.namespace() == null ? "" : trim(r.namespace());
        JsonNode body;
        try {
            body = r.body() == null || r.body().length == 0 ? Reply.JSON.createObjectNode()
                    : Reply.JSON.readTree(r.body());
        } catch (java.io.IOException e) {
            return Reply.error(400, "failed to parse JSON input");
        }
        String[] p = path.split("/");
        if (p.length >= 3 && p[0].equals("auth") && p[p.length - 1].equals("login") && r.method().equals("POST")) {
            String mount = path.substring("auth/".length(), path.length() - "/login".length());
            if ("approle".equals(authMounts.get(mount))) {
                return appRoleLogin(body);
            }
            if ("kubernetes".equals(authMounts.get(mount))) {
                return kubernetesLogin(body);
            }
        }
        Token token = r.token() == null ? null : tokens.get(r.token());
        if (token != null && token.expired()) {
            tokens.remove(token.id);
            token = null;
        }
        if (token == null) {
            return Reply.error(403, "permission denied");
        }
        if (path.startsWith("auth/token/") && path.endsWith("-self")) {
            return self(token, path, body);
        }
        String capability = capability(r, ns, path);
        if (!token.root && !AclPolicy.allows(policiesOf(token), path, capability)) {
            return Reply.wrappedError(403, "permission denied");
        }
        return route(r.method(), ns, path, body);
    }

    private Reply route(String method, String ns, String path, JsonNode body) {
        if (path.startsWith("sys/mounts/")) {
            return mount(method, full(ns, path.substring("sys/mounts/".length())), body);
        }
        if (path.startsWith("sys/auth/")) {
            String mount = path.substring("sys/auth/".length());
            if (authMounts.containsKey(mount)) {
                return Reply.error(400, "path is already in use at auth/" + mount + "/");
            }
            authMounts.put(mount, body.path("type").asText());
            return Reply.noContent();
        }
        if (path.startsWith("sys/policies/acl/") || path.startsWith("sys/policy/")) {
            return policy(method, path.substring(path.lastIndexOf('/') + 1), body);
        }
        if (path.equals("auth/token/create") && method.equals("POST")) {
            Set<String> names = strings(body.path("policies"));
            Token t = new Token(names, false, seconds(body.path("ttl"), DEFAULT_TTL),
                    seconds(body.path("explicit_max_ttl"), 0), body.path("renewable").asBoolean(true));
            tokens.put(t.id, t);
            return Reply.ok(null, auth(t));
        }
        if (path.equals("auth/token/revoke") && method.equals("POST")) {
            tokens.remove(body.path("token").asText());
            return Reply.noContent();
        }
        if (path.startsWith("auth/")) {
            Reply reply = roleAdmin(method, path.substring("auth/".length()), body);
            if (reply != null) {
                return reply;
            }
        }
        String full = full(ns, path);
        String mount = mountOf(full);
        if (mount != null) {
            if (ignoreAssociatedData && body instanceof ObjectNode o) {
                o.remove("associated_data");
            }
            return mounts.get(mount).handle(method, full.substring(mount.length() + 1), body);
        }
        return Reply.error(404, "no handler for route \"" + path + "\". route entry not found.");
    }

    /** Vault's existence check: a write to something that does not exist yet needs "create", not "update". */
    private String capability(Request r, String ns, String path) {
        switch (r.method()) {
            case "GET":
                return r.query() != null && r.query().contains("list=true") ? "list" : "read";
            case "DELETE":
                return "delete";
            case "LIST":
                return "list";
            default:
                break;
        }
        String full = full(ns, path);
        String mount = mountOf(full);
        if (mount != null) {
            String[] rest = full.substring(mount.length() + 1).split("/");
            if (rest.length == 2 && (rest[0].equals("encrypt") || rest[0].equals("keys"))) {
                return mounts.get(mount).exists(rest[1]) ? "update" : "create";
            }
        }
        if (path.startsWith("sys/policies/acl/")) {
            return policies.containsKey(path.substring("sys/policies/acl/".length())) ? "update" : "create";
        }
        return "update";
    }

    private Reply mount(String method, String mountPath, JsonNode body) {
        if (method.equals("DELETE")) {
            mounts.remove(mountPath);
            return Reply.noContent();
        }
        if (mounts.containsKey(mountPath)) {
            return Reply.error(400, "path is already in use at " + mountPath + "/");
        }
        if (!body.path("type").asText().equals("transit")) {
            return Reply.error(400, "the test server only mounts the transit secrets engine");
        }
        mounts.put(mountPath, new TransitEngine());
        return Reply.noContent();
    }

    private Reply policy(String method, String name, JsonNode body) {
        if (method.equals("DELETE")) {
            policies.remove(name);
            return Reply.noContent();
        }
        if (method.equals("GET")) {
            return policies.containsKey(name) ? Reply.data(Reply.JSON.createObjectNode().put("name", name))
                    : Reply.error(404);
        }
        String text = body.has("policy") ? body.path("policy").asText() : body.path("rules").asText();
        try {
            policies.put(name, AclPolicy.parse(text));
        } catch (IllegalArgumentException e) {
            return Reply.error(400, e.getMessage());
        }
        return Reply.noContent();
    }

    /** {@code <approle mount>/role/...} and {@code <kubernetes mount>/role/...}; null when not such a path. */
    private Reply roleAdmin(String method, String path, JsonNode body) {
        String[] p = path.split("/");
        int role = -1;
        for (int i = 1; i < p.length - 1; i++) {
            if (p[i].equals("role")) {
                role = i;
                break;
            }
        }
        if (role < 0) {
            return null;
        }
        String mountType = authMounts.get(String.join("/", java.util.Arrays.copyOfRange(p, 0, role)));
        String name = p[role + 1];
        String sub = String.join("/", java.util.Arrays.copyOfRange(p, role + 2, p.length));
        if ("approle".equals(mountType)) {
            return appRoleAdmin(method, name, sub, body);
        }
        if ("kubernetes".equals(mountType) && sub.isEmpty() && method.equals("POST")) {
            KubernetesRole k = kubernetesRoles.computeIfAbsent(name, n -> new KubernetesRole());
            k.serviceAccounts = strings(body.path("bound_service_account_names"));
            k.namespaces = strings(body.path("bound_service_account_namespaces"));
            k.policies = strings(body.path("token_policies"));
            k.ttl = seconds(body.path("token_ttl"), DEFAULT_TTL);
            return Reply.noContent();
        }
        return null;
    }

    private Reply appRoleAdmin(String method, String name, String sub, JsonNode body) {
        if (sub.isEmpty() && method.equals("POST")) {
            AppRole a = appRoles.computeIfAbsent(name, n -> new AppRole());
            a.policies = strings(body.path("token_policies"));
            a.ttl = seconds(body.path("token_ttl"), DEFAULT_TTL);
            a.maxTtl = seconds(body.path("token_max_ttl"), 0);
            return Reply.noContent();
        }
        AppRole a = appRoles.get(name);
        if (a == null) {
            return Reply.error(400, "role \"" + name + "\" does not exist");
        }
        if (sub.equals("role-id") && method.equals("GET")) {
            return Reply.data(Reply.JSON.createObjectNode().put("role_id", a.roleId));
        }
        if (sub.equals("secret-id") && method.equals("POST")) {
            String secretId = UUID.randomUUID().toString();
            a.secretIds.add(secretId);
            return Reply.data(Reply.JSON.createObjectNode().put("secret_id", secretId)
                    .put("secret_id_accessor", UUID.randomUUID().toString()));
        }
        if (sub.equals("secret-id/destroy") && method.equals("POST")) {
            a.secretIds.remove(body.path("secret_id").asText());
            return Reply.noContent();
        }
        return Reply.error(405, "unsupported operation");
    }

    private Reply appRoleLogin(JsonNode body) {
        String roleId = body.path("role_id").asText();
        String secretId = body.path("secret_id").asText();
        for (AppRole a : appRoles.values()) {
            if (a.roleId.equals(roleId) && a.secretIds.contains(secretId)) {
                logins.incrementAndGet();
                Token t = new Token(withDefault(a.policies), false, a.ttl, a.maxTtl, true);
                tokens.put(t.id, t);
                return Reply.ok(null, auth(t));
            }
        }
        return Reply.error(400, "invalid role or secret ID");
    }

    private Reply kubernetesLogin(JsonNode body) {
        String roleName = body.path("role").asText();
        KubernetesRole role = kubernetesRoles.get(roleName);
        if (role == null) {
            return Reply.error(400, "invalid role name \"" + roleName + "\"");
        }
        String[] sub = subject(body.path("jwt").asText()).split(":");
        // system:serviceaccount:<namespace>:<name>
        if (sub.length != 4 || !sub[1].equals("serviceaccount")
                || !(role.namespaces.contains("*") || role.namespaces.contains(sub[2]))
                || !(role.serviceAccounts.contains("*") || role.serviceAccounts.contains(sub[3]))) {
            return Reply.error(403, "service account name not authorized");
        }
        logins.incrementAndGet();
        Token t = new Token(withDefault(role.policies), false, role.ttl, 0, true);
        tokens.put(t.id, t);
        return Reply.ok(null, auth(t));
    }

    private static String subject(String jwt) {
        String[] parts = jwt.split("\\.");
        if (parts.length < 2) {
            return "";
        }
        try {
            return Reply.JSON.readTree(Base64.getUrlDecoder().decode(parts[1])).path("sub").asText("");
        } catch (java.io.IOException | IllegalArgumentException e) {
            return "";
        }
    }

    /** The endpoints every token may call on itself (Vault's "default" policy grants them). */
    private Reply self(Token token, String path, JsonNode body) {
        if (path.equals("auth/token/renew-self")) {
            if (!token.renewable) {
                return Reply.error(400, "lease is not renewable");
            }
            renewals.incrementAndGet();
            long wanted = body.path("increment").asLong(token.ttl);
            long ttl = token.maxTtl > 0 ? Math.min(wanted, token.maxTtl) : wanted;
            token.ttl = ttl;
            token.issuedNanos = System.nanoTime();
            return Reply.ok(null, auth(token));
        }
        if (path.equals("auth/token/revoke-self")) {
            tokens.remove(token.id);
            return Reply.noContent();
        }
        ObjectNode data = Reply.JSON.createObjectNode();
        data.put("accessor", token.accessor);
        data.put("ttl", token.ttl);
        ArrayNode names = data.putArray("policies");
        token.policies.forEach(names::add);
        return Reply.data(data);
    }

    private static ObjectNode auth(Token t) {
        ObjectNode auth = Reply.JSON.createObjectNode();
        auth.put("client_token", t.id);
        auth.put("accessor", t.accessor);
        ArrayNode list = auth.putArray("policies");
        t.policies.forEach(list::add);
        ArrayNode tokenPolicies = auth.putArray("token_policies");
        t.policies.forEach(tokenPolicies::add);
        auth.put("lease_duration", t.ttl);
        auth.put("renewable", t.renewable);
        auth.put("token_type", "service");
        auth.put("orphan", true);
        return auth;
    }

    private List<AclPolicy> policiesOf(Token t) {
        List<AclPolicy> out = new ArrayList<>();
        for (String name : t.policies) {
            AclPolicy p = policies.get(name);
            if (p != null) {
                out.add(p);
            }
        }
        return out;
    }

    private String mountOf(String fullPath) {
        String best = null;
        for (String m : mounts.keySet()) {
            if (fullPath.startsWith(m + "/") && (best == null || m.length() > best.length())) {
                best = m;
            }
        }
        return best;
    }

    private static Set<String> withDefault(Set<String> policies) {
        Set<String> out = new LinkedHashSet<>(policies);
        out.add("default");
        return out;
    }

    private static String full(String ns, String path) {
        return ns.isEmpty() ? trim(path) : ns + "/" + trim(path);
    }

    private static String trim(String s) {
        String out = s;
        while (out.startsWith("/")) {
            out = out.substring(1);
        }
        while (out.endsWith("/")) {
            out = out.substring(0, out.length() - 1);
        }
        return out;
    }

    private static Set<String> strings(JsonNode node) {
        Set<String> out = new LinkedHashSet<>();
        if (node.isArray()) {
            node.forEach(n -> out.add(n.asText()));
        } else if (node.isTextual() && !node.asText().isEmpty()) {
            for (String s : node.asText().split(",")) {
                out.add(s.trim());
            }
        }
        return out;
    }

    /** Vault durations: a number of seconds, or "90s", "15m", "2h". */
    static long seconds(JsonNode node, long fallback) {
        if (node.isMissingNode() || node.isNull()) {
            return fallback;
        }
        if (node.isNumber()) {
            return node.asLong();
        }
        String s = node.asText().trim();
        if (s.isEmpty()) {
            return fallback;
        }
        char unit = s.charAt(s.length() - 1);
        long n = Character.isDigit(unit) ? Long.parseLong(s) : Long.parseLong(s.substring(0, s.length() - 1));
        switch (unit) {
            case 'm':
                return n * 60;
            case 'h':
                return n * 3600;
            default:
                return n;
        }
    }
}
