package io.keyward.provider.aws;

import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeySpec;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.ProviderSettings;
import io.keyward.provider.WrappedKeyInvalidException;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.EncryptionAlgorithmSpec;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KeyState;
import software.amazon.awssdk.services.kms.model.KeyUsageType;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.function.Function;

/**
 * The {@code aws-kms} provider: wraps data keys with AWS KMS Encrypt/Decrypt under the customer's symmetric key,
 * reached with keyward's own AWS identity or, usually, through a role in the customer's account that keyward
 * assumes with the tenant's ExternalId.
 *
 * <p>Key URI: the key ARN {@code arn:aws:kms:<region>:<account>:key/<id>} (or an alias ARN, to encrypt under
 * whatever key the alias names). Options: {@code roleArn} + {@code externalId}, {@code endpoint},
 * {@code stsEndpoint}. Keyward's associated data travels as the encryption context
 * {@code {"keyward:aad": base64(aad)}}, so KMS itself refuses to decrypt a wrapped key under another context
 * (https://docs.aws.amazon.com/kms/latest/developerguide/encrypt_context.html).
 */
public final class AwsKmsProvider implements KeyProvider, AutoCloseable {
    public static final String ID = "aws-kms";
    static final String CONTEXT_KEY = "keyward:aad";
    private static final byte[] CHECK_AAD = "keyward/v1 key check".getBytes(StandardCharsets.US_ASCII);

    private final ProviderSettings settings;
    private final AwsKmsClients clients;
    private final boolean allowPlainHttp;
    private final SecureRandom random = new SecureRandom();

    /** As built by {@link AwsKmsProviderFactory}: keyward's identity from the SDK's default credential chain. */
    public AwsKmsProvider(ProviderSettings settings) {
        this(settings, null, false);
    }

    /**
     * @param baseCredentials keyward's own AWS identity (null: default chain)
     * @param allowPlainHttp  whether {@code http://} endpoints other than loopback are accepted (test harnesses)
     */
    AwsKmsProvider(ProviderSettings settings, AwsCredentialsProvider baseCredentials, boolean allowPlainHttp) {
        this.settings = settings;
        this.clients = new AwsKmsClients(settings, baseCredentials);
        this.allowPlainHttp = allowPlainHttp;
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public KeySpec validate(String keyUri, Map<String, String> options) {
        AwsKeyReference ref = AwsKeyReference.parse(keyUri, options, allowPlainHttp);
        return new KeySpec(ID, ref.arn(), ref.options());
    }

    @Override
    public byte[] wrap(KeySpec spec, byte[] dataKey, byte[] aad) {
        AwsKeyReference ref = reference(spec);
        return wrap(ref, dataKey, aad, CallBudget.of(settings.deadline()));
    }

    @Override
    public byte[] unwrap(KeySpec spec, byte[] wrapped, byte[] aad) {
        AwsKeyReference ref = reference(spec);
        return unwrap(ref, wrapped, aad, CallBudget.of(settings.deadline()));
    }

    /**
     * DescribeKey (state, usage and key spec, for a precise answer), then an Encrypt/Decrypt round trip of a
     * random probe (proves keyward holds both permissions), all within one deadline.
     */
    @Override
    public void check(KeySpec spec) {
        AwsKeyReference ref = reference(spec);
        CallBudget budget = CallBudget.of(settings.deadline());
        KeyMetadata metadata = describe(ref, ref.arn(), budget);
        requireUsable(ref, metadata);
        byte[] probe = new byte[32];
        random.nextBytes(probe);
        byte[] back = unwrap(ref, wrap(ref, probe, CHECK_AAD, budget), CHECK_AAD, budget);
        boolean same = MessageDigest.isEqual(probe, back);
        Arrays.fill(probe, (byte) 0);
        Arrays.fill(back, (byte) 0);
        if (!same) {
            throw new KeyMisconfiguredException("AWS KMS key " + ref.arn() + " did not return the probe it wrapped");
        }
    }

    private byte[] wrap(AwsKeyReference ref, byte[] dataKey, byte[] aad, CallBudget budget) {
        return call(ref, "Encrypt", budget, kms -> {
            var response = kms.encrypt(b -> b.keyId(ref.arn())
                    .plaintext(SdkBytes.fromByteArrayUnsafe(dataKey))
                    .encryptionContext(context(aad))
                    .encryptionAlgorithm(EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT)
                    .overrideConfiguration(o -> o.apiCallTimeout(budget.remaining("Encrypt"))));
            byte[] blob = response.ciphertextBlob().asByteArray();
            if (!ref.alias()) {
                return blob;
            }
            String keyArn = response.keyId();
            if (keyArn == null || !ref.sameAccountKey(keyArn)) {
                throw new KeyMisconfiguredException("alias " + ref.arn() + " resolved to '"
                        + AwsKeyReference.printable(String.valueOf(keyArn))
                        + "', which is not a key ARN in the alias's account and region");
            }
            return new AliasWrappedKey(keyArn, blob).encode();
        });
    }

    private byte[] unwrap(AwsKeyReference ref, byte[] wrapped, byte[] aad, CallBudget budget) {
        if (wrapped == null || wrapped.length == 0) {
            throw new WrappedKeyInvalidException("the wrapped key is empty");
        }
        String keyArn = ref.arn();
        byte[] blob = wrapped;
        if (ref.alias()) {
            AliasWrappedKey framed = AliasWrappedKey.decode(wrapped);
            if (!ref.sameAccountKey(framed.keyArn())) {
                throw new WrappedKeyInvalidException("the wrapped key names a key outside " + ref.arn()
                        + "'s account and region");
            }
            keyArn = framed.keyArn();
            blob = framed.blob();
        }
        String decryptKey = keyArn;
        byte[] ciphertext = blob;
        try {
            return call(ref, "Decrypt", budget, kms -> kms.decrypt(b -> b.keyId(decryptKey)
                            .ciphertextBlob(SdkBytes.fromByteArrayUnsafe(ciphertext))
                            .encryptionContext(context(aad))
                            .encryptionAlgorithm(EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT)
                            .overrideConfiguration(o -> o.apiCallTimeout(budget.remaining("Decrypt"))))
                    .plaintext().asByteArrayUnsafe());
        } catch (KeyRevokedException e) {
            if (!ref.alias()) {
                throw e;
            }
            throw confirmAliasRevocation(ref, decryptKey, e, budget);
        }
    }

    /**
     * With an alias, the key id given to Decrypt came out of the caller's bytes, so a refusal about that key is
     * only believed if the alias still names it (or the alias itself is refused). Otherwise the bytes named some
     * other key: an invalid wrapped key, never a revocation, or anyone could cut a tenant off with a crafted
     * ciphertext.
     */
    private ProviderException confirmAliasRevocation(AwsKeyReference ref, String keyArn, KeyRevokedException refusal,
            CallBudget budget) {
        KeyMetadata current;
        try {
            current = describe(ref, ref.arn(), budget);
        } catch (KeyRevokedException aliasRefused) {
            return aliasRefused;
        }
        if (keyArn.equals(current.arn())) {
            return refusal;
        }
        return new WrappedKeyInvalidException("the wrapped key names " + keyArn + ", which alias " + ref.arn()
                + " no longer points to, and AWS KMS refused it");
    }

    private KeyMetadata describe(AwsKeyReference ref, String keyId, CallBudget budget) {
        return call(ref, "DescribeKey", budget, kms -> kms.describeKey(b -> b.keyId(keyId)
                .overrideConfiguration(o -> o.apiCallTimeout(budget.remaining("DescribeKey")))).keyMetadata());
    }

    /** https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html: only Enabled keys encrypt. */
    private static void requireUsable(AwsKeyReference ref, KeyMetadata md) {
        KeyState state = md.keyState();
        if (state == KeyState.DISABLED || state == KeyState.PENDING_DELETION
                || state == KeyState.PENDING_REPLICA_DELETION || state == KeyState.PENDING_IMPORT
                || state == KeyState.UNAVAILABLE) {
            throw new KeyRevokedException("AWS KMS key " + ref.arn() + " is " + md.keyStateAsString()
                    + " (DescribeKey)");
        }
        if (state != KeyState.ENABLED) {
            throw new KeyUnavailableException("AWS KMS key " + ref.arn() + " is " + md.keyStateAsString()
                    + "; try again shortly");
        }
        if (md.keyUsage() != KeyUsageType.ENCRYPT_DECRYPT) {
            throw new KeyMisconfiguredException("AWS KMS key " + ref.arn() + " has key usage "
                    + md.keyUsageAsString() + "; keyward needs ENCRYPT_DECRYPT");
        }
        if (md.keySpec() != null
                && md.keySpec() != software.amazon.awssdk.services.kms.model.KeySpec.SYMMETRIC_DEFAULT) {
            throw new KeyMisconfiguredException("AWS KMS key " + ref.arn() + " is a " + md.keySpecAsString()
                    + " key; keyward needs a symmetric encryption key (SYMMETRIC_DEFAULT)");
        }
    }

    /**
     * Runs one KMS call: picks the client, resolves its credentials first (AssumeRole, when the session is
     * missing or stale) so that time counts against the deadline, and translates every failure.
     */
    private <T> T call(AwsKeyReference ref, String operation, CallBudget budget, Function<KmsClient, T> work) {
        AwsKmsClients.KeyAccess access;
        try {
            access = clients.forKey(ref);
        } catch (RuntimeException e) {
            throw AwsErrors.translate(e, operation, ref);
        }
        // Building a client is local, one-time work (class loading on a cold JVM can take a second); the
        // deadline bounds waiting on AWS, from the first request on.
        budget.arm();
        try {
            access.credentials().resolveCredentials();
        } catch (RuntimeException e) {
            throw AwsErrors.translateCredentials(e, ref);
        }
        budget.remaining(operation);
        try {
            return work.apply(access.kms());
        } catch (RuntimeException e) {
            throw AwsErrors.translate(e, operation, ref);
        }
    }

    private static Map<String, String> context(byte[] aad) {
        return Map.of(CONTEXT_KEY, Base64.getEncoder().encodeToString(aad == null ? new byte[0] : aad));
    }

    private AwsKeyReference reference(KeySpec spec) {
        if (spec == null || !ID.equals(spec.provider())) {
            throw new KeyMisconfiguredException("not an aws-kms key: " + (spec == null ? "null" : spec.provider()));
        }
        return AwsKeyReference.parse(spec.keyUri(), spec.options(), allowPlainHttp);
    }

    @Override
    public void close() {
        clients.close();
    }
}
