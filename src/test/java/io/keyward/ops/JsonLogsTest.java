package io.keyward.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyward.testing.Api;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.jboss.logmanager.ExtHandler;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With {@code quarkus.log.console.json.enabled=true} the console writes one JSON object per record, carrying the
 * level, logger, message, timestamp and the request id; a request carrying a bearer token and a plaintext marker puts
 * neither in any line. The lines are rendered by the formatter Quarkus installed on the console handler, so this is
 * the text an operator's log shipper reads.
 */
@QuarkusTest
@TestProfile(JsonLogsTest.JsonOn.class)
class JsonLogsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static class JsonOn implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.log.console.json.enabled", "true");
        }
    }

    /** Renders every record that reaches the root logger with the console's own formatter. */
    static final class Rendered extends Handler implements AutoCloseable {
        private final Formatter formatter;
        private final List<String> lines = new ArrayList<>();
        private final Logger root = Logger.getLogger("");

        Rendered(Formatter formatter) {
            this.formatter = formatter;
            root.addHandler(this);
        }

        @Override
        public void publish(LogRecord r) {
            if (r instanceof ExtLogRecord ext) {
                ext.copyMdc();
            }
            String line = formatter.format(r);
            synchronized (lines) {
                lines.add(line);
            }
        }

        List<String> lines() {
            synchronized (lines) {
                return List.copyOf(lines);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            root.removeHandler(this);
        }
    }

    @Test
    void jsonLinesCarryLevelLoggerMessageTimestampAndRequestIdButNoTokenNorPlaintext() throws IOException {
        Formatter console = consoleFormatter(Logger.getLogger("").getHandlers());
        assertNotNull(console, "a console handler with a JSON formatter is installed");
        assertTrue(console.getClass().getName().contains("Json"), "console formatter: " + console.getClass());

        String tenant = Api.unique("json");
        String marker = "JSON-LOG-MARKER-" + tenant + "-4111111111111111";
        String app;
        String requestId = "json-log-" + tenant;
        try (Rendered rendered = new Rendered(console)) {
            Api.tenantWithLocalKey(tenant, Api.unique("json-kek"));
            app = Api.appToken(tenant);
            Api.as(app).header("X-Request-Id", requestId)
                    .body(Map.of("plaintext", Api.b64(marker.getBytes(StandardCharsets.UTF_8))))
                    .post("/v1/tenants/" + tenant + "/encrypt").then().statusCode(200);
            Api.as("kw_NOT-A-TOKEN-" + marker).header("X-Request-Id", requestId + "-refused")
                    .get("/v1/tenants").then().statusCode(401);
            List<String> lines = rendered.lines();
            assertTrue(lines.size() >= 5, "captured " + lines.size() + " lines");

            JsonNode access = null;
            for (String line : lines) {
                JsonNode n = JSON.readTree(line);
                assertTrue(n.isObject(), "a JSON object per line: " + line);
                for (String field : List.of("timestamp", "level", "loggerName", "message")) {
                    assertTrue(n.hasNonNull(field), field + " in " + line);
                }
                assertEquals(1, line.strip().lines().count(), "one line per record: " + line);
                if ("io.keyward.access".equals(n.path("loggerName").asText())
                        && requestId.equals(n.path("mdc").path("requestId").asText())) {
                    access = n;
                }
            }
            assertNotNull(access, "the encrypt request's access line with mdc.requestId=" + requestId);
            assertEquals("INFO", access.get("level").asText());
            assertTrue(access.get("message").asText().contains("-> 200"), access.toString());

            List<String> secrets = List.of(Api.ADMIN_TOKEN, app, app.substring(3), marker,
                    Base64.getEncoder().encodeToString(marker.getBytes(StandardCharsets.UTF_8)));
            for (String line : lines) {
                for (String s : secrets) {
                    assertFalse(line.contains(s), "a log line carries a secret: " + line);
                }
            }
            System.out.println("JSON access line: " + JSON.writeValueAsString(access));
        }
    }

    @Test
    void jsonIsOffUnlessSwitchedOn() throws IOException {
        Properties p = new Properties();
        try (InputStream in = getClass().getResourceAsStream("/application.properties")) {
            p.load(in);
        }
        assertEquals("false", p.getProperty("quarkus.log.console.json.enabled"),
                "the human text format is the default; JSON is one setting away");
    }

    /** The formatter of the first handler (depth first, through delegating handlers) whose formatter is JSON. */
    private static Formatter consoleFormatter(Handler[] handlers) {
        for (Handler h : handlers) {
            if (h.getFormatter() != null && h.getFormatter().getClass().getName().contains("Json")) {
                return h.getFormatter();
            }
            if (h instanceof ExtHandler ext) {
                Formatter inner = consoleFormatter(ext.getHandlers());
                if (inner != null) {
                    return inner;
                }
            }
        }
        return null;
    }
}
