package io.keyward.bench;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.KmsEnvelopeAead;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import io.keyward.audit.Actor;
import io.keyward.envelope.EncryptionContext;
import io.keyward.provider.KeySpec;
import io.keyward.provider.ProviderSettings;
import io.keyward.provider.aws.AwsKmsProvider;
import io.keyward.tenant.Tenant;
import io.keyward.testing.Api;
import io.keyward.testing.aws.AwsKmsTestServer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import static io.keyward.testing.Api.admin;

/**
 * Scenario 4: keyward against the naive envelope, both against {@link AwsKmsTestServer} with every response held
 * back to {@code kmsLatency} (its {@code delayResponses}), both in-process with the same threads, the same 1 KiB
 * plaintext and the same AWS SDK client code (keyward's aws-kms provider).
 *
 * <p>Naive: Tink's {@link KmsEnvelopeAead} (a fresh DEK per message, wrapped by one KMS Encrypt call) with the
 * provider as its remote AEAD. keyward: {@code CryptoService.encrypt} on a tenant whose primary key is an aws-kms
 * key on the same server (DEK cached). Targets: ≥ 50× the naive throughput; ≤ 1 wrap call per tenant per cache
 * max age. The app must see AWS credentials as system properties before its first AWS call (set here).
 */
final class NaiveEnvelopeScenario {
    static final Duration KMS_LATENCY = Duration.ofMillis(5);

    static void run(BenchSettings s, BenchApp app, BenchResults out, Duration cacheMaxAge) throws Exception {
        System.setProperty("aws.accessKeyId", AwsKmsTestServer.SAAS_ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", AwsKmsTestServer.SAAS_SECRET_KEY);
        AeadConfig.register();
        try (AwsKmsTestServer server = new AwsKmsTestServer().start();
                AwsKmsProvider provider = new AwsKmsProvider(new ProviderSettings(Duration.ofSeconds(10), 2,
                        Duration.ofSeconds(30)))) {
            String endpoint = server.endpoint().toString();
            String keyArn = server.createKey();
            String roleArn = "arn:aws:iam::" + AwsKmsTestServer.ACCOUNT + ":role/keyward-bench";
            String externalId = "bench-" + Api.unique("x");
            server.createRole(roleArn, externalId);
            server.allow(keyArn, roleArn);
            Map<String, String> options = Map.of("roleArn", roleArn, "externalId", externalId, "endpoint", endpoint,
                    "stsEndpoint", endpoint);

            // keyward: a tenant on that key, through the admin API as a customer would attach it.
            String tenantId = Api.unique("bench-aws");
            admin().body(Map.of("id", tenantId, "name", tenantId)).post("/v1/tenants").then().statusCode(201);
            admin().body(Map.of("provider", "aws-kms", "keyUri", keyArn, "options", options))
                    .post("/v1/tenants/" + tenantId + "/keys").then().statusCode(201);
            // naive: Tink's envelope with keyward's aws-kms provider as the remote AEAD (one KMS call per DEK).
            KeySpec spec = provider.validate(keyArn, options);
            Aead remote = new Aead() {
                @Override
                public byte[] encrypt(byte[] plaintext, byte[] aad) {
                    return provider.wrap(spec, plaintext, aad);
                }

                @Override
                public byte[] decrypt(byte[] ciphertext, byte[] aad) {
                    return provider.unwrap(spec, ciphertext, aad);
                }
            };
            Aead naive = KmsEnvelopeAead.create(PredefinedAeadParameters.AES256_GCM, remote);

            byte[] pt = new byte[HttpScenario.SIZE];
            byte[] aad = "table=cards;row=42".getBytes(StandardCharsets.UTF_8);
            EncryptionContext ctx = EncryptionContext.of(Map.of("table", "cards", "row", "42"));
            Actor actor = new Actor("bench", null);
            // Warm-up at full speed (class loading, STS session, keyward's first DEK), then the 5 ms KMS.
            naive.encrypt(pt, aad);
            app.crypto().encrypt(app.crypto().resolve(tenantId), pt, ctx, actor);
            server.delayResponses(KMS_LATENCY);

            long wrapsBefore = (long) app.providerCalls("aws-kms", "wrap");
            long startNanos = System.nanoTime();
            LoadLoop.run(s.connections(), s.warmUp(), (t, i) -> naive.encrypt(pt, aad));
            int naiveCallsBefore = server.requestCount();
            double naiveOps = LoadLoop.run(s.connections(), s.measure(), (t, i) -> naive.encrypt(pt, aad));
            int naiveCalls = server.requestCount() - naiveCallsBefore;

            LoadLoop.run(s.connections(), s.warmUp(), (t, i) -> {
                Tenant tenant = app.crypto().resolve(tenantId);
                app.crypto().encrypt(tenant, pt, ctx, actor);
            });
            int kwCallsBefore = server.requestCount();
            double kwOps = LoadLoop.run(s.connections(), s.measure(), (t, i) -> {
                Tenant tenant = app.crypto().resolve(tenantId);
                app.crypto().encrypt(tenant, pt, ctx, actor);
            });
            int kwCalls = server.requestCount() - kwCallsBefore;
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            long wraps = (long) app.providerCalls("aws-kms", "wrap") - wrapsBefore;
            server.delayResponses(Duration.ZERO);
            // The server stops with this scenario: the kill switch purges the tenant's DEKs, so the health prober
            // does not keep probing a key whose KMS is gone (the app lives on for the next test class).
            admin().body(Map.of("reason", "benchmark done")).post("/v1/tenants/" + tenantId + ":revoke").then()
                    .statusCode(200);

            String how = s.connections() + " threads, 1 KiB, KMS round trip held to " + KMS_LATENCY.toMillis()
                    + " ms";
            out.add(BenchRow.atLeast("naive-envelope", "encrypt ops/s vs naive", kwOps, "ops/s", naiveOps,
                    kwOps / naiveOps, 50, how));
            out.add(BenchRow.info("naive-envelope", "naive KMS calls per 10,000 ops",
                    naiveCalls * 10_000.0 / (naiveOps * s.measure().toMillis() / 1000.0), "calls", null, null,
                    "server requests during the naive window"));
            out.add(BenchRow.info("naive-envelope", "keyward KMS calls per 10,000 ops",
                    kwCalls * 10_000.0 / (kwOps * s.measure().toMillis() / 1000.0), "calls", null, null,
                    "server requests during keyward's window, health probes included"));
            double maxAges = Math.max(1.0, Math.ceil(seconds / cacheMaxAge.toSeconds()));
            out.add(BenchRow.atMost("naive-envelope", "keyward wrap calls per tenant per max age", wraps / maxAges,
                    "calls", null, wraps / maxAges, 1.0, wraps + " wraps in " + Math.round(seconds)
                            + " s of load, cache max age " + cacheMaxAge.toSeconds() + " s, 1 tenant"));
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
        }
    }

    private NaiveEnvelopeScenario() {
    }
}
