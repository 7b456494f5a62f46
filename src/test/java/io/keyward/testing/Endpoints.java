package io.keyward.testing;

import java.util.List;
import java.util.stream.Stream;

/**
 * Every /v1 operation of the API, once, as the tests that sweep the whole surface (authentication, roles, the
 * OpenAPI document) need it. {@code {t}}, {@code {k}} and {@code {name}} are filled in per test; {@code {id}} (an
 * API key) is always {@link #NEVER_ISSUED_API_KEY}, so a sweep can never revoke a key another test uses.
 */
public final class Endpoints {
    private Endpoints() {
    }

    /** An API key id of the right shape that no test ever creates. */
    public static final String NEVER_ISSUED_API_KEY = "ak_neverissued";

    /** Who may call an operation. */
    public enum Access {
        /** admin only: the tenant-less administration (tenants list/create, api-keys, local-kms, seal). */
        ADMIN,
        /** admin, or tenant-admin scoped to the {@code {t}} in the path. */
        TENANT_ADMIN,
        /** admin, or app scoped to the {@code {t}} in the path (the data plane). */
        APP
    }

    /** One operation: HTTP method, path template (as in OpenAPI), who may call it, a request body to send. */
    public record Endpoint(String method, String template, Access access, String sampleBody) {
        /** On the admin plane (everything but the data plane). */
        public boolean adminOnly() {
            return access != Access.APP;
        }

        /** Takes a tenant id in its path. */
        public boolean tenantScoped() {
            return template.contains("{t}");
        }

        public String path(String tenant, String key, String localKey) {
            return template.replace("{t}", tenant).replace("{k}", key).replace("{name}", localKey)
                    .replace("{id}", NEVER_ISSUED_API_KEY);
        }

        @Override
        public String toString() {
            return method + " " + template;
        }
    }

    public static final List<Endpoint> ADMIN = List.of(
            new Endpoint("POST", "/v1/api-keys", Access.ADMIN,
                    "{\"name\":\"x\",\"roles\":[\"admin\"],\"tenants\":[\"*\"]}"),
            new Endpoint("GET", "/v1/api-keys", Access.ADMIN, null),
            new Endpoint("DELETE", "/v1/api-keys/{id}", Access.ADMIN, null),
            new Endpoint("POST", "/v1/local-kms/keys", Access.ADMIN, "{\"name\":\"never-created\"}"),
            new Endpoint("GET", "/v1/local-kms/keys", Access.ADMIN, null),
            new Endpoint("POST", "/v1/local-kms/keys/{name}:disable", Access.ADMIN, null),
            new Endpoint("POST", "/v1/local-kms/keys/{name}:enable", Access.ADMIN, null),
            new Endpoint("POST", "/v1/local-kms/keys/{name}:destroy", Access.ADMIN, null),
            new Endpoint("POST", "/v1/tenants", Access.ADMIN, "{\"id\":\"never-created\",\"name\":\"x\"}"),
            new Endpoint("GET", "/v1/tenants", Access.ADMIN, null),
            new Endpoint("GET", "/v1/tenants/{t}", Access.TENANT_ADMIN, null),
            new Endpoint("POST", "/v1/tenants/{t}/keys", Access.TENANT_ADMIN,
                    "{\"provider\":\"local\",\"keyUri\":\"local:never\"}"),
            new Endpoint("GET", "/v1/tenants/{t}/keys", Access.TENANT_ADMIN, null),
            new Endpoint("POST", "/v1/tenants/{t}/keys/{k}:check", Access.TENANT_ADMIN, null),
            new Endpoint("POST", "/v1/tenants/{t}/keys/{k}:retire", Access.TENANT_ADMIN, "{\"force\":false}"),
            new Endpoint("POST", "/v1/tenants/{t}:revoke", Access.TENANT_ADMIN, "{\"reason\":\"not allowed\"}"),
            new Endpoint("POST", "/v1/tenants/{t}:restore", Access.TENANT_ADMIN, null),
            new Endpoint("GET", "/v1/tenants/{t}/audit", Access.TENANT_ADMIN, null),
            new Endpoint("GET", "/v1/tenants/{t}/audit:verify", Access.TENANT_ADMIN, null),
            new Endpoint("GET", "/v1/tenants/{t}/audit:export", Access.TENANT_ADMIN, null),
            new Endpoint("PUT", "/v1/tenants/{t}/audit-webhook", Access.TENANT_ADMIN,
                    "{\"url\":\"http://127.0.0.1:9/never\",\"secret\":\"never-set-0123456789\"}"),
            new Endpoint("DELETE", "/v1/tenants/{t}/audit-webhook", Access.TENANT_ADMIN, null),
            new Endpoint("GET", "/v1/admin/seal", Access.ADMIN, null),
            new Endpoint("POST", "/v1/admin/seal:reseal", Access.ADMIN, null),
            new Endpoint("POST", "/v1/admin/seal:wrap-root-key", Access.ADMIN,
                    "{\"provider\":\"local\",\"keyUri\":\"local:nope\"}"));

    public static final List<Endpoint> DATA = List.of(
            new Endpoint("POST", "/v1/tenants/{t}/encrypt", Access.APP, "{\"plaintext\":\"aGk=\",\"context\":{}}"),
            new Endpoint("POST", "/v1/tenants/{t}/decrypt", Access.APP, "{\"ciphertext\":\"aGk=\",\"context\":{}}"),
            new Endpoint("POST", "/v1/tenants/{t}/encrypt:batch", Access.APP,
                    "{\"items\":[{\"id\":\"1\",\"plaintext\":\"aGk=\"}]}"),
            new Endpoint("POST", "/v1/tenants/{t}/decrypt:batch", Access.APP,
                    "{\"items\":[{\"id\":\"1\",\"ciphertext\":\"aGk=\"}]}"),
            new Endpoint("POST", "/v1/tenants/{t}/rewrap", Access.APP, "{\"ciphertext\":\"aGk=\",\"context\":{}}"),
            new Endpoint("POST", "/v1/tenants/{t}/rewrap:batch", Access.APP,
                    "{\"items\":[{\"id\":\"1\",\"ciphertext\":\"aGk=\"}]}"),
            new Endpoint("POST", "/v1/tenants/{t}/datakey", Access.APP, "{\"context\":{}}"),
            new Endpoint("POST", "/v1/tenants/{t}/datakey:unwrap", Access.APP,
                    "{\"wrappedKey\":\"aGk=\",\"context\":{}}"));

    public static Stream<Endpoint> all() {
        return Stream.concat(ADMIN.stream(), DATA.stream());
    }
}
