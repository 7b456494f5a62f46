package io.keyward.testing.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What the customer's Vault administrator does, over Vault's HTTP API with a privileged token: enable Transit and
 * AppRole, create and delete keys, write keyward's policy (or a deny), issue and revoke tokens, AppRole credentials.
 * The same calls work against {@link InMemoryVault} and a real Vault, so one fixture drives both.
 */
public final class VaultAdmin {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String address;
    private final String token;
    private final HttpClient http;

    public VaultAdmin(String address, String token) {
        this(address, token, null);
    }

    private VaultAdmin(String address, String token, javax.net.ssl.SSLContext tls) {
        this.address = address;
        this.token = token;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (tls != null) {
            b.sslContext(tls);
        }
        this.http = b.build();
    }

    /** The administrator of {@code server}, with its root token (trusting its certificate when it is https). */
    public static VaultAdmin of(VaultTestServer server) {
        if (!server.address().startsWith("https:")) {
            return new VaultAdmin(server.address(), server.rootToken());
        }
        try {
            java.security.KeyStore store = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
            store.load(null, null);
            store.setCertificateEntry("server", java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(server.caPem().getBytes())));
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return new VaultAdmin(server.address(), server.rootToken(), ctx);
        } catch (java.security.GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An AppRole's login credentials. */
    public record AppRoleLogin(String roleId, String secretId) {
        @Override
        public String toString() {
            return "AppRoleLogin[roleId=" + roleId + ", secretId=redacted]";
        }
    }

    public void enableTransit(String mount) {
        JsonNode r = call("POST", "sys/mounts/" + mount, Map.of("type", "transit"), true);
        alreadyThereIsFine(r);
    }

    /** Disables a secrets engine: every key in it is gone. */
    public void disableMount(String mount) {
        call("DELETE", "sys/mounts/" + mount, null, false);
    }

    public void enableAuth(String path, String type) {
        JsonNode r = call("POST", "sys/auth/" + path, Map.of("type", type), true);
        alreadyThereIsFine(r);
    }

    public void createKey(String mount, String name, String type) {
        call("POST", mount + "/keys/" + name, Map.of("type", type), false);
    }

    public void createDerivedKey(String mount, String name) {
        call("POST", mount + "/keys/" + name, Map.of("type", "aes256-gcm96", "derived", true), false);
    }

    public void rotateKey(String mount, String name) {
        call("POST", mount + "/keys/" + name + "/rotate", Map.of(), false);
    }

    public void setMinDecryptionVersion(String mount, String name, int version) {
        call("POST", mount + "/keys/" + name + "/config", Map.of("min_decryption_version", version), false);
    }

    /** Transit keys can only be deleted once {@code deletion_allowed} is set on them. */
    public void deleteKey(String mount, String name) {
        call("POST", mount + "/keys/" + name + "/config", Map.of("deletion_allowed", true), false);
        call("DELETE", mount + "/keys/" + name, null, false);
    }

    /** Writes a JSON ACL policy: path -> capabilities. */
    public void writePolicy(String name, Map<String, List<String>> rules) {
        ObjectNode policy = JSON.createObjectNode();
        ObjectNode paths = policy.putObject("path");
        rules.forEach((path, caps) -> {
            ArrayNode list = paths.putObject(path).putArray("capabilities");
            caps.forEach(list::add);
        });
        call("PUT", "sys/policies/acl/" + name, Map.of("policy", policy.toString()), false);
    }

    public void deletePolicy(String name) {
        call("DELETE", "sys/policies/acl/" + name, null, false);
    }

    public String createToken(List<String> policies, String ttl) {
        return call("POST", "auth/token/create", Map.of("policies", policies, "ttl", ttl, "no_default_policy", true),
                false).path("auth").path("client_token").asText();
    }

    public void revokeToken(String clientToken) {
        call("POST", "auth/token/revoke", Map.of("token", clientToken), false);
    }

    /** Creates (or updates) an AppRole and a fresh secret ID for it. */
    public AppRoleLogin createAppRole(String mount, String role, List<String> policies, String tokenTtl) {
        call("POST", "auth/" + mount + "/role/" + role, Map.of("token_policies", policies, "token_ttl", tokenTtl),
                false);
        String roleId = call("GET", "auth/" + mount + "/role/" + role + "/role-id", null, false)
                .path("data").path("role_id").asText();
        String secretId = call("POST", "auth/" + mount + "/role/" + role + "/secret-id", Map.of(), false)
                .path("data").path("secret_id").asText();
        return new AppRoleLogin(roleId, secretId);
    }

    /** A Kubernetes auth role binding service accounts to policies (the mount must be enabled and configured). */
    public void createKubernetesRole(String mount, String role, String serviceAccount, String namespace,
            List<String> policies) {
        call("POST", "auth/" + mount + "/role/" + role, Map.of("bound_service_account_names", List.of(serviceAccount),
                "bound_service_account_namespaces", List.of(namespace), "token_policies", policies, "token_ttl",
                "1h"), false);
    }

    /** Enables Transit at {@code mount} inside Vault Enterprise namespace {@code namespace}. */
    public void enableTransitInNamespace(String namespace, String mount) {
        alreadyThereIsFine(call("POST", "sys/mounts/" + mount, Map.of("type", "transit"), true, namespace));
    }

    public void createKeyInNamespace(String namespace, String mount, String name) {
        call("POST", mount + "/keys/" + name, Map.of("type", "aes256-gcm96"), false, namespace);
    }

    public void destroySecretId(String mount, String role, String secretId) {
        call("POST", "auth/" + mount + "/role/" + role + "/secret-id/destroy", Map.of("secret_id", secretId), false);
    }

    private static void alreadyThereIsFine(JsonNode r) {
        if (r.has("errors") && !r.path("errors").toString().contains("already in use")) {
            throw new IllegalStateException("Vault admin call failed: " + r.path("errors"));
        }
    }

    private JsonNode call(String method, String path, Object body, boolean tolerateError) {
        return call(method, path, body, tolerateError, null);
    }

    private JsonNode call(String method, String path, Object body, boolean tolerateError, String namespace) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(address + "/v1/" + path))
                    .timeout(Duration.ofSeconds(10))
                    .header("X-Vault-Token", token)
                    .header("Content-Type", "application/json");
            if (namespace != null) {
                b.header("X-Vault-Namespace", namespace);
            }
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
            if (r.statusCode() >= 400 && !tolerateError) {
                throw new IllegalStateException("Vault admin " + method + " " + path + " -> " + r.statusCode() + " "
                        + json.path("errors"));
            }
            return json;
        } catch (IOException e) {
            throw new IllegalStateException("Vault admin " + method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
