package io.keyward.api;

import io.keyward.audit.AuditLog;
import io.keyward.auth.ApiKey;
import io.keyward.auth.ApiKeyService;
import io.keyward.auth.Role;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** API keys for machines (admin only). The token is returned once, at creation; a key can be revoked, not deleted. */
@Path("/v1/api-keys")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class ApiKeysResource {
    private final RequestInfo request;
    private final ApiKeyService apiKeys;
    private final AuditLog audit;

    public ApiKeysResource(RequestInfo request, ApiKeyService apiKeys, AuditLog audit) {
        this.request = request;
        this.apiKeys = apiKeys;
        this.audit = audit;
    }

    @POST
    public Response create(Dto.CreateApiKey body) {
        request.requireAdmin();
        Inputs.body(body);
        ApiKeyService.Issued issued = apiKeys.create(body.name(), body.roles(), body.tenants());
        audit.record(request.actor(), null, null, "api-key.create", "OK",
                issued.key().id() + " roles=" + issued.key().roles());
        return Response.status(201).entity(view(issued.key(), issued.token())).build();
    }

    @GET
    public Dto.Items<Dto.ApiKeyView> list() {
        request.requireAdmin();
        return new Dto.Items<>(apiKeys.list().stream().map(k -> view(k, null)).toList());
    }

    /**
     * Revokes a key on every replica: 204, also for a key revoked before (only the first revocation is audited,
     * as a DELETE of the audit webhook is).
     */
    @DELETE
    @Path("{id}")
    public Response revoke(@PathParam("id") String id) {
        request.requireAdmin();
        ApiKeyService.Revocation r = apiKeys.revoke(id, request.caller());
        if (!r.alreadyRevoked()) {
            audit.record(request.actor(), null, null, "api-key.revoke", "REVOKED",
                    r.key().id() + " name=" + r.key().name() + " roles=" + r.key().roles());
        }
        return Response.noContent().build();
    }

    private static Dto.ApiKeyView view(ApiKey k, String token) {
        return new Dto.ApiKeyView(k.id(), k.name(), k.roles().stream().map(Role::wire).toList(), k.tenants(),
                k.createdAt(), k.revokedAt(), token);
    }
}
