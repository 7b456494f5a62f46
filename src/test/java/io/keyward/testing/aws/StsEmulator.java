package io.keyward.testing.aws;

import io.keyward.testing.SigV4Verifier;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The IAM side of the test account and STS AssumeRole in the query protocol
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html): long-term access keys, roles with
 * a trust policy (which principal may assume them, with which ExternalId), the temporary sessions AssumeRole
 * hands out, and SigV4 authentication of every request with those keys.
 */
final class StsEmulator {
    private static final SigV4Verifier SIGV4 = new SigV4Verifier(null, Duration.ofMinutes(15));
    static final String XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/";
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Identity> keys = new ConcurrentHashMap<>();
    private final Map<String, Role> roles = new ConcurrentHashMap<>();
    private final List<AssumeRoleCall> calls = new CopyOnWriteArrayList<>();

    /** An access key and who it belongs to; {@code roleArn} and {@code token} for role sessions. */
    record Identity(String accessKeyId, String secret, String principalArn, String roleArn, String token,
            Instant issued, Instant expires) {
        boolean session() {
            return roleArn != null;
        }
    }

    /** A role in the customer's account; its trust policy names one principal and an sts:ExternalId. */
    static final class Role {
        final String arn;
        volatile String trustedPrincipal;
        volatile String externalId;
        volatile boolean trustRemoved;
        volatile Instant sessionsRevokedBefore = Instant.EPOCH;

        Role(String arn, String trustedPrincipal, String externalId) {
            this.arn = arn;
            this.trustedPrincipal = trustedPrincipal;
            this.externalId = externalId;
        }
    }

    /** Who signed a request, or why it is refused. */
    record Authentication(Identity identity, String errorCode, String message) {
        boolean ok() {
            return identity != null;
        }
    }

    void addUser(String accessKeyId, String secret, String principalArn) {
        keys.put(accessKeyId, new Identity(accessKeyId, secret, principalArn, null, null, Instant.EPOCH, null));
    }

    void addRole(String roleArn, String trustedPrincipal, String externalId) {
        roles.put(roleArn, new Role(roleArn, trustedPrincipal, externalId));
    }

    Role role(String roleArn) {
        Role r = roles.get(roleArn);
        if (r == null) {
            throw new IllegalArgumentException("no role " + roleArn);
        }
        return r;
    }

    List<AssumeRoleCall> calls() {
        return List.copyOf(calls);
    }

    /** Checks the SigV4 signature with the secret of the key it names. {@code service} is kms or sts. */
    Authentication authenticate(FaultInjectingHttpServer.Call call, String service) {
        SigV4Verifier.Claim claim = SigV4Verifier.parse(call.header("authorization"));
        if (claim == null) {
            return new Authentication(null, "MissingAuthenticationToken", "Request is missing Authentication Token");
        }
        Identity id = keys.get(claim.accessKeyId());
        if (id == null) {
            return new Authentication(null, "UnrecognizedClient",
                    "The security token included in the request is invalid.");
        }
        if (!claim.service().equals(service)) {
            return new Authentication(null, "InvalidSignature", "Credential should be scoped to correct service: '"
                    + service + "'.");
        }
        String wrong = SIGV4.verify(claim, id.secret(),
                new SigV4Verifier.Request(call.method(), call.rawPath(), call.rawQuery(), call.headers(), call.body()));
        if (wrong != null) {
            return new Authentication(null, "InvalidSignature", wrong);
        }
        if (id.session()) {
            if (!id.token().equals(call.header("x-amz-security-token"))) {
                return new Authentication(null, "UnrecognizedClient",
                        "The security token included in the request is invalid.");
            }
            if (Instant.now().isAfter(id.expires())) {
                return new Authentication(null, "ExpiredToken", "The security token included in the request is expired");
            }
        }
        return new Authentication(id, null, null);
    }

    /** True if {@code id} is a role session the customer revoked ("Revoke active sessions"). */
    boolean sessionRevoked(Identity id) {
        if (!id.session()) {
            return false;
        }
        Role r = roles.get(id.roleArn());
        return r == null || !id.issued().isAfter(r.sessionsRevokedBefore);
    }

    FaultInjectingHttpServer.Reply handle(FaultInjectingHttpServer.Call call) {
        Map<String, String> form = form(new String(call.body(), StandardCharsets.UTF_8));
        if (!"AssumeRole".equals(form.get("Action"))) {
            return error(400, "Sender", "InvalidAction", "Could not find operation " + form.get("Action"));
        }
        Authentication auth = authenticate(call, "sts");
        if (!auth.ok()) {
            return switch (auth.errorCode()) {
                case "UnrecognizedClient" -> error(403, "Sender", "InvalidClientTokenId", auth.message());
                case "InvalidSignature" -> error(403, "Sender", "SignatureDoesNotMatch", auth.message());
                case "ExpiredToken" -> error(400, "Sender", "ExpiredToken", auth.message());
                default -> error(403, "Sender", "MissingAuthenticationToken", auth.message());
            };
        }
        return assumeRole(auth.identity(), form);
    }

    private FaultInjectingHttpServer.Reply assumeRole(Identity caller, Map<String, String> form) {
        String roleArn = form.get("RoleArn");
        String externalId = form.get("ExternalId");
        String sessionName = form.get("RoleSessionName");
        if (roleArn == null || sessionName == null || !sessionName.matches("^[\\w+=,.@-]{2,64}$")) {
            return error(400, "Sender", "ValidationError", "RoleArn and a valid RoleSessionName are required");
        }
        Role role = roles.get(roleArn);
        boolean allowed = role != null && !role.trustRemoved && role.trustedPrincipal.equals(caller.principalArn())
                && (role.externalId == null || role.externalId.equals(externalId));
        calls.add(new AssumeRoleCall(roleArn, externalId, sessionName, caller.principalArn(), allowed));
        if (!allowed) {
            // What STS says whatever the reason (no such role, trust policy, wrong ExternalId): it does not tell.
            return error(403, "Sender", "AccessDenied", "User: " + caller.principalArn()
                    + " is not authorized to perform: sts:AssumeRole on resource: " + roleArn);
        }
        int seconds = form.containsKey("DurationSeconds") ? Integer.parseInt(form.get("DurationSeconds")) : 3600;
        if (seconds < 900 || seconds > 43200) {
            return error(400, "Sender", "ValidationError", "DurationSeconds must be between 900 and 43200");
        }
        Instant now = Instant.now();
        Instant expires = now.plusSeconds(seconds);
        String accessKeyId = "ASIA" + token(8).toUpperCase(java.util.Locale.ROOT);
        String account = roleArn.split(":")[4];
        String roleName = roleArn.substring(roleArn.lastIndexOf('/') + 1);
        Identity session = new Identity(accessKeyId, token(20), "arn:aws:sts::" + account + ":assumed-role/"
                + roleName + "/" + sessionName, roleArn, token(48), now, expires);
        keys.put(accessKeyId, session);
        String xml = "<AssumeRoleResponse xmlns=\"" + XMLNS + "\">"
                + "<AssumeRoleResult>"
                + "<AssumedRoleUser><AssumedRoleId>AROA" + token(8).toUpperCase(java.util.Locale.ROOT) + ":"
                + sessionName + "</AssumedRoleId><Arn>" + session.principalArn() + "</Arn></AssumedRoleUser>"
                + "<Credentials><AccessKeyId>" + accessKeyId + "</AccessKeyId>"
                + "<SecretAccessKey>" + session.secret() + "</SecretAccessKey>"
                + "<SessionToken>" + session.token() + "</SessionToken>"
                + "<Expiration>" + DateTimeFormatter.ISO_INSTANT.format(expires) + "</Expiration></Credentials>"
                + "</AssumeRoleResult>"
                + "<ResponseMetadata><RequestId>" + UUID.randomUUID() + "</RequestId></ResponseMetadata>"
                + "</AssumeRoleResponse>";
        return new FaultInjectingHttpServer.Reply(200, "text/xml", xml.getBytes(StandardCharsets.UTF_8));
    }

    /** STS's error document (https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html). */
    static FaultInjectingHttpServer.Reply error(int status, String type, String code, String message) {
        String xml = "<ErrorResponse xmlns=\"" + XMLNS + "\"><Error><Type>" + type + "</Type><Code>" + code
                + "</Code><Message>" + escape(message) + "</Message></Error><RequestId>" + UUID.randomUUID()
                + "</RequestId></ErrorResponse>";
        return new FaultInjectingHttpServer.Reply(status, "text/xml", xml.getBytes(StandardCharsets.UTF_8));
    }

    static Map<String, String> form(String body) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String p : body.split("&")) {
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            out.put(URLDecoder.decode(eq < 0 ? p : p.substring(0, eq), StandardCharsets.UTF_8),
                    eq < 0 ? "" : URLDecoder.decode(p.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return out;
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private String token(int bytes) {
        byte[] b = new byte[bytes];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
