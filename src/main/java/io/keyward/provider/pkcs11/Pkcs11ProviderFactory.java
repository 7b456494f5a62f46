package io.keyward.provider.pkcs11;

import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyProviderFactory;
import io.keyward.provider.ProviderSettings;

/** Plugs {@link Pkcs11Provider} in through {@code META-INF/services/io.keyward.provider.KeyProviderFactory}. */
public final class Pkcs11ProviderFactory implements KeyProviderFactory {

    @Override
    public String id() {
        return Pkcs11Provider.ID;
    }

    @Override
    public KeyProvider create(ProviderSettings settings) {
        return new Pkcs11Provider(settings);
    }
}
