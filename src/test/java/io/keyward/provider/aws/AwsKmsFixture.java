package io.keyward.provider.aws;

import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeySpec;
import io.keyward.provider.ProviderSettings;
import io.keyward.testing.aws.AwsKmsTestServer;
import io.keyward.testing.contract.ProviderFixture;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The aws-kms provider over {@link AwsKmsTestServer}, as keyward runs it: keyward signs as the SaaS's own
 * identity, assumes a per-tenant role in the customer's account with the tenant's ExternalId, and calls KMS
 * with the role's session. Each key gets its own role, as each tenant would.
 */
final class AwsKmsFixture implements ProviderFixture {
    static final ProviderSettings SETTINGS = new ProviderSettings(Duration.ofMillis(300), 2, Duration.ofMillis(1500));
    private static final AtomicInteger ROLES = new AtomicInteger();

    final AwsKmsTestServer server = new AwsKmsTestServer().start();
    final AwsKmsProvider provider;

    AwsKmsFixture() {
        this(SETTINGS);
    }

    AwsKmsFixture(ProviderSettings settings) {
        warmUp(server);
        provider = new AwsKmsProvider(settings, saasCredentials(), false);
    }

    private static StaticCredentialsProvider saasCredentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(AwsKmsTestServer.SAAS_ACCESS_KEY,
                AwsKmsTestServer.SAAS_SECRET_KEY));
    }

    /**
     * Loads the SDK's classes (HTTP client, signer, JSON and XML protocols) with one unhurried round trip, so the
     * short attempt timeouts under test measure the server, not a cold JVM on a busy machine: the first SDK
     * request in a JVM can spend most of a second in class loading.
     */
    static void warmUp(AwsKmsTestServer server) {
        String keyArn = server.createKey();
        String roleArn = "arn:aws:iam::" + AwsKmsTestServer.ACCOUNT + ":role/keyward-warm-up-"
                + ROLES.incrementAndGet();
        server.createRole(roleArn, "warm-up");
        server.allow(keyArn, roleArn);
        String endpoint = server.endpoint().toString();
        try (AwsKmsProvider unhurried = new AwsKmsProvider(new ProviderSettings(Duration.ofSeconds(10), 2,
                Duration.ofSeconds(30)), saasCredentials(), false)) {
            unhurried.check(unhurried.validate(keyArn, Map.of(AwsKeyReference.ROLE_ARN, roleArn,
                    AwsKeyReference.EXTERNAL_ID, "warm-up", AwsKeyReference.ENDPOINT, endpoint,
                    AwsKeyReference.STS_ENDPOINT, endpoint)));
        }
    }

    @Override
    public KeyProvider provider() {
        return provider;
    }

    @Override
    public KeySpec newKey() {
        String keyArn = server.createKey();
        String roleArn = newRole(UUID.randomUUID().toString());
        server.allow(keyArn, roleArn);
        return provider.validate(keyArn, options(roleArn, externalIdOf(roleArn)));
    }

    /** A role in the customer's account trusting the SaaS with {@code externalId}; returns its ARN. */
    String newRole(String externalId) {
        String roleArn = "arn:aws:iam::" + AwsKmsTestServer.ACCOUNT + ":role/keyward-tenant-" + ROLES.incrementAndGet();
        server.createRole(roleArn, externalId);
        externalIds.put(roleArn, externalId);
        return roleArn;
    }

    private final Map<String, String> externalIds = new java.util.concurrent.ConcurrentHashMap<>();

    String externalIdOf(String roleArn) {
        return externalIds.get(roleArn);
    }

    Map<String, String> options(String roleArn, String externalId) {
        String endpoint = server.endpoint().toString();
        return Map.of(AwsKeyReference.ROLE_ARN, roleArn, AwsKeyReference.EXTERNAL_ID, externalId,
                AwsKeyReference.ENDPOINT, endpoint, AwsKeyReference.STS_ENDPOINT, endpoint);
    }

    static String roleOf(KeySpec key) {
        return key.option(AwsKeyReference.ROLE_ARN);
    }

    @Override
    public void disable(KeySpec key) {
        server.disable(key.keyUri());
    }

    @Override
    public void enable(KeySpec key) {
        server.enable(key.keyUri());
    }

    @Override
    public void delete(KeySpec key) {
        server.scheduleDeletion(key.keyUri());
    }

    @Override
    public void denyAccess(KeySpec key) {
        server.deny(key.keyUri(), roleOf(key));
    }

    @Override
    public Network network() {
        return new Network(server::stop, server::restart, server::delayResponses, server::throttleNext,
                server::requestCount);
    }

    @Override
    public Duration deadline() {
        return SETTINGS.deadline();
    }

    @Override
    public List<Map.Entry<String, Map<String, String>>> malformedKeys() {
        return malformed(server.endpoint().toString());
    }

    static List<Map.Entry<String, Map<String, String>>> malformed(String endpoint) {
        String key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        String role = "arn:aws:iam::111122223333:role/keyward";
        return List.of(
                Map.entry("", Map.of()),
                Map.entry("local:k", Map.of()),
                Map.entry("1234abcd-12ab-34cd-56ef-1234567890ab", Map.of()),
                Map.entry("arn:aws:kms:us-east-1x:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", Map.of()),
                Map.entry("arn:aws:kms:eu-west-1:11112222333:key/1234abcd-12ab-34cd-56ef-1234567890ab", Map.of()),
                Map.entry("arn:aws:kms:eu-west-1:111122223333:key/not-a-key-id", Map.of()),
                Map.entry("arn:aws:s3:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", Map.of()),
                Map.entry("arn:aws:kms:eu-west-1:111122223333:alias/aws/ebs", Map.of()),
                Map.entry(key, Map.of("roleArn", role)),
                Map.entry(key, Map.of("externalId", "tenant-1")),
                Map.entry(key, Map.of("roleArn", "arn:aws:iam::111122223333:user/bob", "externalId", "tenant-1")),
                Map.entry(key, Map.of("region", "eu-west-1")),
                Map.entry(key, Map.of("endpoint", "ftp://" + endpoint.substring("http://".length()))),
                Map.entry(key, Map.of("endpoint", "http://kms.example.com")),
                Map.entry(key, Map.of("roleArn", role, "externalId", "x")));
    }

    @Override
    public void close() {
        provider.close();
        server.close();
    }
}
