package io.keyward.api;

import io.keyward.audit.AuditLog;
import io.keyward.error.ErrorCode;
import io.keyward.error.KeywardException;
import io.keyward.keys.ProviderSetup;
import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeySpec;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.seal.SecretSealer;
import io.keyward.tenant.SealedSecrets;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The seal root key that protects provider credentials at rest (admin only): which key seals, which old keys still
 * open, how many stored values are under each, re-sealing them under the current key, and wrapping it under a KMS key
 * so that it can be configured as {@code keyward.seal.kms.*} instead of in plain.
 */
@Path("/v1/admin")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class SealResource {
    private final RequestInfo request;
    private final SealedSecrets sealed;
    private final AuditLog audit;
    private final SecretSealer sealer;
    private final ProviderSetup providers;

    public SealResource(RequestInfo request, SealedSecrets sealed, AuditLog audit, SecretSealer sealer,
            ProviderSetup providers) {
        this.request = request;
        this.sealed = sealed;
        this.audit = audit;
        this.sealer = sealer;
        this.providers = providers;
    }

    public record WrapRootKeyRequest(String provider, String keyUri, Map<String, String> options) {
    }

    /** The values for {@code keyward.seal.kms.wrapped-root-key}, {@code .provider}, {@code .key-uri}. */
    public record WrappedRootKey(String wrappedRootKey, String provider, String keyUri, String rootKeyId) {
    }

    /** Where a rotation stands: when {@code previous} and {@code unreadable} are 0 the old key can go. */
    public record SealStatus(String currentKeyId, List<String> previousKeyIds, int sealedUnderCurrent,
            int sealedUnderPrevious, int unreadable) {
    }

    public record ResealResult(int resealed, int alreadyCurrent, int unreadable, int changedMeanwhile,
            SealStatus status) {
    }

    @GET
    @Path("seal")
    public SealStatus status() {
        request.requireAdmin();
        return view(sealed.status());
    }

    @POST
    @Path("seal:reseal")
    public ResealResult reseal() {
        request.requireAdmin();
        SealedSecrets.Resealed r = sealed.resealAll();
        SealedSecrets.Status after = sealed.status();
        audit.record(request.actor(), null, null, "seal.reseal", r.unreadable() == 0 ? "OK" : "PARTIAL",
                "resealed " + r.resealed() + " under root key " + after.currentKeyId() + ", " + r.alreadyCurrent()
                        + " already current, " + r.unreadable() + " unreadable");
        return new ResealResult(r.resealed(), r.alreadyCurrent(), r.unreadable(), r.changedMeanwhile(), view(after));
    }

    /**
     * Wraps the current root key under a KMS key (with a round trip to prove it opens again). Nothing is stored:
     * the operator configures the answer as {@code keyward.seal.kms.*} and removes the plain root key.
     */
    @POST
    @Path("seal:wrap-root-key")
    public WrappedRootKey wrapRootKey(WrapRootKeyRequest body) {
        request.requireAdmin();
        if (body == null || body.provider() == null || body.provider().isBlank() || body.keyUri() == null
                || body.keyUri().isBlank()) {
            throw KeywardException.of(ErrorCode.INVALID_REQUEST, "provider and keyUri are required");
        }
        KeyProvider provider = providers.registry().find(body.provider()).orElseThrow(() -> unknown(body.provider()));
        KeySpec spec;
        try {
            spec = provider.validate(body.keyUri(), body.options() == null ? Map.of() : body.options());
        } catch (ProviderException e) {
            throw KeywardException.of(ErrorCode.INVALID_REQUEST, e.getMessage());
        }
        byte[] wrapped;
        try {
            wrapped = sealer.wrapRootKey(provider, spec);
        } catch (ProviderException e) {
            String outcome = e instanceof KeyRevokedException ? "revoked"
                    : e instanceof KeyUnavailableException ? "unavailable" : "misconfigured";
            audit.record(request.actor(), null, null, "seal.wrap-root-key", "KEY_CHECK_FAILED",
                    spec.provider() + " " + spec.keyUri() + ": " + outcome + ": " + e.getMessage());
            throw KeywardException.of(ErrorCode.KEY_CHECK_FAILED,
                    "wrapping the root key failed (" + outcome + "): " + e.getMessage());
        }
        audit.record(request.actor(), null, null, "seal.wrap-root-key", "OK",
                "root key " + sealer.currentKeyId() + " wrapped under " + spec.provider() + " " + spec.keyUri());
        return new WrappedRootKey(Base64.getEncoder().encodeToString(wrapped), spec.provider(), spec.keyUri(),
                sealer.currentKeyId());
    }

    private static KeywardException unknown(String id) {
        if ("local".equals(id)) {
            return KeywardException.of(ErrorCode.PROVIDER_NOT_ALLOWED,
                    "the local provider is disabled on this deployment (keyward.providers.local.allow-in-production)");
        }
        return KeywardException.of(ErrorCode.INVALID_REQUEST,
                "unknown provider '" + id.replaceAll("[^A-Za-z0-9_.-]", "?") + "'");
    }

    private static SealStatus view(SealedSecrets.Status s) {
        return new SealStatus(s.currentKeyId(), s.previousKeyIds(), s.current(), s.previous(), s.unreadable());
    }
}
