package io.keyward.api;

import io.keyward.auth.ApiKeyService;
import io.keyward.auth.Caller;
import io.keyward.auth.OidcAuthenticator;
import io.keyward.error.ErrorCode;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.core.Response;
import io.smallrye.mutiny.Uni;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Request id, bearer authentication on every /v1 path (a JWT goes to OIDC when enabled, any other token is an
 * API key; quarkus-oidc never answers on its own: proactive authentication is off), and the one access-log line per request (method, path,
 * status, code, latency, request id: never bodies, headers or tokens).
 */
public class HttpFilters {
    public static final String REQUEST_ID = "X-Request-Id";
    private static final Pattern SAFE_ID = Pattern.compile("^[A-Za-z0-9._-]{1,64}$");
    private static final Logger ACCESS = Logger.getLogger("io.keyward.access");

    private final RequestInfo request;
    private final ApiKeyService apiKeys;
    private final OidcAuthenticator oidc;

    public HttpFilters(RequestInfo request, ApiKeyService apiKeys, OidcAuthenticator oidc) {
        this.request = request;
        this.apiKeys = apiKeys;
        this.oidc = oidc;
    }

    @ServerRequestFilter(preMatching = true)
    public Uni<Response> authenticate(ContainerRequestContext ctx) {
        String incoming = ctx.getHeaderString(REQUEST_ID);
        String id = incoming != null && SAFE_ID.matcher(incoming).matches() ? incoming : UUID.randomUUID().toString();
        request.start(id, System.nanoTime());
        MDC.put("requestId", id);
        String path = ctx.getUriInfo().getPath();
        if (!path.startsWith("/v1")) {
            return Uni.createFrom().nullItem();
        }
        normaliseCustomMethod(ctx);
        String header = ctx.getHeaderString("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Uni.createFrom().item(Problems.response(ErrorCode.UNAUTHENTICATED, 401,
                    "send Authorization: Bearer <token>", id, null));
        }
        String token = header.substring(7).trim();
        if (oidc.enabled() && OidcAuthenticator.looksLikeJwt(token)) {
            return oidc.authenticate(token).map(caller -> admit(caller, id));
        }
        return Uni.createFrom().item(admit(apiKeys.authenticate(token), id));
    }

    /** Null lets the request through; otherwise the 401 to answer. */
    private Response admit(Optional<Caller> caller, String id) {
        if (caller.isEmpty()) {
            return Problems.response(ErrorCode.UNAUTHENTICATED, 401, "the bearer token is not valid", id, null);
        }
        request.authenticated(caller.get());
        return null;
    }

    /**
     * Custom methods ({@code /v1/tenants/acme:revoke}) may arrive with the colon percent-encoded, as some HTTP
     * clients send it; route both spellings alike.
     */
    private static void normaliseCustomMethod(ContainerRequestContext ctx) {
        java.net.URI uri = ctx.getUriInfo().getRequestUri();
        String raw = uri.getRawPath();
        if (raw != null && (raw.contains("%3A") || raw.contains("%3a"))) {
            String fixed = raw.replace("%3A", ":").replace("%3a", ":");
            String query = uri.getRawQuery();
            ctx.setRequestUri(uri.resolve(fixed + (query == null ? "" : "?" + query)));
        }
    }

    @ServerResponseFilter
    public void log(ContainerRequestContext req, ContainerResponseContext res) {
        String id = request.requestId();
        if (id != null) {
            res.getHeaders().putSingle(REQUEST_ID, id);
        }
        String path = req.getUriInfo().getPath();
        if (!path.startsWith("/v1")) {
            return;
        }
        long ms = (System.nanoTime() - request.startNanos()) / 1_000_000;
        Object entity = res.getEntity();
        String code = entity instanceof java.util.Map<?, ?> m && m.get("code") instanceof String c ? c : "-";
        ACCESS.infof("%s %s -> %d %s %dms", req.getMethod(), clip(path), res.getStatus(), code, ms);
    }

    private static String clip(String path) {
        String p = path.length() > 160 ? path.substring(0, 160) + "..." : path;
        return p.replaceAll("[^\\x21-\\x7e]", "?");
    }
}
