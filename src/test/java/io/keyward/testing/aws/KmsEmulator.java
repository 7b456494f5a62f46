package io.keyward.testing.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyward.testing.SigV4Verifier;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * AWS KMS in the awsJson1_1 protocol ({@code X-Amz-Target: TrentService.<Operation>}), with real AES-256-GCM
 * under each key, the encryption context bound as associated data, key states, aliases and per-key access.
 * Errors are KMS's own: {@code {"__type": ..., "message": ...}} with KMS's status codes
 * (https://docs.aws.amazon.com/kms/latest/APIReference/CommonErrors.html and each action's Errors section).
 *
 * <p>CiphertextBlob: {@code 0x01 'K' | u8 id length | key id | 12-byte IV | GCM ciphertext+tag}. Like KMS's
 * own blobs it names its key, so Decrypt finds the key without a KeyId and refuses a KeyId that is not it.
 */
final class KmsEmulator {
    static final String CONTENT_TYPE = "application/x-amz-json-1.1";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] MAGIC = {0x01, 'K'};

    private final String account;
    private final StsEmulator iam;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Key> keys = new ConcurrentHashMap<>();
    private final Map<String, String> aliases = new ConcurrentHashMap<>(); // "region/alias/name" -> key id

    enum State { Enabled, Disabled, PendingDeletion }

    static final class Key {
        final String id;
        final String region;
        final String arn;
        final byte[] material;
        final String usage;
        final String spec;
        final Instant created = Instant.now();
        final Set<String> users = ConcurrentHashMap.newKeySet(); // principals the key policy lets use the key
        volatile State state = State.Enabled;
        volatile Instant deletionDate;

        Key(String id, String region, String account, byte[] material, String usage, String spec) {
            this.id = id;
            this.region = region;
            this.arn = "arn:aws:kms:" + region + ":" + account + ":key/" + id;
            this.material = material;
            this.usage = usage;
            this.spec = spec;
        }
    }

    /** A KMS error, thrown inside an operation and rendered at the edge. */
    static final class KmsError extends RuntimeException {
        final int status;
        final String type;

        KmsError(int status, String type, String message) {
            super(message, null, false, false);
            this.status = status;
            this.type = type;
        }
    }

    KmsEmulator(String account, StsEmulator iam) {
        this.account = account;
        this.iam = iam;
    }

    Key createKey(String region, String usage, String spec) {
        byte[] material = new byte[32];
        random.nextBytes(material);
        Key k = new Key(UUID.randomUUID().toString(), region, account, material, usage, spec);
        keys.put(k.id, k);
        return k;
    }

    Key key(String idOrArn) {
        String id = idOrArn.substring(idOrArn.lastIndexOf('/') + 1);
        Key k = keys.get(id);
        if (k == null) {
            throw new IllegalArgumentException("no key " + idOrArn);
        }
        return k;
    }

    void destroy(String idOrArn) {
        keys.remove(key(idOrArn).id);
    }

    void alias(String region, String aliasName, String keyId) {
        aliases.put(region + "/" + aliasName, key(keyId).id);
    }

    FaultInjectingHttpServer.Reply handle(FaultInjectingHttpServer.Call call) {
        String target = call.header("x-amz-target");
        String operation = target.substring(target.indexOf('.') + 1);
        try {
            StsEmulator.Authentication auth = iam.authenticate(call, "kms");
            if (!auth.ok()) {
                throw switch (auth.errorCode()) {
                    case "UnrecognizedClient" -> new KmsError(400, "UnrecognizedClientException", auth.message());
                    case "InvalidSignature" -> new KmsError(400, "InvalidSignatureException", auth.message());
                    case "ExpiredToken" -> new KmsError(400, "ExpiredTokenException", auth.message());
                    default -> new KmsError(400, "MissingAuthenticationTokenException", auth.message());
                };
            }
            String region = SigV4Verifier.parse(call.header("authorization")).region();
            JsonNode in = call.body().length == 0 ? JSON.createObjectNode() : JSON.readTree(call.body());
            ObjectNode out = new Operation(auth.identity(), region, in).run(operation);
            return new FaultInjectingHttpServer.Reply(200, CONTENT_TYPE, JSON.writeValueAsBytes(out),
                    Map.of("x-amzn-RequestId", UUID.randomUUID().toString()));
        } catch (KmsError e) {
            return error(e.status, e.type, e.getMessage());
        } catch (IOException e) {
            return error(400, "SerializationException", "the request body is not JSON");
        }
    }

    static FaultInjectingHttpServer.Reply error(int status, String type, String message) {
        ObjectNode body = JSON.createObjectNode().put("__type", type);
        // KMS spells it "message" for its modeled errors and "Message" for some common ones; the SDK reads both.
        body.put(type.equals("AccessDeniedException") ? "Message" : "message", message);
        try {
            return new FaultInjectingHttpServer.Reply(status, CONTENT_TYPE, JSON.writeValueAsBytes(body),
                    Map.of("x-amzn-RequestId", UUID.randomUUID().toString()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One request, by one caller, in one Region. */
    private final class Operation {
        private final StsEmulator.Identity caller;
        private final String region;
        private final JsonNode in;

        Operation(StsEmulator.Identity caller, String region, JsonNode in) {
            this.caller = caller;
            this.region = region;
            this.in = in;
        }

        ObjectNode run(String operation) {
            return switch (operation) {
                case "CreateKey" -> createKey();
                case "DescribeKey" -> JSON.createObjectNode().set("KeyMetadata", metadata(usable("DescribeKey", false)));
                case "Encrypt" -> encrypt();
                case "Decrypt" -> decrypt();
                case "GenerateDataKey" -> generateDataKey();
                case "DisableKey" -> setState(State.Disabled);
                case "EnableKey" -> setState(State.Enabled);
                case "ScheduleKeyDeletion" -> scheduleDeletion();
                case "CancelKeyDeletion" -> setState(State.Disabled);
                case "CreateAlias", "UpdateAlias" -> alias();
                default -> throw new KmsError(400, "UnknownOperationException", "unknown operation " + operation);
            };
        }

        private ObjectNode createKey() {
            requireAdmin("CreateKey", "*");
            Key k = KmsEmulator.this.createKey(region, text("KeyUsage", "ENCRYPT_DECRYPT"),
                    text("KeySpec", text("CustomerMasterKeySpec", "SYMMETRIC_DEFAULT")));
            return JSON.createObjectNode().set("KeyMetadata", metadata(k));
        }

        private ObjectNode encrypt() {
            Key k = usable("Encrypt", true);
            byte[] plaintext = bytes("Plaintext");
            if (plaintext == null || plaintext.length == 0 || plaintext.length > 4096) {
                throw new KmsError(400, "ValidationException", "Plaintext must be 1 to 4096 bytes");
            }
            return JSON.createObjectNode().put("CiphertextBlob", b64(seal(k, plaintext, context())))
                    .put("KeyId", k.arn).put("EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
        }

        private ObjectNode generateDataKey() {
            Key k = usable("GenerateDataKey", true);
            int n = in.has("NumberOfBytes") ? in.get("NumberOfBytes").asInt()
                    : "AES_128".equals(text("KeySpec", "AES_256")) ? 16 : 32;
            byte[] plaintext = new byte[n];
            random.nextBytes(plaintext);
            return JSON.createObjectNode().put("CiphertextBlob", b64(seal(k, plaintext, context())))
                    .put("Plaintext", b64(plaintext)).put("KeyId", k.arn);
        }

        private ObjectNode decrypt() {
            byte[] blob = bytes("CiphertextBlob");
            ByteBuffer b = blob == null ? ByteBuffer.allocate(0) : ByteBuffer.wrap(blob);
            if (b.remaining() < 3 + 12 + 16 || b.get() != MAGIC[0] || b.get() != MAGIC[1]) {
                throw invalidCiphertext();
            }
            int idLength = Byte.toUnsignedInt(b.get());
            if (b.remaining() < idLength + 12 + 16) {
                throw invalidCiphertext();
            }
            byte[] id = new byte[idLength];
            b.get(id);
            String blobKeyId = new String(id, StandardCharsets.US_ASCII);
            Key k;
            if (in.hasNonNull("KeyId")) {
                k = usable("Decrypt", true);
                if (!k.id.equals(blobKeyId)) {
                    throw new KmsError(400, "IncorrectKeyException", "The key ID in the request does not identify "
                            + "a CMK that can perform this operation.");
                }
            } else {
                Key named = keys.get(blobKeyId);
                if (named == null || !named.region.equals(region)) {
                    throw new KmsError(400, "AccessDeniedException", "The ciphertext refers to a customer master key"
                            + " that does not exist, does not exist in this region, or you are not allowed to access.");
                }
                k = check(named, "Decrypt", true);
            }
            byte[] iv = new byte[12];
            b.get(iv);
            byte[] sealed = new byte[b.remaining()];
            b.get(sealed);
            try {
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(k.material, "AES"), new GCMParameterSpec(128, iv));
                c.updateAAD(context());
                byte[] plaintext = c.doFinal(sealed);
                return JSON.createObjectNode().put("Plaintext", b64(plaintext)).put("KeyId", k.arn)
                        .put("EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
            } catch (GeneralSecurityException e) {
                throw invalidCiphertext();
            }
        }

        private ObjectNode setState(State state) {
            Key k = resolve();
            requireAdmin(state == State.Enabled ? "EnableKey" : "DisableKey", k.arn);
            if (k.state == State.PendingDeletion && state == State.Enabled) {
                throw new KmsError(400, "KMSInvalidStateException", k.arn + " is pending deletion.");
            }
            k.state = state;
            k.deletionDate = null;
            return JSON.createObjectNode().put("KeyId", k.arn);
        }

        private ObjectNode scheduleDeletion() {
            Key k = resolve();
            requireAdmin("ScheduleKeyDeletion", k.arn);
            int days = in.has("PendingWindowInDays") ? in.get("PendingWindowInDays").asInt() : 30;
            if (days < 7 || days > 30) {
                throw new KmsError(400, "ValidationException", "PendingWindowInDays must be between 7 and 30");
            }
            k.state = State.PendingDeletion;
            k.deletionDate = Instant.now().plusSeconds(days * 86_400L);
            return JSON.createObjectNode().put("KeyId", k.arn).put("DeletionDate", k.deletionDate.getEpochSecond())
                    .put("KeyState", "PendingDeletion").put("PendingWindowInDays", days);
        }

        private ObjectNode alias() {
            String name = text("AliasName", "");
            if (!name.startsWith("alias/") || name.startsWith("alias/aws/")) {
                throw new KmsError(400, "ValidationException", "AliasName must start with alias/ and not alias/aws/");
            }
            Key target = KmsEmulator.this.keys.get(text("TargetKeyId", "").replaceAll(".*/", ""));
            if (target == null) {
                throw new KmsError(400, "NotFoundException", "Key '" + text("TargetKeyId", "") + "' does not exist");
            }
            requireAdmin("CreateAlias", target.arn);
            aliases.put(region + "/" + name, target.id);
            return JSON.createObjectNode();
        }

        /** Resolves KeyId (key id, key ARN, alias name or alias ARN) in this Region and account. */
        private Key resolve() {
            String keyId = text("KeyId", null);
            if (keyId == null) {
                throw new KmsError(400, "ValidationException", "KeyId is required");
            }
            String id = keyId;
            if (keyId.startsWith("arn:")) {
                String[] parts = keyId.split(":", 6);
                if (parts.length != 6 || !parts[2].equals("kms")) {
                    throw new KmsError(400, "InvalidArnException", "Invalid arn " + keyId);
                }
                if (!parts[3].equals(region) || !parts[4].equals(account)) {
                    throw new KmsError(400, "NotFoundException", "Invalid keyId " + keyId);
                }
                id = parts[5];
            }
            if (id.startsWith("alias/")) {
                String target = aliases.get(region + "/" + id);
                if (target == null) {
                    throw new KmsError(400, "NotFoundException", "Alias " + keyId + " is not found.");
                }
                id = target;
            } else if (id.startsWith("key/")) {
                id = id.substring(4);
            }
            Key k = keys.get(id);
            if (k == null || !k.region.equals(region)) {
                throw new KmsError(400, "NotFoundException", "Key '" + keyId + "' does not exist");
            }
            return k;
        }

        private Key usable(String action, boolean cryptographic) {
            return check(resolve(), action, cryptographic);
        }

        /** The key policy first (AccessDenied whatever the state), then the key state. */
        private Key check(Key k, String action, boolean cryptographic) {
            boolean admin = caller.principalArn().equals("arn:aws:iam::" + account + ":root");
            if (!admin && (!k.users.contains(userOf(caller)) || iam.sessionRevoked(caller))) {
                throw new KmsError(400, "AccessDeniedException", "User: " + caller.principalArn()
                        + " is not authorized to perform: kms:" + action + " on resource: " + k.arn
                        + " because no resource-based policy allows the kms:" + action + " action");
            }
            if (!cryptographic) {
                return k;
            }
            if (k.state == State.Disabled) {
                throw new KmsError(400, "DisabledException", k.arn + " is disabled.");
            }
            if (k.state == State.PendingDeletion) {
                throw new KmsError(400, "KMSInvalidStateException", k.arn + " is pending deletion.");
            }
            if (!k.usage.equals("ENCRYPT_DECRYPT") || !k.spec.equals("SYMMETRIC_DEFAULT")) {
                throw new KmsError(400, "InvalidKeyUsageException", "KeyUsage " + k.usage + " / KeySpec " + k.spec
                        + " is not valid for " + action);
            }
            return k;
        }

        private void requireAdmin(String action, String resource) {
            if (!caller.principalArn().equals("arn:aws:iam::" + account + ":root")) {
                throw new KmsError(400, "AccessDeniedException", "User: " + caller.principalArn()
                        + " is not authorized to perform: kms:" + action + " on resource: " + resource);
            }
        }

        private ObjectNode metadata(Key k) {
            ObjectNode md = JSON.createObjectNode()
                    .put("AWSAccountId", account).put("KeyId", k.id).put("Arn", k.arn)
                    .put("CreationDate", k.created.getEpochSecond()).put("Enabled", k.state == State.Enabled)
                    .put("Description", "").put("KeyUsage", k.usage).put("KeyState", k.state.name())
                    .put("Origin", "AWS_KMS").put("KeyManager", "CUSTOMER").put("CustomerMasterKeySpec", k.spec)
                    .put("KeySpec", k.spec).put("MultiRegion", false);
            md.putArray("EncryptionAlgorithms").add("SYMMETRIC_DEFAULT");
            if (k.deletionDate != null) {
                md.put("DeletionDate", k.deletionDate.getEpochSecond());
            }
            return md;
        }

        private byte[] seal(Key k, byte[] plaintext, byte[] aad) {
            try {
                byte[] iv = new byte[12];
                random.nextBytes(iv);
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(k.material, "AES"), new GCMParameterSpec(128, iv));
                c.updateAAD(aad);
                byte[] sealed = c.doFinal(plaintext);
                byte[] id = k.id.getBytes(StandardCharsets.US_ASCII);
                return ByteBuffer.allocate(3 + id.length + 12 + sealed.length).put(MAGIC).put((byte) id.length)
                        .put(id).put(iv).put(sealed).array();
            } catch (GeneralSecurityException e) {
                throw new KmsError(500, "KMSInternalException", "internal error");
            }
        }

        /** The encryption context, canonical (sorted, length-prefixed), as GCM associated data. */
        private byte[] context() {
            TreeMap<String, String> ctx = new TreeMap<>();
            JsonNode node = in.get("EncryptionContext");
            if (node != null) {
                node.fields().forEachRemaining(e -> ctx.put(e.getKey(), e.getValue().asText()));
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ctx.forEach((k, v) -> {
                byte[] kb = k.getBytes(StandardCharsets.UTF_8);
                byte[] vb = v.getBytes(StandardCharsets.UTF_8);
                out.writeBytes(ByteBuffer.allocate(4).putInt(kb.length).array());
                out.writeBytes(kb);
                out.writeBytes(ByteBuffer.allocate(4).putInt(vb.length).array());
                out.writeBytes(vb);
            });
            return out.toByteArray();
        }

        private String text(String field, String fallback) {
            JsonNode n = in.get(field);
            return n == null || n.isNull() ? fallback : n.asText();
        }

        private byte[] bytes(String field) {
            String s = text(field, null);
            try {
                return s == null ? null : Base64.getDecoder().decode(s);
            } catch (IllegalArgumentException e) {
                throw new KmsError(400, "SerializationException", field + " is not base64");
            }
        }
    }

    /** A key policy names roles, not their sessions: a session acts as its role. */
    private static String userOf(StsEmulator.Identity caller) {
        return caller.session() ? caller.roleArn() : caller.principalArn();
    }

    private static KmsError invalidCiphertext() {
        return new KmsError(400, "InvalidCiphertextException", null);
    }

    private static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }
}
