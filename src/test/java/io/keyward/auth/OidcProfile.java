package io.keyward.auth;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.Map;

/**
 * keyward with OIDC on, verifying JWTs of the in-JVM {@link TestIssuer} by its public key (no discovery, no
 * network). Roles come from Keycloak's nested {@code realm_access.roles}, with one IdP group name mapped.
 */
public class OidcProfile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "keyward.oidc.enabled", "true",
                "quarkus.oidc.public-key", TestIssuer.publicKey(),
                "quarkus.oidc.token.issuer", TestIssuer.ISSUER,
                "quarkus.oidc.token.audience", TestIssuer.AUDIENCE,
                "keyward.oidc.roles-claim", "realm_access.roles",
                "keyward.oidc.role-map.\"" + TestIssuer.ROLE_OPERATORS + "\"", "admin");
    }
}
