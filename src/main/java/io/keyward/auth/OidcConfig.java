package io.keyward.auth;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.util.Map;

/**
 * {@code keyward.oidc.*}: how OIDC bearer JWTs become callers. The token itself (issuer, keys, audience) is
 * verified by quarkus-oidc under {@code quarkus.oidc.*}; docs/how-to/configure-oidc.md shows both halves. Kept
 * next to the code that reads it (not in KeywardConfig) so the identity part stays one package.
 */
@ConfigMapping(prefix = "keyward.oidc")
public interface OidcConfig {

    /**
     * Accept OIDC bearer JWTs besides API keys. Off by default: the embedded default needs no identity provider.
     * Also switches quarkus-oidc's default tenant on (application.properties).
     */
    @WithDefault("false")
    boolean enabled();

    /**
     * Claim holding the caller's roles: a JSON array or a space/comma-separated string. A dotted path
     * ({@code realm_access.roles}) walks nested objects when no top-level claim has that exact name.
     */
    @WithDefault("roles")
    String rolesClaim();

    /** Claim holding the tenant ids the caller is scoped to ({@code *} = all), same forms as the roles claim. */
    @WithDefault("keyward_tenants")
    String tenantsClaim();

    /**
     * Claim values that stand for keyward roles, e.g. {@code keyward.oidc.role-map."kw-ops"=admin}. Default: none;
     * a claim value equal to a role name ({@code admin}, {@code tenant-admin}, {@code app}) always maps to it.
     */
    Map<String, String> roleMap();
}
