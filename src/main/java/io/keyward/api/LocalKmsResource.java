package io.keyward.api;

import io.keyward.audit.AuditLog;
import io.keyward.error.ErrorCode;
import io.keyward.error.KeywardException;
import io.keyward.keys.ProviderSetup;
import io.keyward.provider.local.LocalKey;
import io.keyward.provider.local.LocalKms;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * The stand-in KMS's own admin API (admin only). Changing a key's state here does not tell keyward's key
 * service anything: like a cloud KMS, the change is discovered by the next provider call or probe.
 */
@Path("/v1/local-kms/keys")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class LocalKmsResource {
    private final RequestInfo request;
    private final ProviderSetup providers;
    private final AuditLog audit;

    public LocalKmsResource(RequestInfo request, ProviderSetup providers, AuditLog audit) {
        this.request = request;
        this.providers = providers;
        this.audit = audit;
    }

    @POST
    public Response create(Dto.CreateLocalKey body) {
        LocalKms kms = kms();
        Inputs.body(body);
        LocalKey key;
        try {
            key = kms.create(body.name());
        } catch (IllegalArgumentException e) {
            throw KeywardException.of(ErrorCode.INVALID_REQUEST, e.getMessage());
        } catch (IllegalStateException e) {
            if ("exists".equals(e.getMessage())) {
                throw KeywardException.of(ErrorCode.KEY_EXISTS, "local key '" + body.name() + "' exists");
            }
            throw e;
        }
        audit.record(request.actor(), null, null, "local-kms.create", "OK", key.keyUri());
        return Response.status(201).entity(view(key)).build();
    }

    @GET
    public Dto.Items<Dto.LocalKeyView> list() {
        return new Dto.Items<>(kms().list().stream().map(LocalKmsResource::view).toList());
    }

    @POST
    @Path("{name: [^/:]+}:disable")
    public Dto.LocalKeyView disable(@PathParam("name") String name) {
        return change(name, "disable", k -> kms().disable(k));
    }

    @POST
    @Path("{name: [^/:]+}:enable")
    public Dto.LocalKeyView enable(@PathParam("name") String name) {
        return change(name, "enable", k -> kms().enable(k));
    }

    @POST
    @Path("{name: [^/:]+}:destroy")
    public Dto.LocalKeyView destroy(@PathParam("name") String name) {
        return change(name, "destroy", k -> kms().destroy(k));
    }

    private Dto.LocalKeyView change(String name, String verb, Function<String, LocalKey> op) {
        kms();
        if (name == null || !LocalKms.NAME.matcher(name).matches()) {
            throw KeywardException.of(ErrorCode.KEY_NOT_FOUND, "no local key with that name");
        }
        try {
            LocalKey key = op.apply(name);
            audit.record(request.actor(), null, null, "local-kms." + verb, "OK", key.keyUri());
            return view(key);
        } catch (NoSuchElementException e) {
            throw KeywardException.of(ErrorCode.KEY_NOT_FOUND, "local key '" + name + "' does not exist");
        } catch (IllegalStateException e) {
            throw KeywardException.of(ErrorCode.INVALID_KEY_STATE, "local key '" + name + "': " + e.getMessage());
        }
    }

    private LocalKms kms() {
        request.requireAdmin();
        return providers.localKms().orElseThrow(() -> KeywardException.of(ErrorCode.PROVIDER_NOT_ALLOWED,
                "the local KMS is disabled on this deployment (keyward.providers.local.allow-in-production)"));
    }

    private static Dto.LocalKeyView view(LocalKey k) {
        return new Dto.LocalKeyView(k.name(), k.keyUri(), k.state().name(), k.createdAt());
    }
}
