package io.keyward.testing.azure;

import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeySpec;
import io.keyward.provider.ProviderSettings;
import io.keyward.provider.azure.AzureKeyVaultProviderFactory;
import io.keyward.testing.contract.ProviderFixture;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The {@code azure-keyvault} provider, built by its factory as keyward builds it, against a {@link KeyVaultTestServer}
 * with the client-secret identity (tenant, client, secret and token endpoint all on the test server).
 */
public final class AzureKeyVaultFixture implements ProviderFixture {
    private final KeyVaultTestServer server;
    private final ProviderSettings settings;
    private final KeyProvider provider;

    public AzureKeyVaultFixture(ProviderSettings settings) {
        this.server = KeyVaultTestServer.start();
        // A Retry-After of 1 s would use most of a 1.5 s test deadline; the retry path is the same with 0.
        this.server.throttleRetryAfterSeconds(0);
        this.settings = settings;
        this.provider = new AzureKeyVaultProviderFactory().create(settings);
        warmUp(server);
    }

    /**
     * The first Azure SDK call in a JVM loads Netty, Reactor, TLS and MSAL (seconds on a busy machine), which a
     * 1.5 s test deadline must not pay for. A throw-away provider with generous bounds pays it once; the provider
     * under test still fetches its own token and makes all its own calls.
     */
    public static void warmUp(KeyVaultTestServer server) {
        KeyProvider warm = new AzureKeyVaultProviderFactory().create(
                new ProviderSettings(Duration.ofSeconds(20), 2, Duration.ofSeconds(60)));
        warm.check(warm.validate(server.createRsaKey("warm-up-" + newName()), server.clientSecretOptions()));
    }

    /** The short bounds the contract and provider tests run with. */
    public static ProviderSettings quickSettings() {
        return new ProviderSettings(Duration.ofMillis(300), 2, Duration.ofMillis(1500));
    }

    public KeyVaultTestServer server() {
        return server;
    }

    @Override
    public KeyProvider provider() {
        return provider;
    }

    public static String newName() {
        return "k-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Override
    public KeySpec newKey() {
        return provider.validate(server.createRsaKey(newName()), server.clientSecretOptions());
    }

    public static String name(KeySpec key) {
        String uri = key.keyUri();
        String rest = uri.substring(uri.indexOf("/keys/") + "/keys/".length());
        int slash = rest.indexOf('/');
        return slash < 0 ? rest : rest.substring(0, slash);
    }

    @Override
    public void disable(KeySpec key) {
        server.disable(name(key));
    }

    @Override
    public void enable(KeySpec key) {
        server.enable(name(key));
    }

    @Override
    public void delete(KeySpec key) {
        server.delete(name(key));
    }

    @Override
    public void denyAccess(KeySpec key) {
        server.denyAccess(name(key));
    }

    @Override
    public Network network() {
        return new Network(server::stopServer, server::startServer, server::delayResponses,
                server::throttleNext, server::vaultRequestCount);
    }

    @Override
    public Duration deadline() {
        return settings.deadline();
    }

    @Override
    public List<Map.Entry<String, Map<String, String>>> malformedKeys() {
        Map<String, String> creds = server.clientSecretOptions();
        String good = "https://contoso-keys.vault.azure.net/keys/tenant-kek";
        return List.of(
                Map.entry("http://contoso-keys.vault.azure.net/keys/tenant-kek", Map.of()),
                Map.entry("https://contoso-keys.vault.azure.com/keys/tenant-kek", Map.of()),
                Map.entry("https://contoso-keys.vault.azure.net/secrets/tenant-kek", Map.of()),
                Map.entry("https://contoso-keys.vault.azure.net/keys/tenant_kek", Map.of()),
                Map.entry("https://contoso-keys.vault.azure.net/keys/tenant-kek/not-a-version", Map.of()),
                Map.entry("https://contoso-keys.vault.azure.net/keys/tenant-kek/0123/extra", Map.of()),
                Map.entry("https://ab.vault.azure.net/keys/tenant-kek", Map.of()),
                Map.entry("https://contoso-keys.vault.azure.net:8443/keys/tenant-kek", Map.of()),
                Map.entry("https://contoso-keys.vault.azure.net/keys/tenant-kek?api-version=7.4", Map.of()),
                Map.entry("not a uri at all", Map.of()),
                Map.entry(good, Map.of("region", "westeurope")),
                Map.entry(good, Map.of("algorithm", "RSA1_5")),
                Map.entry(good, Map.of("algorithm", "A256KW")),
                Map.entry(good, Map.of("clientSecret", "s3cret")),
                Map.entry(good, Map.of("clientId", "not-a-guid")),
                Map.entry(good, Map.of("authorityHost", "https://login.example.com")),
                Map.entry(good, Map.of("trustCertificatePem", server.certificatePem())),
                // A loopback (emulator) key id is never given keyward's own identity.
                Map.entry(server.keyUri("k"), Map.of()),
                Map.entry(server.keyUri("k"), with(creds, "trustCertificatePem", "not a certificate")));
    }

    private static Map<String, String> with(Map<String, String> base, String k, String v) {
        Map<String, String> m = new HashMap<>(base);
        m.put(k, v);
        return m;
    }

    @Override
    public void close() {
        server.close();
    }
}
