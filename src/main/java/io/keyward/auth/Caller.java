package io.keyward.auth;

import java.util.Set;

/**
 * An authenticated caller: an API key or an OIDC subject, its roles, and the tenants it may use ({@code *} = all).
 * Holds no token. {@code id} is the API key id or the token's {@code iss} and {@code sub}; {@code auditName()} is
 * how it appears in the audit trail.
 */
public record Caller(String id, String name, Set<Role> roles, Set<String> tenants, String auditName) {
    public static final String ALL_TENANTS = "*";

    public Caller {
        roles = Set.copyOf(roles);
        tenants = Set.copyOf(tenants);
    }

    /** An API key's caller; audited as {@code api-key:<id>}. */
    public static Caller apiKey(String id, String name, Set<Role> roles, Set<String> tenants) {
        return new Caller(id, name, roles, tenants, "api-key:" + id);
    }

    /** Whether this caller is the API key {@code keyId} (an OIDC caller never is, whatever its subject). */
    public boolean isApiKey(String keyId) {
        return auditName.equals("api-key:" + keyId);
    }

    public boolean isAdmin() {
        return roles.contains(Role.ADMIN);
    }

    /** May this caller use the data plane of {@code tenantId}? admin, or app scoped to it. */
    public boolean mayUseTenant(String tenantId) {
        return isAdmin() || (roles.contains(Role.APP) && inScope(tenantId));
    }

    /** May this caller manage keys, read the audit trail and revoke/restore {@code tenantId}? */
    public boolean mayAdministerTenant(String tenantId) {
        return isAdmin() || (roles.contains(Role.TENANT_ADMIN) && inScope(tenantId));
    }

    private boolean inScope(String tenantId) {
        return tenants.contains(ALL_TENANTS) || tenants.contains(tenantId);
    }
}
