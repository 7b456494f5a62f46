package io.keyward.provider.aws;

import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeySpec;
import io.keyward.provider.ProviderSettings;
import io.keyward.testing.aws.FaultInjectingHttpServer;
import io.keyward.testing.aws.ForwardingBackend;
import io.keyward.testing.contract.KeyProviderContract;
import io.keyward.testing.contract.ProviderFixture;
import org.junit.jupiter.api.Tag;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.localstack.LocalStackContainer;
import org.testcontainers.utility.DockerImageName;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The same contract against LocalStack's KMS and STS (needs Docker: skipped without it, and excluded from the
 * default build; {@code ./mvnw verify -Pcontainers} runs it). The provider reaches LocalStack through a
 * {@link FaultInjectingHttpServer} so that the network faults of the contract can be played.
 *
 * <p>LocalStack's community edition does not enforce IAM or key policies, so removing keyward's access is played
 * by disabling the key here (what the customer would see is the same: KEY_REVOKED); the in-JVM
 * {@link AwsKmsContractTest} proves a real AccessDeniedException.
 */
@Tag("containers")
@Testcontainers(disabledWithoutDocker = true)
class AwsKmsContainersTest extends KeyProviderContract {
    private static final ProviderSettings SETTINGS = new ProviderSettings(Duration.ofMillis(500), 2,
            Duration.ofMillis(2500));

    @Container
    static final LocalStackContainer LOCALSTACK = new LocalStackContainer(
            DockerImageName.parse("localstack/localstack:4.4")).withServices("kms", "sts");

    @Override
    protected ProviderFixture createFixture() {
        return new LocalStackFixture();
    }

    private static final class LocalStackFixture implements ProviderFixture {
        private final FaultInjectingHttpServer front = new FaultInjectingHttpServer(
                new ForwardingBackend(LOCALSTACK.getEndpoint())).start();
        private final StaticCredentialsProvider credentials = StaticCredentialsProvider.create(
                AwsBasicCredentials.create(LOCALSTACK.getAccessKey(), LOCALSTACK.getSecretKey()));
        private final KmsClient admin = KmsClient.builder().region(Region.of(LOCALSTACK.getRegion()))
                .endpointOverride(LOCALSTACK.getEndpoint()).credentialsProvider(credentials).build();
        private final AwsKmsProvider provider = new AwsKmsProvider(SETTINGS, credentials, true);

        @Override
        public KeyProvider provider() {
            return provider;
        }

        @Override
        public KeySpec newKey() {
            String arn = admin.createKey(b -> b.description("keyward contract")).keyMetadata().arn();
            String account = arn.split(":")[4];
            String endpoint = front.endpoint().toString();
            return provider.validate(arn, Map.of("roleArn", "arn:aws:iam::" + account + ":role/keyward",
                    "externalId", "keyward-contract", "endpoint", endpoint, "stsEndpoint", endpoint));
        }

        @Override
        public void disable(KeySpec key) {
            admin.disableKey(b -> b.keyId(key.keyUri()));
        }

        @Override
        public void enable(KeySpec key) {
            admin.enableKey(b -> b.keyId(key.keyUri()));
        }

        @Override
        public void delete(KeySpec key) {
            admin.scheduleKeyDeletion(b -> b.keyId(key.keyUri()).pendingWindowInDays(7));
        }

        @Override
        public void denyAccess(KeySpec key) {
            disable(key); // LocalStack community does not enforce key policies: see the class comment
        }

        @Override
        public void stopServer() {
            front.stop();
        }

        @Override
        public void startServer() {
            front.start();
        }

        @Override
        public void delayResponses(Duration delay) {
            front.delayResponses(delay);
        }

        @Override
        public void throttleNext(int n) {
            front.throttleNext(n);
        }

        @Override
        public int requestCount() {
            return front.requestCount();
        }

        @Override
        public Duration deadline() {
            return SETTINGS.deadline();
        }

        @Override
        public List<Map.Entry<String, Map<String, String>>> malformedKeys() {
            return AwsKmsFixture.malformed(front.endpoint().toString());
        }

        @Override
        public void close() {
            provider.close();
            admin.close();
            front.close();
        }
    }
}
