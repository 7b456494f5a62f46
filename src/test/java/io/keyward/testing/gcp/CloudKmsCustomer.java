package io.keyward.testing.gcp;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.AlreadyExistsException;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.cloud.kms.v1.CryptoKey;
import com.google.cloud.kms.v1.CryptoKeyVersion;
import com.google.cloud.kms.v1.CryptoKeyVersion.CryptoKeyVersionState;
import com.google.cloud.kms.v1.CryptoKeyVersionTemplate;
import com.google.cloud.kms.v1.KeyManagementServiceClient;
import com.google.cloud.kms.v1.KeyManagementServiceSettings;
import com.google.cloud.kms.v1.KeyRing;
import com.google.iam.v1.Binding;
import com.google.iam.v1.GetIamPolicyRequest;
import com.google.iam.v1.Policy;
import com.google.iam.v1.SetIamPolicyRequest;
import com.google.protobuf.FieldMask;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The customer's Cloud KMS administrator in tests: creates keys, grants and removes keyward's access, disables,
 * enables, schedules destruction, all through the real {@link KeyManagementServiceClient} against
 * {@link CloudKmsTestServer}, exactly as {@code gcloud kms ...} or the console would.
 */
public final class CloudKmsCustomer implements AutoCloseable {
    /** The member keyward authenticates as on the test server. */
    public static final String KEYWARD_MEMBER = CloudKmsState.KEYWARD;
    public static final String ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter";
    public static final String VIEWER = "roles/cloudkms.viewer";

    private final ManagedChannel channel;
    private final KeyManagementServiceClient client;

    CloudKmsCustomer(String endpoint, String bearerToken) {
        String[] hostPort = endpoint.split(":");
        Metadata auth = new Metadata();
        auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + bearerToken);
        // gax does not apply header providers to a fixed channel, so the token travels through a channel interceptor.
        this.channel = NettyChannelBuilder.forAddress(hostPort[0], Integer.parseInt(hostPort[1])).usePlaintext()
                .intercept(MetadataUtils.newAttachHeadersInterceptor(auth)).build();
        try {
            this.client = KeyManagementServiceClient.create(KeyManagementServiceSettings.newBuilder()
                    .setEndpoint(endpoint)
                    .setTransportChannelProvider(FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel)))
                    .setCredentialsProvider(NoCredentialsProvider.create())
                    .build());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A new symmetric key (purpose ENCRYPT_DECRYPT, one ENABLED primary version) on which keyward's service account
     * is granted the Encrypter/Decrypter role (plus Viewer, so keyward can describe the key). Returns its name.
     */
    public String createKeyForKeyward(String project, String location, String keyRing, String keyId) {
        String name = createKey(project, location, keyRing, keyId, CryptoKey.CryptoKeyPurpose.ENCRYPT_DECRYPT);
        grantKeyward(name, ENCRYPTER_DECRYPTER, VIEWER);
        return name;
    }

    public String createKey(String project, String location, String keyRing, String keyId,
            CryptoKey.CryptoKeyPurpose purpose) {
        String parent = "projects/" + project + "/locations/" + location;
        try {
            client.createKeyRing(parent, keyRing, KeyRing.getDefaultInstance());
        } catch (AlreadyExistsException fine) {
            // shared key ring
        }
        CryptoKey.Builder key = CryptoKey.newBuilder().setPurpose(purpose);
        if (purpose == CryptoKey.CryptoKeyPurpose.ENCRYPT_DECRYPT) {
            key.setVersionTemplate(CryptoKeyVersionTemplate.newBuilder()
                    .setAlgorithm(CryptoKeyVersion.CryptoKeyVersionAlgorithm.GOOGLE_SYMMETRIC_ENCRYPTION));
        }
        return client.createCryptoKey(parent + "/keyRings/" + keyRing, keyId, key.build()).getName();
    }

    /** Replaces keyward's role bindings on {@code key} with {@code roles}. */
    public void grantKeyward(String key, String... roles) {
        Policy current = client.getIamPolicy(GetIamPolicyRequest.newBuilder().setResource(key).build());
        Policy.Builder updated = withoutKeyward(current);
        for (String role : roles) {
            updated.addBindings(Binding.newBuilder().setRole(role).addMembers(KEYWARD_MEMBER));
        }
        client.setIamPolicy(SetIamPolicyRequest.newBuilder().setResource(key).setPolicy(updated).build());
    }

    /** Removes every role keyward's service account holds on {@code key}; the key itself stays enabled. */
    public void removeKeywardAccess(String key) {
        Policy current = client.getIamPolicy(GetIamPolicyRequest.newBuilder().setResource(key).build());
        client.setIamPolicy(SetIamPolicyRequest.newBuilder().setResource(key).setPolicy(withoutKeyward(current)).build());
    }

    private static Policy.Builder withoutKeyward(Policy policy) {
        Policy.Builder b = policy.toBuilder().clearBindings();
        for (Binding binding : policy.getBindingsList()) {
            List<String> others = binding.getMembersList().stream().filter(m -> !m.equals(KEYWARD_MEMBER)).toList();
            if (!others.isEmpty()) {
                b.addBindings(binding.toBuilder().clearMembers().addAllMembers(others));
            }
        }
        return b;
    }

    /** Disables the key's primary version (gcloud kms keys versions disable). */
    public void disable(String key) {
        setPrimaryState(key, CryptoKeyVersionState.DISABLED);
    }

    /** Re-enables the key's primary version. */
    public void enable(String key) {
        setPrimaryState(key, CryptoKeyVersionState.ENABLED);
    }

    /** Schedules the primary version for destruction (gcloud kms keys versions destroy). */
    public void scheduleDestruction(String key) {
        client.destroyCryptoKeyVersion(primaryVersion(key));
    }

    /** Cancels a scheduled destruction: the version comes back DISABLED, as in Cloud KMS. */
    public void restore(String key) {
        client.restoreCryptoKeyVersion(primaryVersion(key));
    }

    /** Adds a version and makes it primary; returns its name. Older versions stay enabled for decryption. */
    public String rotate(String key) {
        CryptoKeyVersion v = client.createCryptoKeyVersion(key, CryptoKeyVersion.getDefaultInstance());
        client.updateCryptoKeyPrimaryVersion(key, v.getName().substring(v.getName().lastIndexOf('/') + 1));
        return v.getName();
    }

    public void setVersionState(String version, CryptoKeyVersionState state) {
        client.updateCryptoKeyVersion(CryptoKeyVersion.newBuilder().setName(version).setState(state).build(),
                FieldMask.newBuilder().addPaths("state").build());
    }

    public CryptoKey describe(String key) {
        return client.getCryptoKey(key);
    }

    private void setPrimaryState(String key, CryptoKeyVersionState state) {
        setVersionState(primaryVersion(key), state);
    }

    private String primaryVersion(String key) {
        return client.getCryptoKey(key).getPrimary().getName();
    }

    void reconnectNow() {
        channel.resetConnectBackoff();
    }

    @Override
    public void close() {
        client.close();
        channel.shutdownNow();
    }
}
