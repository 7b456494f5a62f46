package io.keyward.provider.pkcs11;

import io.keyward.provider.KeyProviderFactory;
import io.keyward.provider.ProviderSettings;
import io.keyward.testing.contract.KeyProviderContract;
import io.keyward.testing.contract.ProviderFixture;
import io.keyward.testing.pkcs11.Pkcs11Fixture;

import java.time.Duration;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shared provider contract for {@code pkcs11} against a real SoftHSM2 token: keys generated in the token,
 * disabled, destroyed and whole tokens removed by a separate instance of the library (the customer's console),
 * library failures injected in front of the real module.
 */
class Pkcs11ContractTest extends KeyProviderContract {
    static final ProviderSettings SETTINGS = new ProviderSettings(Duration.ofMillis(300), 2, Duration.ofMillis(1500));

    @Override
    protected ProviderFixture createFixture() {
        assertTrue(ServiceLoader.load(KeyProviderFactory.class).stream()
                .anyMatch(f -> f.get().id().equals(Pkcs11Provider.ID)), "pkcs11 is listed in META-INF/services");
        return new Pkcs11Fixture(SETTINGS);
    }
}
