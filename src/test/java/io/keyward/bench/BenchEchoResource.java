package io.keyward.bench;

import io.keyward.api.Dto;
import io.keyward.api.RequestInfo;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;

import java.util.Arrays;
import java.util.Base64;

/**
 * The HTTP floor (scenario "http"): a data-plane-shaped endpoint that does everything keyward's encrypt does
 * except the cryptography. It sits under /v1, so the same pre-matching filter authenticates the bearer API key;
 * it checks the same tenant scope, reads the same JSON body, decodes the base64 plaintext and answers a
 * {@code {"ciphertext","keyId"}} body whose base64 is {@code outBytes} long (the scenario passes the length of a
 * real envelope of the same plaintext), so bytes on the wire match encrypt's in both directions.
 *
 * <p>Test code only: Quarkus serves test-source resources in {@code @QuarkusTest}, never in the packaged app.
 * Hidden from the OpenAPI document, which OpenApiTest compares with docs/reference/openapi.yaml.
 */
@Path("/v1/tenants")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class BenchEchoResource {
    private static final String KEY_ID = "bench-echo-key";
    private final RequestInfo request;

    public BenchEchoResource(RequestInfo request) {
        this.request = request;
    }

    @POST
    @Path("{t: [^/:]+}/bench-echo")
    @Operation(hidden = true)
    public Dto.Ciphertext echo(@PathParam("t") String t, @QueryParam("outBytes") int outBytes, Dto.Encrypt body) {
        request.requireTenantAccess(t);
        byte[] in = Base64.getDecoder().decode(body.plaintext());
        byte[] out = Arrays.copyOf(in, Math.max(outBytes, in.length));
        return new Dto.Ciphertext(Base64.getEncoder().encodeToString(out), KEY_ID);
    }
}
