package io.keyward.testing.azure;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Microsoft Entra ID v2 token endpoint, client-credentials grant only:
 * {@code POST /{tenant}/oauth2/v2.0/token} with {@code client_id}, {@code client_secret}, {@code scope=<resource>/.default}
 * (https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow). Errors carry the
 * AADSTS codes the real service sends (https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes).
 * Tokens are opaque random strings remembered here, so the vault can check tenant, client and audience.
 */
final class EntraTokenService {
    record Issued(String tenant, String clientId, String audience, long expiresAtMillis) {
    }

    record Answer(int status, Map<String, Object> json) {
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    private final String tenantId;
    private final String clientId;
    private volatile String clientSecret;
    private final Map<String, Issued> tokens = new ConcurrentHashMap<>();

    EntraTokenService(String tenantId, String clientId) {
        this.tenantId = tenantId;
        this.clientId = clientId;
        this.clientSecret = newSecret();
    }

    String tenantId() {
        return tenantId;
    }

    String clientId() {
        return clientId;
    }

    String clientSecret() {
        return clientSecret;
    }

    /** The customer deletes the client secret and makes a new one; the old one is refused from now on. */
    String rotateClientSecret() {
        clientSecret = newSecret();
        return clientSecret;
    }

    /** Forgets every token issued so far, as if they had expired or been revoked by continuous access evaluation. */
    void forgetIssuedTokens() {
        tokens.clear();
    }

    Issued lookup(String token) {
        Issued i = token == null ? null : tokens.get(token);
        return i == null || i.expiresAtMillis() < System.currentTimeMillis() ? null : i;
    }

    Answer token(String tenant, String formBody) {
        Map<String, String> form = parseForm(formBody);
        if (!"client_credentials".equals(form.get("grant_type"))) {
            return error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.");
        }
        if (!tenantId.equals(tenant)) {
            return error(400, "invalid_request", 90002, "Tenant '" + tenant + "' not found.");
        }
        if (!clientId.equals(form.get("client_id"))) {
            return error(400, "unauthorized_client", 700016, "Application with identifier '" + form.get("client_id")
                    + "' was not found in the directory.");
        }
        String secret = form.get("client_secret");
        if (secret == null || !java.security.MessageDigest.isEqual(secret.getBytes(StandardCharsets.UTF_8),
                clientSecret.getBytes(StandardCharsets.UTF_8))) {
            return error(401, "invalid_client", 7000215, "Invalid client secret provided.");
        }
        String scope = form.getOrDefault("scope", "");
        String resource = Set.of(scope.split(" ")).stream().filter(s -> s.endsWith("/.default")).findFirst()
                .map(s -> s.substring(0, s.length() - "/.default".length())).orElse(null);
        if (resource == null) {
            return error(400, "invalid_scope", 1002012, "The provided value for scope is not valid.");
        }
        byte[] raw = new byte[24];
        RANDOM.nextBytes(raw);
        String token = "kwtest." + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        tokens.put(token, new Issued(tenant, clientId, resource, System.currentTimeMillis() + 3_600_000));
        Map<String, Object> ok = new HashMap<>();
        ok.put("token_type", "Bearer");
        ok.put("expires_in", 3599);
        ok.put("ext_expires_in", 3599);
        ok.put("access_token", token);
        return new Answer(200, ok);
    }

    private static Answer error(int status, String error, int aadsts, String description) {
        Map<String, Object> body = new HashMap<>();
        body.put("error", error);
        body.put("error_description", "AADSTS" + aadsts + ": " + description);
        body.put("error_codes", new int[] {aadsts});
        body.put("trace_id", UUID.randomUUID().toString());
        body.put("correlation_id", UUID.randomUUID().toString());
        return new Answer(status, body);
    }

    private static Map<String, String> parseForm(String body) {
        Map<String, String> out = new HashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static String newSecret() {
        byte[] raw = new byte[30];
        RANDOM.nextBytes(raw);
        return "kw~" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }
}
