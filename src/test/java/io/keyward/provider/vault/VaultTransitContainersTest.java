package io.keyward.provider.vault;

import io.keyward.testing.contract.KeyProviderContract;
import io.keyward.testing.contract.ProviderFixture;
import io.keyward.testing.vault.VaultTestServer;
import io.keyward.testing.vault.VaultTransitFixture;
import org.junit.jupiter.api.Tag;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.vault.VaultContainer;

/**
 * The shared contract against a real HashiCorp Vault (dev mode, in Docker), administered over its HTTP API exactly as
 * the in-memory one is. The network faults (stop, slow, 429) are injected by a {@link VaultTestServer} proxying to
 * the container. Needs Docker: tagged {@code containers} (run with {@code -Pcontainers}) and skipped without Docker.
 */
@Tag("containers")
@Testcontainers(disabledWithoutDocker = true)
class VaultTransitContainersTest extends KeyProviderContract {
    private static final String ROOT_TOKEN = "keyward-root";

    @Container
    static final VaultContainer<?> VAULT = new VaultContainer<>("hashicorp/vault:1.18").withVaultToken(ROOT_TOKEN);

    @Override
    protected ProviderFixture createFixture() {
        VaultTestServer front = VaultTestServer.proxying(VAULT.getHttpHostAddress(), ROOT_TOKEN);
        return new VaultTransitFixture(front, VaultTransitContractTest.provider(VaultTransitContractTest.SETTINGS),
                VaultTransitFixture.Login.TOKEN, VaultTransitContractTest.SETTINGS.deadline(), true);
    }
}
