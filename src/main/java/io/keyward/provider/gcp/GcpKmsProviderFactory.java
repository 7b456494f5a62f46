package io.keyward.provider.gcp;

import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyProviderFactory;
import io.keyward.provider.ProviderSettings;

/** Plugs the Cloud KMS provider in through {@link java.util.ServiceLoader}; creating it does no network I/O. */
public final class GcpKmsProviderFactory implements KeyProviderFactory {
    @Override
    public String id() {
        return GcpKmsProvider.ID;
    }

    @Override
    public KeyProvider create(ProviderSettings settings) {
        return new GcpKmsProvider(settings);
    }
}
