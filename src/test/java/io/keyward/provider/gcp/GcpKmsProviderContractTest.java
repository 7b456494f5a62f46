package io.keyward.provider.gcp;

import io.keyward.provider.ProviderSettings;
import io.keyward.testing.contract.KeyProviderContract;
import io.keyward.testing.contract.ProviderFixture;
import io.keyward.testing.gcp.GcpKmsFixture;

import java.time.Duration;

/** The shared provider contract, run against the Cloud KMS wire-protocol test server through the real SDK. */
class GcpKmsProviderContractTest extends KeyProviderContract {

    @Override
    protected ProviderFixture createFixture() {
        return new GcpKmsFixture(new ProviderSettings(Duration.ofMillis(300), 2, Duration.ofMillis(1500)));
    }
}
