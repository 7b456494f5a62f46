package io.keyward.testing.azure;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.keyward.testing.TestCertificate;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Azure Key Vault (keys data plane) and the Microsoft Entra ID token endpoint, over HTTPS on 127.0.0.1, speaking
 * the real wire protocol so the real Azure SDK can be pointed at it. What it implements, from the REST reference
 * (https://learn.microsoft.com/en-us/rest/api/keyvault/keys/) and the authentication flow
 * (https://learn.microsoft.com/en-us/azure/key-vault/general/authentication-requests-and-responses):
 * <ul>
 * <li>{@code GET /keys/{name}[/{version}]}, {@code POST /keys/{name}/{version}/wrapkey|unwrapkey}, with
 * {@code api-version} 7.x (or 2025-07-01), JSON {@code {"alg","value"}} (base64url) answered by {@code {"kid","value"}};
 * <li>bearer challenge: a request without a token gets 401 with
 * {@code WWW-Authenticate: Bearer authorization="<authority>/<tenant>", resource="https://vault.azure.net"};
 * tokens come from {@code POST /{tenant}/oauth2/v2.0/token} on the same server ({@link EntraTokenService});
 * <li>errors as {@code {"error":{"code","message","innererror":{"code"}}}}: 403 Forbidden for a disabled key
 * (KeyDisabled; wrapKey of a disabled RSA key still succeeds, as Key Vault only needs the public key) and for a
 * removed RBAC assignment (ForbiddenByRbac), 404 KeyNotFound for a deleted key or unknown version, 400 BadParameter
 * when unwrapKey cannot decrypt, 429 Throttled with {@code Retry-After}
 * (https://learn.microsoft.com/en-us/azure/key-vault/general/overview-throttling).
 * </ul>
 * Faults for tests: stop/start (connection refused), delayed answers, throttling the next N requests. Requests to
 * the vault (not to the token endpoint) are counted.
 */
public final class KeyVaultTestServer implements AutoCloseable {
    public static final String VAULT_RESOURCE = "https://vault.azure.net";
    public static final String MANAGED_HSM_RESOURCE = "https://managedhsm.azure.net";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> API_VERSIONS = Set.of("7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6",
            "2025-07-01");

    private final TestCertificate certificate = TestCertificate.forLoopback("localhost");
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "key-vault-test-server");
        t.setDaemon(true);
        return t;
    });
    private final VaultKeys keys = new VaultKeys();
    private final EntraTokenService entra = new EntraTokenService(UUID.randomUUID().toString(),
            UUID.randomUUID().toString());
    private final AtomicInteger vaultRequests = new AtomicInteger();
    private final AtomicInteger tokenRequests = new AtomicInteger();
    private final AtomicInteger throttleRemaining = new AtomicInteger();
    private volatile Duration delay = Duration.ZERO;
    private volatile int retryAfterSeconds = 1;
    private volatile String resource = VAULT_RESOURCE;
    private HttpsServer server;
    private int port;

    private KeyVaultTestServer() {
    }

    public static KeyVaultTestServer start() {
        KeyVaultTestServer s = new KeyVaultTestServer();
        s.startServer();
        return s;
    }

    // ----- the customer's side: keys and their states -----

    /** Creates an enabled RSA 2048 key; returns its versionless key id. */
    public String createRsaKey(String name) {
        keys.create(name, VaultKeys.Type.RSA);
        return keyUri(name);
    }

    /** Creates an enabled 256-bit oct-HSM key (Managed HSM); returns its versionless key id. */
    public String createOctHsmKey(String name) {
        keys.create(name, VaultKeys.Type.OCT_HSM);
        return keyUri(name);
    }

    /** Adds a new current version; returns its id (32 hex digits). */
    public String rotate(String name) {
        return keys.rotate(name).id;
    }

    public String currentVersion(String name) {
        return keys.require(name).latest().id;
    }

    /** Disables every version of the key ({@code enabled=false}), as the customer revoking it. */
    public void disable(String name) {
        keys.require(name).versions.forEach(v -> v.enabled = false);
    }

    public void enable(String name) {
        keys.require(name).versions.forEach(v -> v.enabled = true);
    }

    /** Disables one version only. */
    public void disableVersion(String name, String version) {
        keys.require(name).version(version).enabled = false;
    }

    /** Deletes the key (soft delete: every operation now answers 404 KeyNotFound). */
    public void delete(String name) {
        keys.require(name).deleted = true;
    }

    /** Removes keyward's role assignment on the key (403 ForbiddenByRbac), leaving the key enabled. */
    public void denyAccess(String name) {
        keys.require(name).accessDenied = true;
    }

    public void grantAccess(String name) {
        keys.require(name).accessDenied = false;
    }

    /** Answers as a Managed HSM would (challenge resource https://managedhsm.azure.net). */
    public void actAsManagedHsm(boolean hsm) {
        resource = hsm ? MANAGED_HSM_RESOURCE : VAULT_RESOURCE;
    }

    // ----- the customer's side: identity -----

    public String tenantId() {
        return entra.tenantId();
    }

    public String clientId() {
        return entra.clientId();
    }

    public String clientSecret() {
        return entra.clientSecret();
    }

    /** The customer replaces the client secret keyward holds; tokens already issued stay valid until they expire. */
    public String rotateClientSecret() {
        return entra.rotateClientSecret();
    }

    /** Every issued token becomes invalid at the vault (401), as after a tenant move or token revocation. */
    public void forgetIssuedTokens() {
        entra.forgetIssuedTokens();
    }

    // ----- the network's side -----

    public synchronized void stopServer() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
    }

    public synchronized void startServer() {
        if (server != null) {
            return;
        }
        try {
            HttpsServer s = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
            s.setHttpsConfigurator(new HttpsConfigurator(certificate.serverContext()));
            s.setExecutor(executor);
            s.createContext("/", this::handle);
            s.start();
            server = s;
            port = s.getAddress().getPort();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the Key Vault test server on port " + port, e);
        }
    }

    public void delayResponses(Duration d) {
        delay = d == null ? Duration.ZERO : d;
    }

    public void throttleNext(int n) {
        throttleRemaining.set(Math.max(0, n));
    }

    /** The Retry-After (seconds) sent with 429; Key Vault sends one, tests may shorten it. */
    public void throttleRetryAfterSeconds(int seconds) {
        retryAfterSeconds = seconds;
    }

    public int vaultRequestCount() {
        return vaultRequests.get();
    }

    public int tokenRequestCount() {
        return tokenRequests.get();
    }

    // ----- addresses -----

    public int port() {
        return port;
    }

    public String vaultUrl() {
        return "https://localhost:" + port;
    }

    /** What to give the provider as {@code authorityHost}: the token endpoint lives on this server too. */
    public String authorityHost() {
        return vaultUrl();
    }

    public String keyUri(String name) {
        return vaultUrl() + "/keys/" + name;
    }

    public String certificatePem() {
        return certificate.pem();
    }

    public TestCertificate certificate() {
        return certificate;
    }

    /** The options a tenant sends to use a key of this server with the client-secret identity. */
    public Map<String, String> clientSecretOptions() {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("tenantId", tenantId());
        o.put("clientId", clientId());
        o.put("clientSecret", clientSecret());
        o.put("authorityHost", authorityHost());
        o.put("trustCertificatePem", certificatePem());
        return o;
    }

    @Override
    public void close() {
        stopServer();
        executor.shutdownNow();
    }

    // ----- HTTP -----

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = readAll(ex.getRequestBody());
            List<String> path = segments(ex.getRequestURI().getRawPath());
            if (path.size() == 4 && "oauth2".equals(path.get(1)) && "v2.0".equals(path.get(2))
                    && "token".equals(path.get(3)) && "POST".equals(ex.getRequestMethod())) {
                tokenRequests.incrementAndGet();
                // Entra ID echoes the caller's correlation id; MSAL checks it.
                String correlation = ex.getRequestHeaders().getFirst("client-request-id");
                if (correlation != null) {
                    ex.getResponseHeaders().set("client-request-id", correlation);
                }
                EntraTokenService.Answer a = entra.token(path.get(0), new String(body, StandardCharsets.UTF_8));
                send(ex, a.status(), a.json());
                return;
            }
            if (!path.isEmpty() && "keys".equals(path.get(0))) {
                vault(ex, path, body);
                return;
            }
            send(ex, 404, error("NotFound", "The requested resource was not found.", null));
        } catch (RuntimeException e) {
            send(ex, 500, error("InternalError", "test server failure: " + e.getClass().getSimpleName(), null));
        }
    }

    private void vault(HttpExchange ex, List<String> path, byte[] body) throws IOException {
        vaultRequests.incrementAndGet();
        Duration d = delay;
        if (!d.isZero()) {
            try {
                Thread.sleep(d.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (throttleRemaining.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
            ex.getResponseHeaders().set("Retry-After", Integer.toString(retryAfterSeconds));
            send(ex, 429, error("Throttled", "Request was not processed because too many requests were received. "
                    + "Reason: A1", null));
            return;
        }
        String apiVersion = query(ex, "api-version");
        if (apiVersion == null || !API_VERSIONS.contains(apiVersion)) {
            send(ex, 400, error("BadParameter", "The specified version (" + apiVersion + ") is not recognized. "
                    + "Consider using the latest supported version (7.6).", null));
            return;
        }
        if (!authorized(ex)) {
            return;
        }
        String method = ex.getRequestMethod();
        String name = path.size() > 1 ? path.get(1) : "";
        VaultKeys.Key key = keys.find(name);
        if (key == null || key.deleted) {
            send(ex, 404, error("KeyNotFound", "A key with (name/id) " + name + " was not found in this key vault. "
                    + "If you recently deleted this key you may be able to recover it using the correct recovery "
                    + "command.", null));
            return;
        }
        if (key.accessDenied) {
            send(ex, 403, error("Forbidden", "Caller is not authorized to perform action on resource.\r\nIf role "
                    + "assignments, deny assignments or role definitions were changed recently, please observe "
                    + "propagation time.\r\nCaller: appid=" + entra.clientId() + "\r\nAction: "
                    + "'Microsoft.KeyVault/vaults/keys/read'", "ForbiddenByRbac"));
            return;
        }
        boolean get = "GET".equals(method) && (path.size() == 2 || path.size() == 3);
        String op = "POST".equals(method) && path.size() >= 3 ? path.get(path.size() - 1) : null;
        String versionId = get ? (path.size() == 3 ? path.get(2) : null) : (path.size() == 4 ? path.get(2) : null);
        VaultKeys.Version version = key.version(versionId);
        if (version == null) {
            send(ex, 404, error("KeyNotFound", "A key with (name/id) " + name + "/" + versionId
                    + " was not found in this key vault.", null));
            return;
        }
        if (get) {
            if (!version.enabled) {
                send(ex, 403, error("Forbidden", "Operation get is not allowed on a disabled key.", "KeyDisabled"));
                return;
            }
            send(ex, 200, bundle(key, version));
        } else if ("wrapkey".equals(op) || "unwrapkey".equals(op)) {
            crypt(ex, key, version, "wrapkey".equals(op), body);
        } else {
            send(ex, 405, error("BadParameter", "Method not allowed.", null));
        }
    }

    private void crypt(HttpExchange ex, VaultKeys.Key key, VaultKeys.Version version, boolean wrap, byte[] body)
            throws IOException {
        JsonNode req;
        try {
            req = JSON.readTree(body);
        } catch (IOException e) {
            send(ex, 400, error("BadParameter", "Request body is not valid JSON.", null));
            return;
        }
        String alg = req == null || req.get("alg") == null ? null : req.get("alg").asText();
        String value = req == null || req.get("value") == null ? null : req.get("value").asText();
        if (alg == null || !VaultKeys.algorithmFits(key.type, alg)) {
            send(ex, 400, error("BadParameter", "Invalid algorithm '" + alg + "' for key type " + key.type.kty + ".",
                    null));
            return;
        }
        byte[] in;
        try {
            in = Base64.getUrlDecoder().decode(value == null ? "" : value);
        } catch (IllegalArgumentException e) {
            send(ex, 400, error("BadParameter", "Content of 'value' is not base64url.", null));
            return;
        }
        // A disabled key refuses every private operation; wrapKey of an RSA key is a public-key operation and
        // Key Vault answers it anyway (Azure/azure-sdk-for-python#45342 lists the service's behaviour).
        if (!version.enabled && !(wrap && key.type == VaultKeys.Type.RSA)) {
            send(ex, 403, error("Forbidden", "Operation " + (wrap ? "wrapKey" : "unwrapKey")
                    + " is not allowed on a disabled key.", "KeyDisabled"));
            return;
        }
        byte[] out;
        try {
            out = wrap ? VaultKeys.wrap(version, alg, in) : VaultKeys.unwrap(version, alg, in);
        } catch (GeneralSecurityException e) {
            send(ex, 400, error("BadParameter", wrap ? "Invalid value for wrapKey."
                    : "Unable to decrypt specified value with this key.", null));
            return;
        }
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("kid", keyUri(key.name) + "/" + version.id);
        res.put("value", Base64.getUrlEncoder().withoutPadding().encodeToString(out));
        send(ex, 200, res);
    }

    /** Checks the bearer token; answers the 401 challenge itself and returns false when it is missing or bad. */
    private boolean authorized(HttpExchange ex) throws IOException {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        String challenge = "Bearer authorization=\"" + authorityHost() + "/" + entra.tenantId() + "\", resource=\""
                + resource + "\"";
        if (auth == null || !auth.startsWith("Bearer ")) {
            ex.getResponseHeaders().set("WWW-Authenticate", challenge);
            send(ex, 401, error("Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.", null));
            return false;
        }
        EntraTokenService.Issued t = entra.lookup(auth.substring("Bearer ".length()).trim());
        if (t == null || !entra.tenantId().equals(t.tenant()) || !resource.equals(t.audience())) {
            ex.getResponseHeaders().set("WWW-Authenticate", challenge + ", error=\"invalid_token\"");
            send(ex, 401, error("Unauthorized", "AKV10032: Invalid issuer or token.", null));
            return false;
        }
        return true;
    }

    private Map<String, Object> bundle(VaultKeys.Key key, VaultKeys.Version v) {
        Map<String, Object> jwk = new LinkedHashMap<>();
        jwk.put("kid", keyUri(key.name) + "/" + v.id);
        jwk.put("kty", key.type.kty);
        jwk.put("key_ops", List.of("wrapKey", "unwrapKey", "encrypt", "decrypt"));
        if (v.rsa != null) {
            java.security.interfaces.RSAPublicKey pub = (java.security.interfaces.RSAPublicKey) v.rsa.getPublic();
            jwk.put("n", b64u(unsigned(pub.getModulus().toByteArray())));
            jwk.put("e", b64u(unsigned(pub.getPublicExponent().toByteArray())));
        }
        Map<String, Object> attrs = new LinkedHashMap<>();
        attrs.put("enabled", v.enabled);
        attrs.put("created", v.created);
        attrs.put("updated", v.created);
        attrs.put("recoveryLevel", "Recoverable+Purgeable");
        attrs.put("recoverableDays", 90);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("key", jwk);
        out.put("attributes", attrs);
        return out;
    }

    private static byte[] unsigned(byte[] twosComplement) {
        return twosComplement.length > 1 && twosComplement[0] == 0
                ? java.util.Arrays.copyOfRange(twosComplement, 1, twosComplement.length) : twosComplement;
    }

    private static String b64u(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static Map<String, Object> error(String code, String message, String inner) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("code", code);
        e.put("message", message);
        if (inner != null) {
            e.put("innererror", Map.of("code", inner));
        }
        return Map.of("error", e);
    }

    private static void send(HttpExchange ex, int status, Object json) throws IOException {
        byte[] out = JSON.writeValueAsBytes(json);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.getResponseHeaders().set("x-ms-request-id", UUID.randomUUID().toString());
        ex.sendResponseHeaders(status, out.length);
        ex.getResponseBody().write(out);
    }

    private static String query(HttpExchange ex, String name) {
        String q = ex.getRequestURI().getRawQuery();
        if (q == null) {
            return null;
        }
        for (String pair : q.split("&")) {
            if (pair.startsWith(name + "=")) {
                return java.net.URLDecoder.decode(pair.substring(name.length() + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private static List<String> segments(String rawPath) {
        List<String> out = new ArrayList<>();
        for (String s : rawPath.split("/")) {
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }

    private static byte[] readAll(InputStream in) throws IOException {
        return in.readAllBytes();
    }
}
