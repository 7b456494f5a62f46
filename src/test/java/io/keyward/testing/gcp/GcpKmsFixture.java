package io.keyward.testing.gcp;

import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeySpec;
import io.keyward.provider.ProviderSettings;
import io.keyward.provider.gcp.GcpKmsProvider;
import io.keyward.testing.contract.ProviderFixture;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The {@code gcp-kms} provider against {@link CloudKmsTestServer}: keys are created and revoked by
 * {@link CloudKmsCustomer} through the real SDK, the provider reaches the server over plaintext gRPC on loopback.
 */
public final class GcpKmsFixture implements ProviderFixture {
    public static final String PROJECT = "keyward-test";
    public static final String LOCATION = "us-east1";
    public static final String KEY_RING = "tenants";

    private final ProviderSettings settings;
    private final CloudKmsTestServer server;
    private final GcpKmsProvider provider;

    public GcpKmsFixture(ProviderSettings settings) {
        this.settings = settings;
        this.server = CloudKmsTestServer.start();
        this.provider = new GcpKmsProvider(settings);
    }

    public CloudKmsTestServer server() {
        return server;
    }

    @Override
    public KeyProvider provider() {
        return provider;
    }

    @Override
    public KeySpec newKey() {
        String name = server.customer().createKeyForKeyward(PROJECT, LOCATION, KEY_RING,
                "k-" + UUID.randomUUID().toString().substring(0, 8));
        return provider.validate(name, server.providerOptions());
    }

    @Override
    public void disable(KeySpec key) {
        server.customer().disable(key.keyUri());
    }

    @Override
    public void enable(KeySpec key) {
        server.customer().enable(key.keyUri());
    }

    /** Cloud KMS never deletes a key outright: its version is scheduled for destruction (30 days later by default). */
    @Override
    public void delete(KeySpec key) {
        server.customer().scheduleDestruction(key.keyUri());
    }

    @Override
    public void denyAccess(KeySpec key) {
        server.customer().removeKeywardAccess(key.keyUri());
    }

    @Override
    public Network network() {
        return new Network(server::stop, server::restart, server::delayResponses, server::throttleNext,
                server::requestCount);
    }

    @Override
    public Duration deadline() {
        return settings.deadline();
    }

    @Override
    public List<Map.Entry<String, Map<String, String>>> malformedKeys() {
        Map<String, String> ok = server.providerOptions();
        String good = "projects/keyward-test/locations/us-east1/keyRings/tenants/cryptoKeys/k1";
        return List.of(
                Map.entry("", ok),
                Map.entry("projects/keyward-test/locations/us-east1/keyRings/tenants", ok),
                Map.entry("project/keyward-test/locations/us-east1/keyRings/tenants/cryptoKeys/k1", ok),
                Map.entry("projects/Keyward_Test/locations/us-east1/keyRings/tenants/cryptoKeys/k1", ok),
                Map.entry("projects/keyward-test/locations/us_east1/keyRings/tenants/cryptoKeys/k1", ok),
                Map.entry("projects/keyward-test/locations/us-east1/keyRings/ten ants/cryptoKeys/k1", ok),
                Map.entry("projects/keyward-test/locations/us-east1/keyRings/tenants/cryptoKeys/" + "k".repeat(64), ok),
                Map.entry(good + "/cryptoKeyVersions/1", ok),
                Map.entry("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", ok),
                Map.entry(good, Map.of("endpoint", "kms.example.com:443")),
                Map.entry(good, Map.of("endpoint", "10.0.0.1:9090", "transport", "plaintext")),
                Map.entry(good, Map.of("endpoint", "127.0.0.1:99999", "transport", "plaintext")),
                Map.entry(good, Map.of("transport", "carrier-pigeon")),
                Map.entry(good, Map.of("region", "us-east1")));
    }

    @Override
    public void close() {
        provider.close();
        server.close();
    }
}
