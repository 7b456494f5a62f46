package io.keyward.api;

import io.keyward.audit.AuditEvent;
import io.keyward.audit.AuditLine;
import io.keyward.audit.AuditLog;
import io.keyward.audit.AuditVerifier;
import io.keyward.audit.AuditWebhooks;
import io.keyward.audit.ChainVerification;
import io.keyward.error.ErrorCode;
import io.keyward.error.KeywardException;
import io.keyward.tenant.TenantService;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;

import java.io.OutputStream;
import java.net.URI;
import java.util.List;

/**
 * A tenant's audit trail: read (newest first), verify its hash chain, export it as JSON Lines, and its webhook.
 * Admin only;
 * {@code tenant-admin} for its own tenants arrives with the OIDC part of issue 5.
 */
@Path("/v1/tenants")
@Produces(MediaType.APPLICATION_JSON)
public class AuditResource {
    public static final String NDJSON = "application/x-ndjson";
    private static final int MAX_PAGE = 500;
    /** Rows read per query while exporting: memory stays bounded whatever the trail's length. */
    private static final int EXPORT_PAGE = 500;

    private final RequestInfo request;
    private final TenantService tenants;
    private final AuditLog audit;
    private final AuditVerifier verifier;
    private final AuditWebhooks webhooks;

    public AuditResource(RequestInfo request, TenantService tenants, AuditLog audit, AuditVerifier verifier,
            AuditWebhooks webhooks) {
        this.request = request;
        this.tenants = tenants;
        this.audit = audit;
        this.verifier = verifier;
        this.webhooks = webhooks;
    }

    /** The answer of {@code :verify}. */
    public record Verification(long verified, boolean intact, BrokenLink firstBrokenLink, long unchained) {
    }

    /** See {@link ChainVerification.BrokenLink}. */
    public record BrokenLink(Long seq, Long chainSeq, String id, String reason) {
    }

    /** {@code PUT .../audit-webhook}: the secret signs deliveries; it is sealed and never shown again. */
    public record WebhookRequest(String url, String secret) {
        @Override
        public String toString() {
            return "WebhookRequest[url=" + url + ", secret=<redacted>]";
        }
    }

    /** A tenant's audit webhook as the API shows it: never the secret. */
    public record WebhookView(String url, java.time.Instant updatedAt) {
    }

    @GET
    @Path("{t: [^/:]+}/audit")
    public Dto.Page<Dto.AuditView> list(@PathParam("t") String t, @QueryParam("limit") String limit,
            @QueryParam("cursor") String cursor) {
        request.requireTenantAdmin(t);
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
        request.requireTenantAdmin(t);
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
        request.requireTenantAdmin(t);
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
        out.write(AuditLine.of(e).json());
        out.write('\n');
    }

    @PUT
    @Path("{t: [^/:]+}/audit-webhook")
    @Consumes(MediaType.APPLICATION_JSON)
    public WebhookView setWebhook(@PathParam("t") String t, WebhookRequest body) {
        request.requireTenantAdmin(t);
        tenants.get(t);
        Inputs.body(body);
        AuditWebhooks.Webhook w = webhooks.set(t, body.url(), body.secret());
        URI u = URI.create(w.url());
        audit.record(request.actor(), t, null, "audit-webhook.set", "OK",
                u.getScheme() + "://" + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort()));
        return new WebhookView(w.url(), w.updatedAt());
    }

    @DELETE
    @Path("{t: [^/:]+}/audit-webhook")
    public Response deleteWebhook(@PathParam("t") String t) {
        request.requireTenantAdmin(t);
        tenants.get(t);
        if (webhooks.delete(t)) {
            audit.record(request.actor(), t, null, "audit-webhook.delete", "OK", null);
        }
        return Response.noContent().build();
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
