package io.keyward.keys;

import io.quarkus.runtime.LaunchMode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalProviderPolicyTest {

    @Test
    void embeddedDefaultInProdAllowsTheLocalProvider() {
        assertTrue(ProviderSetup.localAllowed(true, LaunchMode.NORMAL, false));
    }

    @Test
    void postgresqlInProdRefusesTheLocalProviderUnlessExplicitlyAllowed() {
        assertFalse(ProviderSetup.localAllowed(false, LaunchMode.NORMAL, false));
        assertTrue(ProviderSetup.localAllowed(false, LaunchMode.NORMAL, true));
    }

    @Test
    void devAndTestAlwaysAllowIt() {
        assertTrue(ProviderSetup.localAllowed(false, LaunchMode.DEVELOPMENT, false));
        assertTrue(ProviderSetup.localAllowed(false, LaunchMode.TEST, false));
    }
}
