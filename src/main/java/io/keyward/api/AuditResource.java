package io.keyward.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyward.audit.AuditChain;
import io.keyward.audit.AuditEvent;
import io.keyward.audit.AuditLog;
import io.keyward.audit.AuditVerifier;
import io.keyward.audit.ChainVerification;
import io.keyward.error.ErrorCode;
import io.keyward.error.KeywardException;
import io.keyward.tenant.TenantService;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;

import java.io.OutputStream;
import java.util.List;

/**
 * A tenant's audit trail: read (newest first), verify its hash chain, export it as JSON Lines. Admin only;
 * {@code tenant-admin} for its own tenants arrives with the OIDC part of issue 5.
 */
@Path("/v1/tenants")
@Produces(MediaType.APPLICATION_JSON)
public class AuditResource {
    public static final String NDJSON = "application/x-ndjson";
    private static final int MAX_PAGE = 500;
    /** Rows read per query while exporting: memory stays bounded whatever the trail's length. */
    private static final int EXPORT_PAGE = 500;
    /** Export lines are plain records of strings and numbers; nulls are written, as a verifier needs them. */
    private static final ObjectMapper LINES = new ObjectMapper();

    private final RequestInfo request;
    private final TenantService tenants;
    private final AuditLog audit;
    private final AuditVerifier verifier;

    public AuditResource(RequestInfo request, TenantService tenants, AuditLog audit, AuditVerifier verifier) {
        this.request = request;
        this.tenants = tenants;
        this.audit = audit;
        this.verifier = verifier;
    }

    /** The answer of {@code :verify}. */
    public record Verification(long verified, boolean intact, BrokenLink firstBrokenLink, long unchained) {
    }

    /** See {@link ChainVerification.BrokenLink}. */
    public record BrokenLink(Long seq, Long chainSeq, String id, String reason) {
    }

    /**
     * One line of {@code :export}: the event with its chain fields; {@code createdAt} in the exact form that is
     * hashed (docs/explanation/audit-trail.md).
     */
    public record ExportLine(long seq, Long chainSeq, String prevHash, String hash, String id, String tenantId,
            String keyId, String actor, String action, String outcome, String detail, String requestId,
            String createdAt) {
    }

    @GET
    @Path("{t: [^/:]+}/audit")
    public Dto.Page<Dto.AuditView> list(@PathParam("t") String t, @QueryParam("limit") String limit,
            @QueryParam("cursor") String cursor) {
        request.requireAdmin();
        tenants.get(t);
        int n = Inputs.limit(limit, 50, MAX_PAGE);
        long before = Long.MAX_VALUE;
        if (cursor != null) {
            try {
                before = Long.parseLong(TenantsResource.decodeCursor(cursor));
            } catch (NumberFormatException e) {
                throw KeywardException.of(ErrorCode.INVALID_REQUEST, "cursor is not valid");
            }
        }
        List<AuditEvent> page = audit.list(t, before, n + 1);
        boolean more = page.size() > n;
        List<AuditEvent> items = more ? page.subList(0, n) : page;
        String next = more ? TenantsResource.encodeCursor(Long.toString(items.get(items.size() - 1).seq())) : null;
        return new Dto.Page<>(items.stream().map(e -> new Dto.AuditView(e.id(), e.createdAt(), e.tenantId(),
                e.keyId(), e.actor(), e.action(), e.outcome(), e.detail(), e.requestId())).toList(), next);
    }

    @GET
    @Path("{t: [^/:]+}/audit:verify")
    public Verification verify(@PathParam("t") String t) {
        request.requireAdmin();
        tenants.get(t);
        ChainVerification v = verifier.verify(t);
        ChainVerification.BrokenLink b = v.firstBrokenLink();
        return new Verification(v.verified(), v.intact(),
                b == null ? null : new BrokenLink(b.seq(), b.chainSeq(), b.id(), b.reason()), v.unchained());
    }

    @GET
    @Path("{t: [^/:]+}/audit:export")
    @Produces(NDJSON)
    public Response export(@PathParam("t") String t, @QueryParam("after") String after) {
        request.requireAdmin();
        tenants.get(t);
        long from = afterSeq(after);
        // Checks above run before the first byte, so their failures are still problem+json; the body below is
        // read a page at a time and written as it is read.
        StreamingOutput body = out -> {
            long cursor = from;
            while (true) {
                List<AuditEvent> page = audit.ascending(t, cursor, EXPORT_PAGE);
                for (AuditEvent e : page) {
                    write(out, e);
                }
                if (page.size() < EXPORT_PAGE) {
                    return;
                }
                cursor = page.get(page.size() - 1).seq();
                out.flush();
            }
        };
        return Response.ok(body, NDJSON).build();
    }

    private static void write(OutputStream out, AuditEvent e) throws java.io.IOException {
        out.write(LINES.writeValueAsBytes(new ExportLine(e.seq(), e.chainSeq(), e.prevHash(), e.hash(), e.id(),
                e.tenantId(), e.keyId(), e.actor(), e.action(), e.outcome(), e.detail(), e.requestId(),
                AuditChain.time(e.createdAt()))));
        out.write('\n');
    }

    private static long afterSeq(String raw) {
        if (raw == null || raw.isEmpty()) {
            return 0;
        }
        try {
            long v = Long.parseLong(raw);
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw KeywardException.of(ErrorCode.INVALID_REQUEST, "after is a sequence number (0 or more)");
    }
}
