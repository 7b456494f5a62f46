package io.keyward.testing.gcp;

import com.google.cloud.kms.v1.CreateCryptoKeyRequest;
import com.google.cloud.kms.v1.CreateCryptoKeyVersionRequest;
import com.google.cloud.kms.v1.CreateKeyRingRequest;
import com.google.cloud.kms.v1.CryptoKey;
import com.google.cloud.kms.v1.CryptoKeyVersion;
import com.google.cloud.kms.v1.DecryptRequest;
import com.google.cloud.kms.v1.DecryptResponse;
import com.google.cloud.kms.v1.DestroyCryptoKeyVersionRequest;
import com.google.cloud.kms.v1.EncryptRequest;
import com.google.cloud.kms.v1.EncryptResponse;
import com.google.cloud.kms.v1.GetCryptoKeyRequest;
import com.google.cloud.kms.v1.KeyRing;
import com.google.cloud.kms.v1.RestoreCryptoKeyVersionRequest;
import com.google.cloud.kms.v1.UpdateCryptoKeyPrimaryVersionRequest;
import com.google.cloud.kms.v1.UpdateCryptoKeyVersionRequest;
import com.google.iam.v1.GetIamPolicyRequest;
import com.google.iam.v1.Policy;
import com.google.iam.v1.SetIamPolicyRequest;
import com.google.protobuf.Message;
import io.grpc.Context;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.function.BiFunction;

/**
 * The gRPC services of Cloud KMS that keyward and the test's "customer" use, bound to {@link CloudKmsState}:
 * {@code google.cloud.kms.v1.KeyManagementService} and the {@code google.iam.v1.IAMPolicy} mixin, with the real
 * method names and protobuf messages, so the unmodified {@code KeyManagementServiceClient} talks to them.
 *
 * <p>The method descriptors are built here with {@link ProtoUtils} marshallers, which is all the generated
 * {@code KeyManagementServiceGrpc.KeyManagementServiceImplBase} does: that class ships in
 * {@code com.google.api.grpc:grpc-google-cloud-kms-v1}, which is not among this project's dependencies
 * (google-cloud-kms depends only on the proto artifact and its own client stub). Methods not listed answer
 * UNIMPLEMENTED, as gRPC does for unknown methods.
 */
final class CloudKmsServices {
    static final String KMS = "google.cloud.kms.v1.KeyManagementService";
    static final String IAM = "google.iam.v1.IAMPolicy";
    /** The caller's identity, set by {@link CloudKmsTestServer}'s interceptor from the request's token. */
    static final Context.Key<String> PRINCIPAL = Context.key("cloudkms-principal");
    /** The request's {@code x-goog-request-params} header, if any; when sent it must name the request's resource. */
    static final Context.Key<String> ROUTING = Context.key("cloudkms-routing");

    private CloudKmsServices() {
    }

    static ServerServiceDefinition keyManagement(CloudKmsState state) {
        ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(KMS);
        unary(b, KMS, "CreateKeyRing", CreateKeyRingRequest.getDefaultInstance(), KeyRing.getDefaultInstance(),
                (p, r) -> state.createKeyRing(p, r.getParent(), r.getKeyRingId()));
        unary(b, KMS, "CreateCryptoKey", CreateCryptoKeyRequest.getDefaultInstance(), CryptoKey.getDefaultInstance(),
                (p, r) -> state.createCryptoKey(p, r.getParent(), r.getCryptoKeyId(), r.getCryptoKey(),
                        r.getSkipInitialVersionCreation()));
        unary(b, KMS, "GetCryptoKey", GetCryptoKeyRequest.getDefaultInstance(), CryptoKey.getDefaultInstance(),
                (p, r) -> state.getCryptoKey(p, routed(r.getName(), r).getName()));
        unary(b, KMS, "CreateCryptoKeyVersion", CreateCryptoKeyVersionRequest.getDefaultInstance(),
                CryptoKeyVersion.getDefaultInstance(), (p, r) -> state.createCryptoKeyVersion(p, r.getParent()));
        unary(b, KMS, "UpdateCryptoKeyPrimaryVersion", UpdateCryptoKeyPrimaryVersionRequest.getDefaultInstance(),
                CryptoKey.getDefaultInstance(), (p, r) -> state.updatePrimaryVersion(p, r.getName(),
                        r.getCryptoKeyVersionId()));
        unary(b, KMS, "UpdateCryptoKeyVersion", UpdateCryptoKeyVersionRequest.getDefaultInstance(),
                CryptoKeyVersion.getDefaultInstance(), (p, r) -> state.updateVersionState(p, r.getCryptoKeyVersion(),
                        r.getUpdateMask().getPathsList()));
        unary(b, KMS, "DestroyCryptoKeyVersion", DestroyCryptoKeyVersionRequest.getDefaultInstance(),
                CryptoKeyVersion.getDefaultInstance(), (p, r) -> state.destroyVersion(p, r.getName()));
        unary(b, KMS, "RestoreCryptoKeyVersion", RestoreCryptoKeyVersionRequest.getDefaultInstance(),
                CryptoKeyVersion.getDefaultInstance(), (p, r) -> state.restoreVersion(p, r.getName()));
        unary(b, KMS, "Encrypt", EncryptRequest.getDefaultInstance(), EncryptResponse.getDefaultInstance(),
                (p, r) -> state.encrypt(p, routed(r.getName(), r)));
        unary(b, KMS, "Decrypt", DecryptRequest.getDefaultInstance(), DecryptResponse.getDefaultInstance(),
                (p, r) -> state.decrypt(p, routed(r.getName(), r)));
        return b.build();
    }

    static ServerServiceDefinition iamPolicy(CloudKmsState state) {
        ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(IAM);
        unary(b, IAM, "GetIamPolicy", GetIamPolicyRequest.getDefaultInstance(), Policy.getDefaultInstance(),
                (p, r) -> state.getIamPolicy(p, r.getResource()));
        unary(b, IAM, "SetIamPolicy", SetIamPolicyRequest.getDefaultInstance(), Policy.getDefaultInstance(),
                (p, r) -> state.setIamPolicy(p, r.getResource(), r.getPolicy()));
        return b.build();
    }

    /** Refuses a request whose routing header names another resource than its body (a client bug Google rejects). */
    private static <Q> Q routed(String name, Q request) {
        String routing = ROUTING.get();
        if (routing != null && !routing.equals("name=" + URLEncoder.encode(name, StandardCharsets.UTF_8))) {
            throw Status.INVALID_ARGUMENT.withDescription("x-goog-request-params does not match the request's name.")
                    .asRuntimeException();
        }
        return request;
    }

    private static <Q extends Message, R extends Message> void unary(ServerServiceDefinition.Builder b, String service,
            String method, Q request, R response, BiFunction<String, Q, R> handler) {
        MethodDescriptor<Q, R> descriptor = MethodDescriptor.<Q, R>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(service, method))
                .setRequestMarshaller(ProtoUtils.marshaller(request))
                .setResponseMarshaller(ProtoUtils.marshaller(response))
                .build();
        b.addMethod(descriptor, ServerCalls.asyncUnaryCall((req, observer) -> {
            try {
                observer.onNext(handler.apply(PRINCIPAL.get(), req));
                observer.onCompleted();
            } catch (StatusRuntimeException e) {
                try {
                    observer.onError(e);
                } catch (StatusRuntimeException cancelled) {
                    // The client gave up (deadline) while a delayed answer was on its way: nothing to send.
                }
            }
        }));
    }
}
