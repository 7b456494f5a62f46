package io.keyward.provider.aws;

import io.keyward.testing.contract.KeyProviderContract;
import io.keyward.testing.contract.ProviderFixture;

/** The shared provider contract, for aws-kms over the KMS/STS wire-protocol test server. */
class AwsKmsContractTest extends KeyProviderContract {
    @Override
    protected ProviderFixture createFixture() {
        return new AwsKmsFixture();
    }
}
