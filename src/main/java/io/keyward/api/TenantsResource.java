package io.keyward.api;

import io.keyward.audit.AuditLog;
import io.keyward.error.ErrorCode;
import io.keyward.error.KeywardException;
import io.keyward.keys.CheckResult;
import io.keyward.keys.KeyAdmin;
import io.keyward.keys.KeyRetirement;
import io.keyward.keys.Revocations;
import io.keyward.tenant.Tenant;
import io.keyward.tenant.TenantKey;
import io.keyward.tenant.TenantService;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/** Tenants, their keys and revocation (admin only); their audit trails are in {@link AuditResource}. */
@Path("/v1/tenants")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class TenantsResource {
    private static final int MAX_PAGE = 500;

    private final RequestInfo request;
    private final TenantService tenants;
    private final KeyAdmin keyAdmin;
    private final KeyRetirement keyRetirement;
    private final Revocations revocations;
    private final AuditLog audit;

    public TenantsResource(RequestInfo request, TenantService tenants, KeyAdmin keyAdmin, Revocations revocations,
            AuditLog audit, KeyRetirement keyRetirement) {
        this.request = request;
        this.tenants = tenants;
        this.keyAdmin = keyAdmin;
        this.keyRetirement = keyRetirement;
        this.revocations = revocations;
        this.audit = audit;
    }

    @POST
    public Response create(Dto.CreateTenant body) {
        request.requireAdmin();
        Inputs.body(body);
        Tenant t = tenants.create(body.id(), body.name());
        audit.record(request.actor(), t.id(), null, "tenant.create", "OK", null);
        return Response.status(201).entity(view(t)).build();
    }

    @GET
    public Dto.Page<Dto.TenantView> list(@QueryParam("limit") String limit, @QueryParam("cursor") String cursor) {
        request.requireAdmin();
        int n = Inputs.limit(limit, 50, MAX_PAGE);
        String after = cursor == null ? null : decodeCursor(cursor);
        List<Tenant> page = tenants.list(after, n + 1);
        boolean more = page.size() > n;
        List<Tenant> items = more ? page.subList(0, n) : page;
        String next = more ? encodeCursor(items.get(items.size() - 1).id()) : null;
        return new Dto.Page<>(items.stream().map(TenantsResource::view).toList(), next);
    }

    @GET
    @Path("{t: [^/:]+}")
    public Dto.TenantView get(@PathParam("t") String t) {
        request.requireTenantAdmin(t);
        return view(tenants.get(t));
    }

    @POST
    @Path("{t: [^/:]+}:revoke")
    public Dto.TenantView revoke(@PathParam("t") String t, Dto.Revoke body) {
        request.requireTenantAdmin(t);
        String reason = body == null || body.reason() == null ? "revoked by administrator" : body.reason();
        if (reason.length() > 1000) {
            throw KeywardException.of(ErrorCode.INVALID_REQUEST, "reason is at most 1000 characters");
        }
        return view(revocations.revokeTenant(tenants.get(t).id(), reason, request.actor()));
    }

    @POST
    @Path("{t: [^/:]+}:restore")
    public Dto.TenantView restore(@PathParam("t") String t) {
        request.requireTenantAdmin(t);
        return view(keyAdmin.restore(t, request.actor()));
    }

    @POST
    @Path("{t: [^/:]+}/keys")
    public Response attachKey(@PathParam("t") String t, Dto.AttachKey body) {
        request.requireTenantAdmin(t);
        TenantService.requireValidId(t);
        Inputs.body(body);
        if (body.provider() == null || body.keyUri() == null) {
            throw KeywardException.of(ErrorCode.INVALID_REQUEST, "provider and keyUri are required");
        }
        if (body.options() != null && body.options().entrySet().stream()
                .anyMatch(e -> e.getKey() == null || e.getValue() == null)) {
            throw KeywardException.of(ErrorCode.INVALID_REQUEST, "options values must be strings");
        }
        TenantKey key = keyAdmin.attach(t, body.provider(), body.keyUri(), body.options(), request.actor());
        return Response.status(201).entity(view(key)).build();
    }

    @GET
    @Path("{t: [^/:]+}/keys")
    public Dto.Items<Dto.TenantKeyView> keys(@PathParam("t") String t) {
        request.requireTenantAdmin(t);
        return new Dto.Items<>(tenants.get(t).keys().stream().map(TenantsResource::view).toList());
    }

    @POST
    @Path("{t: [^/:]+}/keys/{k: [^/:]+}:check")
    public Dto.CheckView check(@PathParam("t") String t, @PathParam("k") String k) {
        request.requireTenantAdmin(t);
        CheckResult r = keyAdmin.check(t, k, request.actor());
        return new Dto.CheckView(r.status().name(), r.detail(), r.latencyMs());
    }

    @POST
    @Path("{t: [^/:]+}/keys/{k: [^/:]+}:retire")
    public Dto.TenantKeyView retire(@PathParam("t") String t, @PathParam("k") String k, Dto.Retire body) {
        request.requireTenantAdmin(t);
        boolean force = body != null && Boolean.TRUE.equals(body.force());
        return view(keyRetirement.retire(t, k, force, request.actor()));
    }

    static Dto.TenantView view(Tenant t) {
        return new Dto.TenantView(t.id(), t.name(), t.state().name(), t.primaryKey().map(TenantKey::id).orElse(null),
                t.revokedReason(), t.revokedAt(), t.createdAt(), t.keys().stream().map(TenantsResource::view).toList());
    }

    static Dto.TenantKeyView view(TenantKey k) {
        return new Dto.TenantKeyView(k.id(), k.provider(), k.keyUri(), k.options(),
                k.secrets().isEmpty() ? null : new java.util.TreeSet<>(k.secrets().keySet()), k.status().name(),
                k.health().name(), k.healthDetail(), k.healthCheckedAt(), k.createdAt());
    }

    static String encodeCursor(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static String decodeCursor(String c) {
        try {
            if (c.length() > 256) {
                throw new IllegalArgumentException();
            }
            return new String(Base64.getUrlDecoder().decode(c), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw KeywardException.of(ErrorCode.INVALID_REQUEST, "cursor is not valid");
        }
    }
}
