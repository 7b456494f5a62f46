package io.keyward.testing.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A Vault ACL policy in its JSON form ({@code {"path": {"transit/encrypt/k": {"capabilities": ["update"]}}}}), which
 * real Vault accepts as well as HCL (https://developer.hashicorp.com/vault/docs/concepts/policies). Evaluation follows
 * Vault's rules closely enough for keyward's tests: rules of all the token's policies for the same path are merged,
 * {@code deny} wins, an exact path beats a glob ({@code prefix*}), a longer glob beats a shorter one, and no matching
 * rule means no access.
 */
final class AclPolicy {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Set<String>> rules;

    private AclPolicy(Map<String, Set<String>> rules) {
        this.rules = rules;
    }

    /** Parses the policy text; throws IllegalArgumentException when it is not a JSON policy. */
    static AclPolicy parse(String text) {
        try {
            JsonNode paths = JSON.readTree(text).path("path");
            if (!paths.isObject()) {
                throw new IllegalArgumentException("policy has no \"path\" object");
            }
            Map<String, Set<String>> rules = new HashMap<>();
            paths.fields().forEachRemaining(e -> {
                Set<String> caps = new LinkedHashSet<>();
                e.getValue().path("capabilities").forEach(c -> caps.add(c.asText()));
                String path = e.getKey().startsWith("/") ? e.getKey().substring(1) : e.getKey();
                rules.put(path, caps);
            });
            return new AclPolicy(rules);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("failed to parse policy: the test server reads JSON policies only");
        }
    }

    /** Whether the merged {@code policies} grant {@code capability} on {@code path}. */
    static boolean allows(Collection<AclPolicy> policies, String path, String capability) {
        Map<String, Set<String>> merged = new HashMap<>();
        for (AclPolicy p : policies) {
            p.rules.forEach((pattern, caps) -> merged.computeIfAbsent(pattern, k -> new LinkedHashSet<>())
                    .addAll(caps));
        }
        Set<String> exact = merged.get(path);
        Set<String> chosen = exact;
        if (chosen == null) {
            int best = -1;
            for (Map.Entry<String, Set<String>> e : merged.entrySet()) {
                String pattern = e.getKey();
                if (pattern.endsWith("*") && matchesGlob(pattern, path) && pattern.length() > best) {
                    best = pattern.length();
                    chosen = e.getValue();
                }
            }
        }
        return chosen != null && !chosen.contains("deny") && chosen.contains(capability);
    }

    /** {@code prefix*} with {@code +} standing for exactly one path segment. */
    private static boolean matchesGlob(String pattern, String path) {
        String prefix = pattern.substring(0, pattern.length() - 1);
        String[] want = prefix.split("/", -1);
        String[] have = path.split("/", -1);
        if (have.length < want.length) {
            return false;
        }
        for (int i = 0; i < want.length; i++) {
            boolean last = i == want.length - 1;
            if (want[i].equals("+")) {
                continue;
            }
            if (last ? !have[i].startsWith(want[i]) : !have[i].equals(want[i])) {
                return false;
            }
        }
        return true;
    }
}
