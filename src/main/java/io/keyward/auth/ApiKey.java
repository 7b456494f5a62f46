package io.keyward.auth;

import java.time.Instant;
import java.util.Set;

/** A stored API key: the SHA-256 of its token, never the token. */
public record ApiKey(String id, String name, String tokenHash, Set<Role> roles, Set<String> tenants, Instant createdAt) {
    public Caller caller() {
        return Caller.apiKey(id, name, roles, tenants);
    }

    @Override
    public String toString() {
        return "ApiKey[id=" + id + ", name=" + name + ", roles=" + roles + "]";
    }
}
