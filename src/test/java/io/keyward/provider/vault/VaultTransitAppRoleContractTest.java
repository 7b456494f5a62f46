package io.keyward.provider.vault;

import io.keyward.testing.contract.KeyProviderContract;
import io.keyward.testing.contract.ProviderFixture;
import io.keyward.testing.vault.VaultTestServer;
import io.keyward.testing.vault.VaultTransitFixture;

/**
 * The same contract with AppRole login: keyward caches the client token it got from {@code auth/approle/login}, so
 * revocation must still be seen (a refused token gets one fresh login, then counts as revoked).
 */
class VaultTransitAppRoleContractTest extends KeyProviderContract {

    @Override
    protected ProviderFixture createFixture() {
        return new VaultTransitFixture(VaultTestServer.inMemory(),
                VaultTransitContractTest.provider(VaultTransitContractTest.SETTINGS),
                VaultTransitFixture.Login.APPROLE, VaultTransitContractTest.SETTINGS.deadline(), true);
    }
}
