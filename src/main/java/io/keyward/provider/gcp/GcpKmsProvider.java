package io.keyward.provider.gcp;

import com.google.api.gax.grpc.GrpcCallContext;
import com.google.api.gax.rpc.ApiCallContext;
import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.StatusCode;
import com.google.cloud.kms.v1.CryptoKey;
import com.google.cloud.kms.v1.CryptoKeyVersion;
import com.google.cloud.kms.v1.DecryptRequest;
import com.google.cloud.kms.v1.DecryptResponse;
import com.google.cloud.kms.v1.EncryptRequest;
import com.google.cloud.kms.v1.EncryptResponse;
import com.google.cloud.kms.v1.GetCryptoKeyRequest;
import com.google.cloud.kms.v1.KeyManagementServiceClient;
import com.google.protobuf.ByteString;
import com.google.protobuf.Int64Value;
import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeySpec;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.ProviderSettings;
import io.keyward.provider.WrappedKeyInvalidException;
import io.keyward.provider.gcp.KmsErrors.Operation;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.zip.CRC32C;

/**
 * The {@code gcp-kms} provider: wraps data keys with Cloud KMS Encrypt / Decrypt on a symmetric
 * ({@code ENCRYPT_DECRYPT}) crypto key, binding keyward's associated data through
 * {@code additional_authenticated_data} (https://cloud.google.com/kms/docs/additional-authenticated-data).
 *
 * <p>Key URI: {@code projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>} (see {@link CryptoKeyName}). Options:
 * {@code endpoint}, {@code transport} (see {@link KmsEndpoint}). Credentials are keyward's own workload identity /
 * Application Default Credentials; no per-tenant secret is stored, so {@link #secretOptions()} is empty.
 *
 * <p>Every request carries CRC32C checksums and every response is checked against them, as Cloud KMS recommends
 * (https://cloud.google.com/kms/docs/data-integrity-guidelines): a response corrupted in transit is reported as
 * unavailable, never accepted.
 */
public final class GcpKmsProvider implements KeyProvider, AutoCloseable {
    public static final String ID = "gcp-kms";
    /** Cloud KMS limits plaintext, ciphertext and AAD to 64 KiB for software keys (EncryptRequest, DecryptRequest). */
    static final int MAX_BYTES = 64 * 1024;
    static final String ROUTING_HEADER = "x-goog-request-params";
    private static final byte[] CHECK_AAD = "keyward/v1 key check".getBytes(StandardCharsets.US_ASCII);

    private final ProviderSettings settings;
    private final KmsClients clients;
    private final SecureRandom random = new SecureRandom();

    public GcpKmsProvider(ProviderSettings settings) {
        this.settings = settings;
        this.clients = new KmsClients(settings);
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public KeySpec validate(String keyUri, Map<String, String> options) {
        CryptoKeyName name = CryptoKeyName.parse(keyUri);
        Map<String, String> opts = new TreeMap<>(options == null ? Map.of() : options);
        KmsEndpoint.fromOptions(opts);
        opts.computeIfPresent(KmsEndpoint.TRANSPORT, (k, v) -> v.toLowerCase(Locale.ROOT));
        return new KeySpec(ID, name.toString(), opts);
    }

    @Override
    public byte[] wrap(KeySpec spec, byte[] dataKey, byte[] aad) {
        return encrypt(spec, dataKey, aad, CallBudget.of(settings.deadline()));
    }

    @Override
    public byte[] unwrap(KeySpec spec, byte[] wrapped, byte[] aad) {
        return decrypt(spec, wrapped, aad, CallBudget.of(settings.deadline()));
    }

    /**
     * Describes the key (GetCryptoKey: purpose and primary version state) for a precise answer, then proves it with
     * an Encrypt / Decrypt round trip, all within one deadline. The describe step needs {@code cloudkms.cryptoKeys.get},
     * which the minimal role {@code roles/cloudkms.cryptoKeyEncrypterDecrypter} does not include; when it is denied
     * the round trip alone decides (a key keyward truly lost access to fails Encrypt with PERMISSION_DENIED too).
     */
    @Override
    public void check(KeySpec spec) {
        CallBudget budget = CallBudget.of(settings.deadline());
        describe(spec, budget);
        byte[] probe = new byte[32];
        random.nextBytes(probe);
        byte[] back = null;
        try {
            back = decrypt(spec, encrypt(spec, probe, CHECK_AAD, budget), CHECK_AAD, budget);
            if (!MessageDigest.isEqual(probe, back)) {
                throw new KeyMisconfiguredException("Cloud KMS key " + spec.keyUri() + " did not return the probe it encrypted");
            }
        } finally {
            Arrays.fill(probe, (byte) 0);
            if (back != null) {
                Arrays.fill(back, (byte) 0);
            }
        }
    }

    private byte[] encrypt(KeySpec spec, byte[] dataKey, byte[] aad, CallBudget budget) {
        CryptoKeyName key = CryptoKeyName.parse(spec.keyUri());
        if (dataKey.length == 0 || dataKey.length > MAX_BYTES || aad.length > MAX_BYTES) {
            throw new KeyMisconfiguredException("Cloud KMS encrypts 1 byte to 64 KiB with at most 64 KiB of associated data");
        }
        EncryptRequest request = EncryptRequest.newBuilder()
                .setName(key.toString())
                .setPlaintext(ByteString.copyFrom(dataKey))
                .setPlaintextCrc32C(crc32c(dataKey))
                .setAdditionalAuthenticatedData(ByteString.copyFrom(aad))
                .setAdditionalAuthenticatedDataCrc32C(crc32c(aad))
                .build();
        EncryptResponse response;
        try {
            response = invoke(spec, key, Operation.ENCRYPT, budget,
                    (client, context) -> client.encryptCallable().call(request, context));
        } catch (ApiException e) {
            throw KmsErrors.translate(e, Operation.ENCRYPT, key);
        }
        if (!response.getVerifiedPlaintextCrc32C() || !response.getVerifiedAdditionalAuthenticatedDataCrc32C()
                || response.getCiphertextCrc32C().getValue() != crc32c(response.getCiphertext().toByteArray()).getValue()) {
            throw new KeyUnavailableException("Cloud KMS Encrypt on " + key
                    + ": integrity checksums did not match (request or response corrupted in transit)");
        }
        if (!response.getName().startsWith(key + "/cryptoKeyVersions/")) {
            // "Check this field to verify that the intended resource was used for encryption." (EncryptResponse.name)
            throw new KeyMisconfiguredException("Cloud KMS Encrypt on " + key + " answered for another key");
        }
        return response.getCiphertext().toByteArray();
    }

    private byte[] decrypt(KeySpec spec, byte[] wrapped, byte[] aad, CallBudget budget) {
        CryptoKeyName key = CryptoKeyName.parse(spec.keyUri());
        if (wrapped.length == 0 || wrapped.length > MAX_BYTES) {
            // Cloud KMS would refuse it with INVALID_ARGUMENT; no need to spend a call on it.
            throw new WrappedKeyInvalidException("wrapped key for " + key + " has an impossible length " + wrapped.length);
        }
        if (aad.length > MAX_BYTES) {
            throw new KeyMisconfiguredException("Cloud KMS accepts at most 64 KiB of associated data");
        }
        DecryptRequest request = DecryptRequest.newBuilder()
                .setName(key.toString())
                .setCiphertext(ByteString.copyFrom(wrapped))
                .setCiphertextCrc32C(crc32c(wrapped))
                .setAdditionalAuthenticatedData(ByteString.copyFrom(aad))
                .setAdditionalAuthenticatedDataCrc32C(crc32c(aad))
                .build();
        DecryptResponse response;
        try {
            response = invoke(spec, key, Operation.DECRYPT, budget,
                    (client, context) -> client.decryptCallable().call(request, context));
        } catch (ApiException e) {
            throw KmsErrors.translate(e, Operation.DECRYPT, key);
        }
        byte[] plaintext = response.getPlaintext().toByteArray();
        if (response.getPlaintextCrc32C().getValue() != crc32c(plaintext).getValue()) {
            Arrays.fill(plaintext, (byte) 0);
            throw new KeyUnavailableException("Cloud KMS Decrypt on " + key
                    + ": plaintext checksum did not match (response corrupted in transit)");
        }
        return plaintext;
    }

    private void describe(KeySpec spec, CallBudget budget) {
        CryptoKeyName key = CryptoKeyName.parse(spec.keyUri());
        GetCryptoKeyRequest request = GetCryptoKeyRequest.newBuilder().setName(key.toString()).build();
        CryptoKey cryptoKey;
        try {
            cryptoKey = invoke(spec, key, Operation.GET_CRYPTO_KEY, budget,
                    (client, context) -> client.getCryptoKeyCallable().call(request, context));
        } catch (ApiException e) {
            if (e.getStatusCode().getCode() == StatusCode.Code.PERMISSION_DENIED) {
                return; // describe not granted; the round trip decides
            }
            throw KmsErrors.translate(e, Operation.GET_CRYPTO_KEY, key);
        }
        if (cryptoKey.getPurpose() != CryptoKey.CryptoKeyPurpose.ENCRYPT_DECRYPT) {
            throw new KeyMisconfiguredException("Cloud KMS key " + key + " has purpose " + cryptoKey.getPurpose()
                    + "; keyward needs a symmetric ENCRYPT_DECRYPT key");
        }
        if (!cryptoKey.hasPrimary()) {
            throw new KeyRevokedException("Cloud KMS key " + key + " has no primary version to encrypt with");
        }
        CryptoKeyVersion primary = cryptoKey.getPrimary();
        if (primary.getState() != CryptoKeyVersion.CryptoKeyVersionState.ENABLED) {
            String version = primary.getName().substring(primary.getName().lastIndexOf('/') + 1);
            throw new KeyRevokedException("Cloud KMS key " + key + ": primary version " + CryptoKeyName.quote(version)
                    + " is " + primary.getState());
        }
    }

    /**
     * Runs one RPC under the call's budget: the client is opened (or reused) within it and gax's total timeout is cut
     * to what is left. Cloud KMS statuses come back as {@link ApiException} for the caller to translate; any other
     * SDK failure is translated here.
     */
    private <T> T invoke(KeySpec spec, CryptoKeyName key, Operation op, CallBudget budget,
            BiFunction<KeyManagementServiceClient, ApiCallContext, T> rpc) {
        String what = "Cloud KMS " + op.rpc + " on " + key;
        try {
            KeyManagementServiceClient client = clients.client(KmsEndpoint.fromOptions(spec.options()), budget);
            ApiCallContext context = GrpcCallContext.createDefault()
                    .withRetrySettings(clients.retrySettings(budget.remaining(what)))
                    .withRetryableCodes(KmsClients.RETRYABLE)
                    // gax adds the routing header through the channel it builds itself; keyward builds its own
                    // channel (KmsClients), so it sends the header here (https://google.aip.dev/client-libraries/4222).
                    .withExtraHeaders(Map.of(ROUTING_HEADER,
                            List.of("name=" + URLEncoder.encode(key.toString(), StandardCharsets.UTF_8))));
            return rpc.apply(client, context);
        } catch (ApiException | ProviderException e) {
            throw e;
        } catch (RuntimeException e) {
            throw KmsErrors.unexpected(e, op, key);
        }
    }

    static Int64Value crc32c(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        return Int64Value.of(crc.getValue());
    }

    /** Closes the SDK clients this provider opened (tests; the application keeps its providers for its lifetime). */
    @Override
    public void close() {
        clients.close();
    }
}
