package io.keyward.provider.aws;

import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyProviderFactory;
import io.keyward.provider.ProviderSettings;

/** Plugs {@code aws-kms} into keyward (listed in META-INF/services). Cheap: no SDK client is built here. */
public final class AwsKmsProviderFactory implements KeyProviderFactory {
    @Override
    public String id() {
        return AwsKmsProvider.ID;
    }

    @Override
    public KeyProvider create(ProviderSettings settings) {
        return new AwsKmsProvider(settings);
    }
}
