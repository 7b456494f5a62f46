package io.keyward.testing.gcp;

import com.google.cloud.kms.v1.CryptoKey;
import com.google.cloud.kms.v1.CryptoKeyVersion;
import com.google.cloud.kms.v1.CryptoKeyVersion.CryptoKeyVersionAlgorithm;
import com.google.cloud.kms.v1.CryptoKeyVersion.CryptoKeyVersionState;
import com.google.cloud.kms.v1.CryptoKeyVersionTemplate;
import com.google.cloud.kms.v1.DecryptRequest;
import com.google.cloud.kms.v1.DecryptResponse;
import com.google.cloud.kms.v1.EncryptRequest;
import com.google.cloud.kms.v1.EncryptResponse;
import com.google.cloud.kms.v1.KeyRing;
import com.google.cloud.kms.v1.ProtectionLevel;
import com.google.iam.v1.Binding;
import com.google.iam.v1.Policy;
import com.google.protobuf.ByteString;
import com.google.protobuf.Int64Value;
import com.google.protobuf.Timestamp;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * The resources of a Cloud KMS project as the test server keeps them: key rings, symmetric crypto keys with versions
 * in real states (ENABLED, DISABLED, DESTROY_SCHEDULED, DESTROYED), per-key IAM policies, and real AES-256-GCM
 * with additional authenticated data. Answers use Cloud KMS's status codes and message shapes
 * (https://cloud.google.com/kms/docs/reference/rpc/google.cloud.kms.v1); failures are thrown as
 * {@link StatusRuntimeException} for the gRPC layer to send.
 *
 * <p>Ciphertext layout (opaque to clients, as Cloud KMS's own is): 16-byte version tag, 12-byte nonce, GCM output.
 * The tag names the key version that encrypted, so Decrypt, which is given only the crypto key, finds the version;
 * the tag is authenticated along with the caller's AAD.
 */
final class CloudKmsState {
    /** The identity keyward runs as (the plaintext test transport carries no token; see {@link CloudKmsTestServer}). */
    static final String KEYWARD = "serviceAccount:keyward@keyward-test.iam.gserviceaccount.com";
    /** The customer's administrator: owner of every project on this server. */
    static final String OWNER = "user:owner@customer.example";

    static final String USE_TO_ENCRYPT = "cloudkms.cryptoKeyVersions.useToEncrypt";
    static final String USE_TO_DECRYPT = "cloudkms.cryptoKeyVersions.useToDecrypt";
    static final String GET_KEY = "cloudkms.cryptoKeys.get";
    static final String GET_IAM = "cloudkms.cryptoKeys.getIamPolicy";
    static final String SET_IAM = "cloudkms.cryptoKeys.setIamPolicy";
    static final String UPDATE_VERSION = "cloudkms.cryptoKeyVersions.update";

    /** Predefined roles, reduced to the permissions this server checks (https://cloud.google.com/kms/docs/reference/permissions-and-roles). */
    static final Map<String, Set<String>> ROLES = Map.of(
            "roles/cloudkms.cryptoKeyEncrypterDecrypter", Set.of(USE_TO_ENCRYPT, USE_TO_DECRYPT),
            "roles/cloudkms.cryptoKeyEncrypter", Set.of(USE_TO_ENCRYPT),
            "roles/cloudkms.cryptoKeyDecrypter", Set.of(USE_TO_DECRYPT),
            "roles/cloudkms.viewer", Set.of(GET_KEY),
            "roles/cloudkms.admin", Set.of(GET_KEY, GET_IAM, SET_IAM, UPDATE_VERSION));

    static final Pattern PARENT = Pattern.compile("projects/([^/]+)/locations/([^/]+)");
    static final Pattern KEY_RING = Pattern.compile("projects/[^/]+/locations/[^/]+/keyRings/([^/]+)");
    static final Pattern CRYPTO_KEY = Pattern.compile("(projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+)");
    static final Pattern VERSION = Pattern.compile(CRYPTO_KEY.pattern() + "/cryptoKeyVersions/([0-9]+)");
    private static final Pattern ID = Pattern.compile("[a-zA-Z0-9_-]{1,63}");
    /** "The default scheduled for destruction duration is 30 days." (https://cloud.google.com/kms/docs/destroy-restore) */
    private static final Duration DESTROY_SCHEDULED_DURATION = Duration.ofDays(30);
    private static final int TAG = 16;
    private static final int NONCE = 12;
    private static final int MAX = 64 * 1024;

    private final SecureRandom random = new SecureRandom();
    private final Map<String, Instant> keyRings = new HashMap<>();
    private final Map<String, Key> keys = new HashMap<>();

    private static final class Key {
        final String name;
        final CryptoKey.CryptoKeyPurpose purpose;
        final Instant created = Instant.now();
        final List<Version> versions = new ArrayList<>();
        int primary;
        Policy policy = Policy.newBuilder().setVersion(1).build();

        Key(String name, CryptoKey.CryptoKeyPurpose purpose) {
            this.name = name;
            this.purpose = purpose;
        }
    }

    private static final class Version {
        final int number;
        final byte[] tag;
        byte[] material;
        CryptoKeyVersionState state = CryptoKeyVersionState.ENABLED;
        Instant destroyTime;

        Version(int number, byte[] tag, byte[] material) {
            this.number = number;
            this.tag = tag;
            this.material = material;
        }
    }

    // ---- administration ----------------------------------------------------------------------------------------

    synchronized KeyRing createKeyRing(String principal, String parent, String id) {
        Matcher p = PARENT.matcher(parent);
        if (!p.matches()) {
            throw invalid("parent must be projects/*/locations/*");
        }
        requireOwner(principal, "cloudkms.keyRings.create", parent);
        if (!ID.matcher(id).matches()) {
            throw invalid("key_ring_id must match [a-zA-Z0-9_-]{1,63}");
        }
        String name = parent + "/keyRings/" + id;
        if (keyRings.putIfAbsent(name, Instant.now()) != null) {
            throw Status.ALREADY_EXISTS.withDescription("KeyRing " + name + " already exists.").asRuntimeException();
        }
        return KeyRing.newBuilder().setName(name).setCreateTime(ts(keyRings.get(name))).build();
    }

    synchronized CryptoKey createCryptoKey(String principal, String parent, String id, CryptoKey template,
            boolean skipInitialVersion) {
        if (!KEY_RING.matcher(parent).matches()) {
            throw invalid("parent must be projects/*/locations/*/keyRings/*");
        }
        requireOwner(principal, "cloudkms.cryptoKeys.create", parent);
        if (!keyRings.containsKey(parent)) {
            throw Status.NOT_FOUND.withDescription(parent + " not found.").asRuntimeException();
        }
        if (!ID.matcher(id).matches()) {
            throw invalid("crypto_key_id must match [a-zA-Z0-9_-]{1,63}");
        }
        if (template.getPurpose() == CryptoKey.CryptoKeyPurpose.CRYPTO_KEY_PURPOSE_UNSPECIFIED) {
            throw invalid("CryptoKey.purpose is required.");
        }
        String name = parent + "/cryptoKeys/" + id;
        if (keys.containsKey(name)) {
            throw Status.ALREADY_EXISTS.withDescription("CryptoKey " + name + " already exists.").asRuntimeException();
        }
        Key key = new Key(name, template.getPurpose());
        keys.put(name, key);
        if (!skipInitialVersion) {
            addVersion(key);
            if (key.purpose == CryptoKey.CryptoKeyPurpose.ENCRYPT_DECRYPT) {
                key.primary = 1; // only symmetric keys have a primary version
            }
        }
        return describe(key);
    }

    synchronized CryptoKey getCryptoKey(String principal, String name) {
        return describe(existingKey(principal, name, GET_KEY));
    }

    synchronized CryptoKeyVersion createCryptoKeyVersion(String principal, String parent) {
        Key key = existingKey(principal, parent, UPDATE_VERSION);
        return describe(key, addVersion(key));
    }

    synchronized CryptoKey updatePrimaryVersion(String principal, String name, String versionId) {
        Key key = existingKey(principal, name, UPDATE_VERSION);
        Version v = version(key, key.name + "/cryptoKeyVersions/" + versionId);
        if (v.state != CryptoKeyVersionState.ENABLED) {
            throw failedPrecondition(key, v);
        }
        key.primary = v.number;
        return describe(key);
    }

    /** Only ENABLED and DISABLED may be set here; destruction and restore have their own methods, as in Cloud KMS. */
    synchronized CryptoKeyVersion updateVersionState(String principal, CryptoKeyVersion update, List<String> mask) {
        Matcher m = VERSION.matcher(update.getName());
        if (!m.matches()) {
            throw invalid("CryptoKeyVersion.name must be projects/*/locations/*/keyRings/*/cryptoKeys/*/cryptoKeyVersions/*");
        }
        if (!mask.equals(List.of("state"))) {
            throw invalid("update_mask must be exactly [state]");
        }
        Key key = existingKey(principal, m.group(1), UPDATE_VERSION);
        Version v = version(key, update.getName());
        CryptoKeyVersionState target = update.getState();
        boolean allowed = (target == CryptoKeyVersionState.ENABLED || target == CryptoKeyVersionState.DISABLED)
                && (v.state == CryptoKeyVersionState.ENABLED || v.state == CryptoKeyVersionState.DISABLED);
        if (!allowed) {
            throw Status.FAILED_PRECONDITION.withDescription(update.getName() + " cannot move from " + v.state
                    + " to " + target + ".").asRuntimeException();
        }
        v.state = target;
        return describe(key, v);
    }

    synchronized CryptoKeyVersion destroyVersion(String principal, String name) {
        Matcher m = VERSION.matcher(name);
        if (!m.matches()) {
            throw invalid("name must be a CryptoKeyVersion");
        }
        Key key = existingKey(principal, m.group(1), UPDATE_VERSION);
        Version v = version(key, name);
        if (v.state != CryptoKeyVersionState.ENABLED && v.state != CryptoKeyVersionState.DISABLED) {
            throw failedPrecondition(key, v);
        }
        v.state = CryptoKeyVersionState.DESTROY_SCHEDULED;
        v.destroyTime = Instant.now().plus(DESTROY_SCHEDULED_DURATION);
        return describe(key, v);
    }

    synchronized CryptoKeyVersion restoreVersion(String principal, String name) {
        Matcher m = VERSION.matcher(name);
        if (!m.matches()) {
            throw invalid("name must be a CryptoKeyVersion");
        }
        Key key = existingKey(principal, m.group(1), UPDATE_VERSION);
        Version v = version(key, name);
        if (v.state != CryptoKeyVersionState.DESTROY_SCHEDULED) {
            throw failedPrecondition(key, v);
        }
        v.state = CryptoKeyVersionState.DISABLED;
        v.destroyTime = null;
        return describe(key, v);
    }

    /** Test-side clock skip: every version scheduled for destruction on {@code keyName} is destroyed now. */
    synchronized void finishScheduledDestruction(String keyName) {
        Key key = keys.get(keyName);
        if (key == null) {
            throw new IllegalArgumentException("no key " + keyName);
        }
        for (Version v : key.versions) {
            if (v.state == CryptoKeyVersionState.DESTROY_SCHEDULED) {
                v.state = CryptoKeyVersionState.DESTROYED;
                Arrays.fill(v.material, (byte) 0);
                v.material = null;
            }
        }
    }

    synchronized Policy getIamPolicy(String principal, String resource) {
        return existingKey(principal, resource, GET_IAM).policy;
    }

    synchronized Policy setIamPolicy(String principal, String resource, Policy policy) {
        Key key = existingKey(principal, resource, SET_IAM);
        for (Binding b : policy.getBindingsList()) {
            if (!ROLES.containsKey(b.getRole()) && !b.getRole().equals("roles/owner")) {
                throw invalid("Role " + b.getRole() + " is not supported for this resource.");
            }
        }
        key.policy = policy.toBuilder().setEtag(ByteString.copyFromUtf8(Long.toHexString(random.nextLong()))).build();
        return key.policy;
    }

    // ---- cryptography ------------------------------------------------------------------------------------------

    synchronized EncryptResponse encrypt(String principal, EncryptRequest request) {
        Matcher asVersion = VERSION.matcher(request.getName());
        String keyName = asVersion.matches() ? asVersion.group(1) : request.getName();
        Key key = existingKey(principal, keyName, USE_TO_ENCRYPT);
        if (key.purpose != CryptoKey.CryptoKeyPurpose.ENCRYPT_DECRYPT) {
            throw invalid(key.name + " has purpose " + key.purpose + "; Encrypt needs ENCRYPT_DECRYPT.");
        }
        byte[] plaintext = request.getPlaintext().toByteArray();
        byte[] aad = request.getAdditionalAuthenticatedData().toByteArray();
        if (plaintext.length == 0 || plaintext.length > MAX || aad.length > MAX) {
            throw invalid("The plaintext and additional_authenticated_data must each be no larger than 64KiB.");
        }
        verifyChecksum(request.hasPlaintextCrc32C(), request.getPlaintextCrc32C(), plaintext, "plaintext");
        verifyChecksum(request.hasAdditionalAuthenticatedDataCrc32C(), request.getAdditionalAuthenticatedDataCrc32C(),
                aad, "additional_authenticated_data");
        Version v;
        if (asVersion.matches()) {
            v = version(key, request.getName());
        } else if (key.primary == 0) {
            throw Status.FAILED_PRECONDITION.withDescription(key.name + " has no primary version.").asRuntimeException();
        } else {
            v = key.versions.get(key.primary - 1);
        }
        if (v.state != CryptoKeyVersionState.ENABLED) {
            throw failedPrecondition(key, v);
        }
        byte[] nonce = new byte[NONCE];
        random.nextBytes(nonce);
        byte[] sealed = gcm(Cipher.ENCRYPT_MODE, v, nonce, plaintext, aad);
        byte[] ciphertext = new byte[TAG + NONCE + sealed.length];
        System.arraycopy(v.tag, 0, ciphertext, 0, TAG);
        System.arraycopy(nonce, 0, ciphertext, TAG, NONCE);
        System.arraycopy(sealed, 0, ciphertext, TAG + NONCE, sealed.length);
        return EncryptResponse.newBuilder()
                .setName(versionName(key, v))
                .setCiphertext(ByteString.copyFrom(ciphertext))
                .setCiphertextCrc32C(crc32c(ciphertext))
                .setVerifiedPlaintextCrc32C(request.hasPlaintextCrc32C())
                .setVerifiedAdditionalAuthenticatedDataCrc32C(request.hasAdditionalAuthenticatedDataCrc32C())
                .setProtectionLevel(ProtectionLevel.SOFTWARE)
                .build();
    }

    synchronized DecryptResponse decrypt(String principal, DecryptRequest request) {
        if (!CRYPTO_KEY.matcher(request.getName()).matches()) {
            throw invalid("Decrypt takes a CryptoKey name (projects/*/locations/*/keyRings/*/cryptoKeys/*).");
        }
        Key key = existingKey(principal, request.getName(), USE_TO_DECRYPT);
        byte[] ciphertext = request.getCiphertext().toByteArray();
        byte[] aad = request.getAdditionalAuthenticatedData().toByteArray();
        verifyChecksum(request.hasCiphertextCrc32C(), request.getCiphertextCrc32C(), ciphertext, "ciphertext");
        verifyChecksum(request.hasAdditionalAuthenticatedDataCrc32C(), request.getAdditionalAuthenticatedDataCrc32C(),
                aad, "additional_authenticated_data");
        if (ciphertext.length < TAG + NONCE + 16) {
            throw invalid("Decryption failed: the ciphertext is invalid.");
        }
        byte[] tag = Arrays.copyOfRange(ciphertext, 0, TAG);
        Version v = key.versions.stream().filter(x -> Arrays.equals(x.tag, tag)).findFirst()
                .orElseThrow(() -> invalid("Decryption failed: verify that 'name' refers to the correct CryptoKey."));
        if (v.state != CryptoKeyVersionState.ENABLED) {
            throw failedPrecondition(key, v);
        }
        byte[] plaintext = gcm(Cipher.DECRYPT_MODE, v, Arrays.copyOfRange(ciphertext, TAG, TAG + NONCE),
                Arrays.copyOfRange(ciphertext, TAG + NONCE, ciphertext.length), aad);
        return DecryptResponse.newBuilder()
                .setPlaintext(ByteString.copyFrom(plaintext))
                .setPlaintextCrc32C(crc32c(plaintext))
                .setUsedPrimary(v.number == key.primary)
                .setProtectionLevel(ProtectionLevel.SOFTWARE)
                .build();
    }

    private static byte[] gcm(int mode, Version v, byte[] nonce, byte[] input, byte[] aad) {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(mode, new SecretKeySpec(v.material, "AES"), new GCMParameterSpec(128, nonce));
            c.updateAAD(v.tag);
            c.updateAAD(aad);
            return c.doFinal(input);
        } catch (javax.crypto.AEADBadTagException e) {
            throw invalid("Decryption failed: the ciphertext is invalid.");
        } catch (GeneralSecurityException e) {
            throw Status.INTERNAL.withDescription("crypto failure").asRuntimeException();
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    /**
     * IAM first, then existence, as Cloud KMS does: a caller without the permission learns nothing about whether the
     * key exists ("Permission '...' denied on resource '...' (or it may not exist).").
     */
    private Key existingKey(String principal, String name, String permission) {
        if (!CRYPTO_KEY.matcher(name).matches()) {
            throw invalid("Resource name '" + name + "' does not match projects/*/locations/*/keyRings/*/cryptoKeys/*.");
        }
        Key key = keys.get(name);
        if (!OWNER.equals(principal) && (key == null || !granted(key.policy, principal, permission))) {
            throw Status.PERMISSION_DENIED.withDescription("Permission '" + permission + "' denied on resource '"
                    + name + "' (or it may not exist).").asRuntimeException();
        }
        if (key == null) {
            throw Status.NOT_FOUND.withDescription(name + " not found.").asRuntimeException();
        }
        return key;
    }

    private static boolean granted(Policy policy, String principal, String permission) {
        return policy.getBindingsList().stream().anyMatch(b -> b.getMembersList().contains(principal)
                && ROLES.getOrDefault(b.getRole(), Set.of()).contains(permission));
    }

    private static void requireOwner(String principal, String permission, String resource) {
        if (!OWNER.equals(principal)) {
            throw Status.PERMISSION_DENIED.withDescription("Permission '" + permission + "' denied on resource '"
                    + resource + "' (or it may not exist).").asRuntimeException();
        }
    }

    private Version addVersion(Key key) {
        byte[] tag = new byte[TAG];
        byte[] material = new byte[32];
        random.nextBytes(tag);
        random.nextBytes(material);
        Version v = new Version(key.versions.size() + 1, tag, material);
        key.versions.add(v);
        return v;
    }

    private static Version version(Key key, String versionName) {
        Matcher m = VERSION.matcher(versionName);
        if (!m.matches() || !m.group(1).equals(key.name)) {
            throw invalid("'" + versionName + "' is not a version of " + key.name + ".");
        }
        int n = Integer.parseInt(m.group(2));
        if (n < 1 || n > key.versions.size()) {
            throw Status.NOT_FOUND.withDescription(versionName + " not found.").asRuntimeException();
        }
        return key.versions.get(n - 1);
    }

    private static StatusRuntimeException failedPrecondition(Key key, Version v) {
        return Status.FAILED_PRECONDITION.withDescription(versionName(key, v) + " is not enabled, current state is: "
                + v.state + ".").asRuntimeException();
    }

    private static void verifyChecksum(boolean present, Int64Value crc, byte[] data, String field) {
        if (present && crc.getValue() != crc32c(data).getValue()) {
            throw invalid("The checksum in field " + field + "_crc32c did not match the data in field " + field + ".");
        }
    }

    private static StatusRuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }

    private CryptoKey describe(Key key) {
        CryptoKey.Builder b = CryptoKey.newBuilder()
                .setName(key.name)
                .setPurpose(key.purpose)
                .setCreateTime(ts(key.created))
                .setDestroyScheduledDuration(com.google.protobuf.Duration.newBuilder()
                        .setSeconds(DESTROY_SCHEDULED_DURATION.toSeconds()))
                .setVersionTemplate(CryptoKeyVersionTemplate.newBuilder()
                        .setAlgorithm(CryptoKeyVersionAlgorithm.GOOGLE_SYMMETRIC_ENCRYPTION)
                        .setProtectionLevel(ProtectionLevel.SOFTWARE));
        if (key.primary > 0) {
            b.setPrimary(describe(key, key.versions.get(key.primary - 1)));
        }
        return b.build();
    }

    private CryptoKeyVersion describe(Key key, Version v) {
        CryptoKeyVersion.Builder b = CryptoKeyVersion.newBuilder()
                .setName(versionName(key, v))
                .setState(v.state)
                .setAlgorithm(CryptoKeyVersionAlgorithm.GOOGLE_SYMMETRIC_ENCRYPTION)
                .setProtectionLevel(ProtectionLevel.SOFTWARE)
                .setCreateTime(ts(key.created));
        if (v.destroyTime != null) {
            b.setDestroyTime(ts(v.destroyTime));
        }
        return b.build();
    }

    private static String versionName(Key key, Version v) {
        return key.name + "/cryptoKeyVersions/" + v.number;
    }

    private static Timestamp ts(Instant t) {
        return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
    }

    static Int64Value crc32c(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        return Int64Value.of(crc.getValue());
    }
}
