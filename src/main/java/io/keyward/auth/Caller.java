package io.keyward.auth;

import java.util.Set;

/**
 * An authenticated caller: an API key's id and name, its roles, and the tenants it may use ({@code *} = all).
 * Holds no token.
 */
public record Caller(String id, String name, Set<Role> roles, Set<String> tenants) {
    public static final String ALL_TENANTS = "*";

    public Caller {
        roles = Set.copyOf(roles);
        tenants = Set.copyOf(tenants);
    }

    public boolean isAdmin() {
        return roles.contains(Role.ADMIN);
    }

    /** May this caller use the data plane of {@code tenantId}? */
    public boolean mayUseTenant(String tenantId) {
        return isAdmin() || (roles.contains(Role.APP) && (tenants.contains(ALL_TENANTS) || tenants.contains(tenantId)));
    }

    /** How the caller appears in the audit trail. */
    public String auditName() {
        return "api-key:" + id;
    }
}
