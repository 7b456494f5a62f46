package io.keyward.api;

import io.keyward.error.ErrorCode;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import java.util.UUID;

/**
 * Vert.x refuses a body over {@code quarkus.http.limits.max-body-size} before JAX-RS sees it, with a bare 413
 * and a closed connection. A declared Content-Length over the limit is answered here first, with the same
 * problem+json as every other error; a chunked body that grows past the limit still gets Vert.x's bare 413.
 */
@Singleton
public class BodyLimit {
    private final long maxBodyBytes;

    public BodyLimit(@ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize maxBody) {
        this.maxBodyBytes = maxBody.asLongValue();
    }

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            String declared = ctx.request().getHeader("Content-Length");
            if (declared != null && tooLarge(declared)) {
                reply(ctx);
            } else {
                ctx.next();
            }
        });
        router.errorHandler(413, BodyLimit::reply);
    }

    private boolean tooLarge(String declared) {
        try {
            return Long.parseLong(declared.trim()) > maxBodyBytes;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static void reply(RoutingContext ctx) {
        {
            String incoming = ctx.request().getHeader(HttpFilters.REQUEST_ID);
            String id = incoming != null && incoming.matches("^[A-Za-z0-9._-]{1,64}$") ? incoming
                    : UUID.randomUUID().toString();
            JsonObject body = new JsonObject()
                    .put("type", "urn:keyward:problem:payload-too-large")
                    .put("title", ErrorCode.PAYLOAD_TOO_LARGE.title())
                    .put("status", 413)
                    .put("detail", "request body is larger than the server accepts")
                    .put("code", ErrorCode.PAYLOAD_TOO_LARGE.name())
                    .put("requestId", id);
            if (!ctx.response().ended()) {
                ctx.response().setStatusCode(413).putHeader("Content-Type", Problems.MEDIA_TYPE)
                        .putHeader(HttpFilters.REQUEST_ID, id).putHeader("Connection", "close").end(body.encode());
            }
        }
    }
}
