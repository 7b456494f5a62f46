package io.keyward.provider;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The providers this instance may use, by id. Built once at start-up from the enabled providers. */
public final class KeyProviderRegistry {
    private final Map<String, KeyProvider> providers;

    public KeyProviderRegistry(Collection<KeyProvider> providers) {
        Map<String, KeyProvider> byId = new TreeMap<>();
        for (KeyProvider p : providers) {
            if (byId.putIfAbsent(p.id(), p) != null) {
                throw new IllegalStateException("two providers share the id " + p.id());
            }
        }
        this.providers = Map.copyOf(byId);
    }

    public Optional<KeyProvider> find(String id) {
        return id == null ? Optional.empty() : Optional.ofNullable(providers.get(id));
    }

    public java.util.Set<String> ids() {
        return new java.util.TreeSet<>(providers.keySet());
    }
}
