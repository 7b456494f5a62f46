package io.keyward.api;

import io.keyward.db.Database;
import jakarta.ws.rs.core.Response;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** A failing database answers 503 SERVICE_UNAVAILABLE with Retry-After, and never shows the SQL or its values. */
class ProblemsTest {

    @Test
    void databaseFailureIsServiceUnavailableWithoutDetailsOfTheFailure() {
        Response r = new Problems().database(new Database.DatabaseException(
                new SQLException("insert into api_key values ('kw_secret-token')", "08006")));
        assertEquals(503, r.getStatus());
        assertEquals(Problems.MEDIA_TYPE, r.getMediaType().toString());
        assertEquals("5", String.valueOf(r.getHeaderString("Retry-After")));
        @SuppressWarnings("unchecked")
        Map<String, Object> body = (Map<String, Object>) r.getEntity();
        assertEquals("SERVICE_UNAVAILABLE", body.get("code"));
        assertEquals(503, body.get("status"));
        assertFalse(String.valueOf(body).contains("kw_secret-token"));
        assertFalse(String.valueOf(body).contains("api_key"));
    }
}
