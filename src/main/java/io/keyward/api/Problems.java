package io.keyward.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.keyward.db.Database;
import io.keyward.error.ErrorCode;
import io.keyward.error.KeywardException;
import jakarta.inject.Inject;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.NotAcceptableException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The one place errors become HTTP: {@code application/problem+json} (RFC 7807) with a stable {@code code} and
 * the request id. Details are written for the caller and never carry key material, tokens or payloads;
 * unexpected failures answer a bare INTERNAL and are logged by class name only.
 */
public class Problems {
    public static final String MEDIA_TYPE = "application/problem+json";
    private static final Logger LOG = Logger.getLogger(Problems.class);

    @Inject
    RequestInfo request;

    public static Response response(ErrorCode code, int status, String detail, String requestId, Integer retryAfter) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "urn:keyward:problem:" + code.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        body.put("title", code.title());
        body.put("status", status);
        body.put("detail", detail);
        body.put("code", code.name());
        body.put("requestId", requestId);
        Response.ResponseBuilder rb = Response.status(status).type(MEDIA_TYPE).entity(body);
        if (retryAfter != null) {
            rb.header("Retry-After", retryAfter);
        }
        if (requestId != null) {
            rb.header(HttpFilters.REQUEST_ID, requestId);
        }
        return rb.build();
    }

    private Response problem(ErrorCode code, String detail) {
        return response(code, code.status(), detail, requestId(), null);
    }

    private String requestId() {
        try {
            return request.requestId();
        } catch (RuntimeException e) {
            return null;
        }
    }

    @ServerExceptionMapper
    public Response keyward(KeywardException e) {
        return response(e.code(), e.status(), e.detail(), requestId(), e.retryAfterSeconds());
    }

    @ServerExceptionMapper
    public Response json(JsonProcessingException e) {
        String detail;
        if (e instanceof MismatchedInputException mi) {
            detail = mi.getPath().isEmpty() ? "request body has the wrong shape"
                    : "field '" + path(mi) + "' has the wrong type or shape";
        } else {
            detail = "request body is not valid JSON";
        }
        return problem(ErrorCode.INVALID_REQUEST, detail);
    }

    /**
     * quarkus-rest-jackson ships its own mappers for {@link MismatchedInputException} and
     * {@link com.fasterxml.jackson.core.JsonParseException} (a bare 400 in prod), more specific than
     * {@link #json}; these are as specific, and ours win, so a wrong-typed field gets problem+json too.
     */
    @ServerExceptionMapper
    public Response mismatched(MismatchedInputException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response parse(com.fasterxml.jackson.core.JsonParseException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response validation(ConstraintViolationException e) {
        return problem(ErrorCode.INVALID_REQUEST, "request failed validation");
    }

    @ServerExceptionMapper
    public Response database(Database.DatabaseException e) {
        LOG.errorf("database failure: %s", e.getMessage());
        return response(ErrorCode.SERVICE_UNAVAILABLE, 503, "the database is unavailable; retry later", requestId(), 5);
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        if (e instanceof NotFoundException) {
            return problem(ErrorCode.NOT_FOUND, "no such resource");
        }
        if (e instanceof NotAllowedException) {
            return problem(ErrorCode.METHOD_NOT_ALLOWED, "method not allowed on this resource");
        }
        if (e instanceof NotSupportedException) {
            return problem(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send application/json");
        }
        if (e instanceof NotAcceptableException) {
            return problem(ErrorCode.NOT_ACCEPTABLE, "this resource produces application/json");
        }
        int status = e.getResponse() == null ? 400 : e.getResponse().getStatus();
        if (e.getCause() instanceof JsonProcessingException jp) {
            return json(jp);
        }
        if (status == 413) {
            return problem(ErrorCode.PAYLOAD_TOO_LARGE, "request body too large");
        }
        if (status >= 500) {
            LOG.errorf("request failed with %d: %s", status, e.getClass().getName());
            return problem(ErrorCode.INTERNAL, "internal error");
        }
        return problem(ErrorCode.INVALID_REQUEST, "invalid request");
    }

    @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER + 1000)
    public Response unexpected(Throwable e) {
        LOG.errorf("unexpected failure: %s", e.getClass().getName());
        return problem(ErrorCode.INTERNAL, "internal error");
    }

    private static String path(MismatchedInputException e) {
        StringBuilder sb = new StringBuilder();
        for (var ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(ref.getFieldName().replaceAll("[^A-Za-z0-9_-]", "?"));
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.length() > 128 ? sb.substring(0, 128) : sb.toString();
    }
}
