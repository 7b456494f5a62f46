package io.keyward.provider;

import java.util.Map;
import java.util.TreeMap;

/**
 * A validated reference to a customer's key-encryption key: which provider, the key URI in that provider's
 * syntax, and its options (region, role, endpoint...). Options may hold credentials later, so
 * {@link #toString()} never prints their values.
 */
public record KeySpec(String provider, String keyUri, Map<String, String> options) {
    public KeySpec {
        options = options == null ? Map.of() : Map.copyOf(options);
    }

    public String option(String name) {
        return options.get(name);
    }

    @Override
    public String toString() {
        return "KeySpec[provider=" + provider + ", keyUri=" + keyUri + ", options="
                + new TreeMap<>(options).keySet() + "]";
    }
}
