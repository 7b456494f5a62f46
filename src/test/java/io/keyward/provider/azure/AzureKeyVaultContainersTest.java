package io.keyward.provider.azure;

import io.keyward.testing.azure.AzureKeyVaultFixture;
import io.keyward.testing.azure.LowkeyVaultFixture;
import io.keyward.testing.contract.KeyProviderContract;
import io.keyward.testing.contract.ProviderFixture;
import org.junit.jupiter.api.Tag;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;

import java.time.Duration;

/**
 * The same contract against Lowkey Vault, an independent Key Vault emulator, in Docker (-Pcontainers). Checks that
 * keyward's reading of the Key Vault protocol is not only the test server's. Network faults come from a proxy in
 * front of it ({@link io.keyward.testing.azure.KeyVaultFaultProxy}). Skipped without Docker.
 */
@Tag("containers")
@Testcontainers(disabledWithoutDocker = true)
class AzureKeyVaultContainersTest extends KeyProviderContract {

    @Container
    static final GenericContainer<?> LOWKEY = new GenericContainer<>(DockerImageName.parse("nagyesta/lowkey-vault:7.1.61"))
            .withExposedPorts(8443, 8080)
            // Relaxed ports: the vault answers whatever host:port the request (through the mapped port) names.
            .withEnv("LOWKEY_ARGS", "--server.port=8443 --LOWKEY_VAULT_RELAXED_PORTS=true")
            .waitingFor(Wait.forLogMessage(".*Started LowkeyVaultApp.*", 1).withStartupTimeout(Duration.ofMinutes(3)));

    @Override
    protected ProviderFixture createFixture() {
        return new LowkeyVaultFixture("https://localhost:" + LOWKEY.getMappedPort(8443),
                "http://" + LOWKEY.getHost() + ":" + LOWKEY.getMappedPort(8080), AzureKeyVaultFixture.quickSettings());
    }
}
