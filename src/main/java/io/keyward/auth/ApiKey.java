package io.keyward.auth;

import java.time.Instant;
import java.util.Set;

/**
 * A stored API key: the SHA-256 of its token, never the token. {@code revokedAt} is null while the key is live; a
 * revoked key keeps its row and never authenticates again.
 */
public record ApiKey(String id, String name, String tokenHash, Set<Role> roles, Set<String> tenants, Instant createdAt,
        Instant revokedAt) {
    public Caller caller() {
        return Caller.apiKey(id, name, roles, tenants);
    }

    public boolean revoked() {
        return revokedAt != null;
    }

    public boolean isAdmin() {
        return roles.contains(Role.ADMIN);
    }

    ApiKey revokedAt(Instant at) {
        return new ApiKey(id, name, tokenHash, roles, tenants, createdAt, at);
    }

    @Override
    public String toString() {
        return "ApiKey[id=" + id + ", name=" + name + ", roles=" + roles + (revoked() ? ", revoked" : "") + "]";
    }
}
