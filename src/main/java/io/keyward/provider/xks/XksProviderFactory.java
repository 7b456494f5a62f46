package io.keyward.provider.xks;

import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyProviderFactory;
import io.keyward.provider.ProviderSettings;

/** Plugs {@link XksProvider} in through {@code META-INF/services/io.keyward.provider.KeyProviderFactory}. */
public final class XksProviderFactory implements KeyProviderFactory {

    @Override
    public String id() {
        return XksProvider.ID;
    }

    @Override
    public KeyProvider create(ProviderSettings settings) {
        return new XksProvider(settings);
    }
}
