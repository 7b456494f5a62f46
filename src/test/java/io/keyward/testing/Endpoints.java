package io.keyward.testing;

import java.util.List;
import java.util.stream.Stream;

/**
 * Every /v1 operation of the API, once, as the tests that sweep the whole surface (authentication, roles, the
 * OpenAPI document) need it. {@code {t}}, {@code {k}} and {@code {name}} are filled in per test.
 */
public final class Endpoints {
    private Endpoints() {
    }

    /** One operation: HTTP method, path template (as in OpenAPI), whether only admins may call it. */
    public record Endpoint(String method, String template, boolean adminOnly, String sampleBody) {
        public String path(String tenant, String key, String localKey) {
            return template.replace("{t}", tenant).replace("{k}", key).replace("{name}", localKey);
        }

        @Override
        public String toString() {
            return method + " " + template;
        }
    }

    public static final List<Endpoint> ADMIN = List.of(
            new Endpoint("POST", "/v1/api-keys", true, "{\"name\":\"x\",\"roles\":[\"admin\"],\"tenants\":[\"*\"]}"),
            new Endpoint("GET", "/v1/api-keys", true, null),
            new Endpoint("POST", "/v1/local-kms/keys", true, "{\"name\":\"never-created\"}"),
            new Endpoint("GET", "/v1/local-kms/keys", true, null),
            new Endpoint("POST", "/v1/local-kms/keys/{name}:disable", true, null),
            new Endpoint("POST", "/v1/local-kms/keys/{name}:enable", true, null),
            new Endpoint("POST", "/v1/local-kms/keys/{name}:destroy", true, null),
            new Endpoint("POST", "/v1/tenants", true, "{\"id\":\"never-created\",\"name\":\"x\"}"),
            new Endpoint("GET", "/v1/tenants", true, null),
            new Endpoint("GET", "/v1/tenants/{t}", true, null),
            new Endpoint("POST", "/v1/tenants/{t}/keys", true, "{\"provider\":\"local\",\"keyUri\":\"local:never\"}"),
            new Endpoint("GET", "/v1/tenants/{t}/keys", true, null),
            new Endpoint("POST", "/v1/tenants/{t}/keys/{k}:check", true, null),
            new Endpoint("POST", "/v1/tenants/{t}/keys/{k}:retire", true, "{\"force\":false}"),
            new Endpoint("POST", "/v1/tenants/{t}:revoke", true, "{\"reason\":\"not allowed\"}"),
            new Endpoint("POST", "/v1/tenants/{t}:restore", true, null),
            new Endpoint("GET", "/v1/tenants/{t}/audit", true, null),
            new Endpoint("GET", "/v1/tenants/{t}/audit:verify", true, null),
            new Endpoint("GET", "/v1/tenants/{t}/audit:export", true, null),
            new Endpoint("PUT", "/v1/tenants/{t}/audit-webhook", true,
                    "{\"url\":\"http://127.0.0.1:9/never\",\"secret\":\"never-set-0123456789\"}"),
            new Endpoint("DELETE", "/v1/tenants/{t}/audit-webhook", true, null),
            new Endpoint("GET", "/v1/admin/seal", true, null),
            new Endpoint("POST", "/v1/admin/seal:reseal", true, null));

    public static final List<Endpoint> DATA = List.of(
            new Endpoint("POST", "/v1/tenants/{t}/encrypt", false, "{\"plaintext\":\"aGk=\",\"context\":{}}"),
            new Endpoint("POST", "/v1/tenants/{t}/decrypt", false, "{\"ciphertext\":\"aGk=\",\"context\":{}}"),
            new Endpoint("POST", "/v1/tenants/{t}/encrypt:batch", false,
                    "{\"items\":[{\"id\":\"1\",\"plaintext\":\"aGk=\"}]}"),
            new Endpoint("POST", "/v1/tenants/{t}/decrypt:batch", false,
                    "{\"items\":[{\"id\":\"1\",\"ciphertext\":\"aGk=\"}]}"),
            new Endpoint("POST", "/v1/tenants/{t}/rewrap", false, "{\"ciphertext\":\"aGk=\",\"context\":{}}"),
            new Endpoint("POST", "/v1/tenants/{t}/rewrap:batch", false,
                    "{\"items\":[{\"id\":\"1\",\"ciphertext\":\"aGk=\"}]}"),
            new Endpoint("POST", "/v1/tenants/{t}/datakey", false, "{\"context\":{}}"),
            new Endpoint("POST", "/v1/tenants/{t}/datakey:unwrap", false, "{\"wrappedKey\":\"aGk=\",\"context\":{}}"));

    public static Stream<Endpoint> all() {
        return Stream.concat(ADMIN.stream(), DATA.stream());
    }
}
