package io.keyward.api;

import io.keyward.error.ErrorCode;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.ConfigProvider;

import java.util.UUID;

/**
 * Bodies over {@code quarkus.http.limits.max-body-size} get the same problem+json as every other error.
 * Quarkus enforces that limit in a route of order {@link RouteConstants#ROUTE_ORDER_UPLOAD_LIMIT} that answers a
 * bare 413 itself (Content-Length) or lets RESTEasy's input stream do so mid-read (chunked); neither fails the
 * routing context, so no error handler ever sees them. This runs first and answers both cases itself.
 */
@Singleton
public class BodyLimit {
    void install(@Observes Router router) {
        long limit = ConfigProvider.getConfig().getValue("quarkus.http.limits.max-body-size", MemorySize.class)
                .asLongValue();
        // Chunked bodies have no length to check up front: read them here under the same limit. Going over
        // fails the context with 413, which the failure handler below renders.
        BodyHandler chunked = BodyHandler.create(false).setBodyLimit(limit);
        router.route().order(RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT - 1).handler(ctx -> {
            String length = ctx.request().getHeader("Content-Length");
            long n;
            try {
                n = length == null ? -1 : Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n > limit) {
                tooLarge(ctx);
            } else if (n < 0 && "chunked".equalsIgnoreCase(ctx.request().getHeader("Transfer-Encoding"))) {
                chunked.handle(ctx);
            } else {
                ctx.next();
            }
        }).failureHandler(ctx -> {
            if (ctx.statusCode() == 413) {
                tooLarge(ctx);
            } else {
                ctx.next();
            }
        });
    }

    private static void tooLarge(RoutingContext ctx) {
        if (ctx.response().ended()) {
            return;
        }
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
        // Close: the rest of an oversize body is not worth reading.
        ctx.response().setStatusCode(413).putHeader("Content-Type", Problems.MEDIA_TYPE)
                .putHeader(HttpFilters.REQUEST_ID, id).putHeader("Connection", "close").end(body.encode());
    }
}
