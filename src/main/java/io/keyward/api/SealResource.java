package io.keyward.api;

import io.keyward.audit.AuditLog;
import io.keyward.tenant.SealedSecrets;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.List;

/**
 * The seal root key that protects provider credentials at rest (admin only): which key seals, which old keys still
 * open, how many stored values are under each, and re-sealing them under the current key.
 */
@Path("/v1/admin")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class SealResource {
    private final RequestInfo request;
    private final SealedSecrets sealed;
    private final AuditLog audit;

    public SealResource(RequestInfo request, SealedSecrets sealed, AuditLog audit) {
        this.request = request;
        this.sealed = sealed;
        this.audit = audit;
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

    private static SealStatus view(SealedSecrets.Status s) {
        return new SealStatus(s.currentKeyId(), s.previousKeyIds(), s.current(), s.previous(), s.unreadable());
    }
}
