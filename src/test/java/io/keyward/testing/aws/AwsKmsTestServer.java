package io.keyward.testing.aws;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * A customer's AWS account on a loopback port, for tests: AWS KMS (awsJson1_1) and STS AssumeRole (query
 * protocol) on one endpoint, with SigV4 checked on every request, real AES-256-GCM under each key, key states,
 * key policies (which principals may use a key), roles with a trust policy and ExternalId, and network faults.
 * The provider under test reaches it through the real AWS SDK, exactly as it reaches AWS.
 *
 * <p>Two identities exist from the start: the SaaS's own access key ({@link #SAAS_ACCESS_KEY}, principal
 * {@link #SAAS_PRINCIPAL}, the one keyward runs as) and the customer's administrator ({@link #ADMIN_ACCESS_KEY},
 * the account root, who may create and manage keys over the wire, e.g. with the AWS CLI).
 */
public final class AwsKmsTestServer implements AutoCloseable {
    public static final String ACCOUNT = "111122223333";
    public static final String SAAS_ACCOUNT = "999988887777";
    public static final String REGION = "eu-west-1";
    public static final String SAAS_ACCESS_KEY = "AKIAKEYWARDTESTSAAS1";
    public static final String SAAS_SECRET_KEY = "keyward-saas-test-secret-key-0123456789";
    public static final String SAAS_PRINCIPAL = "arn:aws:iam::" + SAAS_ACCOUNT + ":role/keyward-service";
    public static final String ADMIN_ACCESS_KEY = "AKIACUSTOMERADMIN001";
    public static final String ADMIN_SECRET_KEY = "customer-admin-test-secret-key-9876543210";

    private final StsEmulator sts = new StsEmulator();
    private final KmsEmulator kms = new KmsEmulator(ACCOUNT, sts);
    private final FaultInjectingHttpServer http;

    public AwsKmsTestServer() {
        sts.addUser(SAAS_ACCESS_KEY, SAAS_SECRET_KEY, SAAS_PRINCIPAL);
        sts.addUser(ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY, "arn:aws:iam::" + ACCOUNT + ":root");
        http = new FaultInjectingHttpServer(new FaultInjectingHttpServer.Backend() {
            @Override
            public FaultInjectingHttpServer.Reply handle(FaultInjectingHttpServer.Call call) {
                return dispatch(call);
            }

            @Override
            public FaultInjectingHttpServer.Reply throttled(FaultInjectingHttpServer.Call call) {
                return isKms(call) ? KmsEmulator.error(400, "ThrottlingException", "Rate exceeded")
                        : StsEmulator.error(400, "Sender", "Throttling", "Rate exceeded");
            }
        });
    }

    public AwsKmsTestServer start() {
        http.start();
        return this;
    }

    /** The endpoint for both KMS ({@code endpoint}) and STS ({@code stsEndpoint}). */
    public URI endpoint() {
        return http.endpoint();
    }

    // ---- the customer acting in their account ----

    /** Creates an enabled symmetric key; returns its ARN. Nobody but the account root may use it yet. */
    public String createKey() {
        return createKey("ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT");
    }

    public String createKey(String keyUsage, String keySpec) {
        return kms.createKey(REGION, keyUsage, keySpec).arn;
    }

    /** Creates a role that trusts the SaaS's principal with {@code externalId}. */
    public void createRole(String roleArn, String externalId) {
        sts.addRole(roleArn, SAAS_PRINCIPAL, externalId);
    }

    /** Key policy: lets {@code principalArn} (a role ARN, or the SaaS principal) use the key. */
    public void allow(String keyArn, String principalArn) {
        kms.key(keyArn).users.add(principalArn);
    }

    /** Key policy: takes {@code principalArn}'s permission away (AccessDeniedException from then on). */
    public void deny(String keyArn, String principalArn) {
        kms.key(keyArn).users.remove(principalArn);
    }

    public void disable(String keyArn) {
        kms.key(keyArn).state = KmsEmulator.State.Disabled;
    }

    public void enable(String keyArn) {
        KmsEmulator.Key k = kms.key(keyArn);
        k.state = KmsEmulator.State.Enabled;
        k.deletionDate = null;
    }

    /** ScheduleKeyDeletion: KMSInvalidStateException until the window ends (or the deletion is cancelled). */
    public void scheduleDeletion(String keyArn) {
        KmsEmulator.Key k = kms.key(keyArn);
        k.state = KmsEmulator.State.PendingDeletion;
        k.deletionDate = java.time.Instant.now().plus(Duration.ofDays(7));
    }

    /** The waiting period is over: the key and its material are gone (NotFoundException). */
    public void destroy(String keyArn) {
        kms.destroy(keyArn);
    }

    /** Points {@code alias/<name>} at a key; returns the alias ARN. */
    public String alias(String name, String keyArn) {
        kms.alias(REGION, "alias/" + name, keyArn);
        return "arn:aws:kms:" + REGION + ":" + ACCOUNT + ":alias/" + name;
    }

    /** Edits the role's trust policy so the SaaS may no longer assume it (new sessions are refused). */
    public void removeTrust(String roleArn) {
        sts.role(roleArn).trustRemoved = true;
    }

    public void restoreTrust(String roleArn) {
        sts.role(roleArn).trustRemoved = false;
    }

    /** IAM "Revoke active sessions": sessions issued so far are denied everywhere. */
    public void revokeSessions(String roleArn) {
        sts.role(roleArn).sessionsRevokedBefore = java.time.Instant.now();
    }

    /** Every AssumeRole the server received, with the ExternalId it carried. */
    public List<AssumeRoleCall> assumeRoleCalls() {
        return sts.calls();
    }

    // ---- the network ----

    public void stop() {
        http.stop();
    }

    public void restart() {
        http.start();
    }

    public void delayResponses(Duration delay) {
        http.delayResponses(delay);
    }

    public void throttleNext(int n) {
        http.throttleNext(n);
    }

    public int requestCount() {
        return http.requestCount();
    }

    private FaultInjectingHttpServer.Reply dispatch(FaultInjectingHttpServer.Call call) {
        if (!"POST".equals(call.method())) {
            return KmsEmulator.error(400, "UnknownOperationException", "only POST is served");
        }
        if (isKms(call)) {
            return kms.handle(call);
        }
        String body = new String(call.body(), StandardCharsets.UTF_8);
        if (body.contains("Action=")) {
            return sts.handle(call);
        }
        return KmsEmulator.error(400, "UnknownOperationException", "no X-Amz-Target and no Action");
    }

    private static boolean isKms(FaultInjectingHttpServer.Call call) {
        String target = call.header("x-amz-target");
        return target != null && target.startsWith("TrentService.");
    }

    @Override
    public void close() {
        http.close();
    }
}
