package io.keyward.testing;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.HashMap;
import java.util.Map;

/**
 * Fast probing (every second) and short bounds on one provider's calls (one retry), so that revocation and outages
 * show within seconds. A test declares its own subclass, naming the provider and its bounds.
 */
public abstract class ShortBoundsProfile implements QuarkusTestProfile {
    private final Map<String, String> config = new HashMap<>();

    protected ShortBoundsProfile(String provider, String attemptTimeout, String deadline) {
        config.put("keyward.health.probe-interval", "1s");
        config.put("keyward.providers." + provider + ".attempt-timeout", attemptTimeout);
        config.put("keyward.providers." + provider + ".max-retries", "1");
        config.put("keyward.providers." + provider + ".deadline", deadline);
    }

    /** Adds one more setting to the profile. */
    protected final ShortBoundsProfile with(String key, String value) {
        config.put(key, value);
        return this;
    }

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.copyOf(config);
    }
}
