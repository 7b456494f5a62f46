package io.keyward.api;

import io.keyward.error.ErrorCode;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import java.util.UUID;

/**
 * Vert.x refuses a body over {@code quarkus.http.limits.max-body-size} before JAX-RS sees it, with a bare 413.
 * This turns that answer into the same problem+json as every other error.
 */
@Singleton
public class BodyLimit {
    void install(@Observes Router router) {
        router.errorHandler(413, ctx -> {
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
                        .putHeader(HttpFilters.REQUEST_ID, id).end(body.encode());
            }
        });
    }
}
