package io.keyward.testing.contract;

import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeySpec;
import io.keyward.provider.local.LocalKeyProvider;
import io.keyward.provider.local.LocalKms;
import io.keyward.testing.Dirs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The local stand-in passes the same contract, minus the network faults it cannot have. */
class LocalKeyProviderContractTest extends KeyProviderContract {

    @Override
    protected ProviderFixture createFixture() {
        try {
            Path dir = Files.createTempDirectory("local-kms-contract");
            LocalKms kms = new LocalKms(dir);
            LocalKeyProvider provider = new LocalKeyProvider(kms);
            return new ProviderFixture() {
                @Override
                public KeyProvider provider() {
                    return provider;
                }

                @Override
                public KeySpec newKey() {
                    String name = "k" + UUID.randomUUID().toString().substring(0, 8);
                    kms.create(name);
                    return provider.validate("local:" + name, Map.of());
                }

                private String name(KeySpec k) {
                    return k.keyUri().substring("local:".length());
                }

                @Override
                public void disable(KeySpec key) {
                    kms.disable(name(key));
                }

                @Override
                public void enable(KeySpec key) {
                    kms.enable(name(key));
                }

                @Override
                public void delete(KeySpec key) {
                    kms.destroy(name(key));
                }

                @Override
                public void denyAccess(KeySpec key) {
                    // The stand-in has no access policy; disabling is the only way to withhold the key.
                    kms.disable(name(key));
                }

                @Override
                public boolean hasNetwork() {
                    return false;
                }

                @Override
                public void stopServer() {
                    throw new UnsupportedOperationException();
                }

                @Override
                public void startServer() {
                    throw new UnsupportedOperationException();
                }

                @Override
                public void delayResponses(Duration delay) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public void throttleNext(int n) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public int requestCount() {
                    return 0;
                }

                @Override
                public Duration deadline() {
                    return Duration.ofSeconds(1);
                }

                @Override
                public List<Map.Entry<String, Map<String, String>>> malformedKeys() {
                    return List.of(Map.entry("local:", Map.of()), Map.entry("local:../x", Map.of()),
                            Map.entry("aws-kms:k", Map.of()), Map.entry("local:k", Map.of("endpoint", "x")));
                }

                @Override
                public void close() {
                    try {
                        Dirs.deleteTree(dir);
                    } catch (java.io.UncheckedIOException ignored) {
                        // temp dir; best effort
                    }
                }
            };
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
