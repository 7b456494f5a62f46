package io.keyward.provider.pkcs11;

import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.ProviderSettings;

import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The operator's settings for {@code pkcs11}, from {@link ProviderSettings#properties()}: the libraries tenants may
 * name ({@code modules}), which tenants may use which token ({@code token-tenants.<label>}, {@code *} for any
 * tenant, label {@code *} for any token), the PIN directory and the session and thread bounds.
 */
record Pkcs11Settings(Set<String> modules, Map<String, Set<String>> tokenTenants, String pinDirectory,
        int maxSessions, long idleNanos, int maxConcurrentCalls) {
    private static final String ANY = "*";
    static final String TOKEN_TENANTS = "token-tenants.";

    static Pkcs11Settings from(ProviderSettings s) {
        Set<String> modules = new LinkedHashSet<>();
        for (String m : s.property("modules", "").split(",")) {
            if (!m.isBlank()) {
                modules.add(m.strip());
            }
        }
        Map<String, Set<String>> tokenTenants = new HashMap<>();
        s.properties().forEach((k, v) -> {
            if (k.startsWith(TOKEN_TENANTS)) {
                tokenTenants.put(k.substring(TOKEN_TENANTS.length()), Arrays.stream(v.split(","))
                        .map(String::strip).filter(t -> !t.isEmpty()).collect(Collectors.toUnmodifiableSet()));
            }
        });
        return new Pkcs11Settings(Set.copyOf(modules), Map.copyOf(tokenTenants), s.property("pin-directory", ""),
                Integer.parseInt(s.property("max-sessions", "16")),
                Duration.parse(s.property("session-idle-timeout", "PT60S")).toNanos(),
                Integer.parseInt(s.property("max-concurrent-calls", "64")));
    }

    /** The library for a tenant key's {@code module} option; without one, the only library allowed. */
    String module(String requested) {
        if (modules.isEmpty()) {
            throw new KeyMisconfiguredException("no PKCS#11 module is allowed on this deployment; the operator lists "
                    + "them in keyward.providers.pkcs11.modules");
        }
        if (requested == null) {
            if (modules.size() != 1) {
                throw new KeyMisconfiguredException("pkcs11 needs the option module: one of the PKCS#11 libraries the "
                        + "operator allows (ask them which)");
            }
            return modules.iterator().next();
        }
        if (!modules.contains(requested)) {
            throw new KeyMisconfiguredException("that PKCS#11 module is not allowed on this deployment; the module "
                    + "option must be one of the libraries the operator lists in keyward.providers.pkcs11.modules");
        }
        return requested;
    }

    private Set<String> tenantsOf(String tokenLabel) {
        Set<String> t = tokenTenants.get(tokenLabel);
        return t != null ? t : tokenTenants.get(ANY);
    }

    boolean tokenAssigned(String tokenLabel) {
        Set<String> t = tenantsOf(tokenLabel);
        return t != null && !t.isEmpty();
    }

    /** Whether {@code tenant} may use the token; a call that names no tenant passes only an any-tenant token. */
    boolean tokenAllowedFor(String tokenLabel, String tenant) {
        Set<String> t = tenantsOf(tokenLabel);
        return t != null && (t.contains(ANY) || tenant != null && t.contains(tenant));
    }
}
