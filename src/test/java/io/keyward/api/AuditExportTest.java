package io.keyward.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyward.audit.Actor;
import io.keyward.audit.AuditLog;
import io.keyward.db.Database;
import io.keyward.testing.Api;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static io.keyward.testing.Api.admin;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code GET /v1/tenants/{t}/audit:export}: the whole trail as JSON Lines, oldest first, across more than one
 * page of reads, and re-verifiable by a SIEM from the lines alone. The verification below uses no keyward class:
 * it follows docs/explanation/audit-trail.md.
 */
@QuarkusTest
class AuditExportTest {
    /** More than two of the export's 500-row pages. */
    private static final int EVENTS = 1_100;

    @Inject
    AuditLog log;

    @Inject
    Database db;

    private static List<JsonNode> export(String t, String query) {
        String body = admin().accept(AuditResource.NDJSON).get("/v1/tenants/" + t + "/audit:export" + query).then()
                .statusCode(200).contentType(startsWith("application/x-ndjson")).extract().asString();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : body.split("\n", -1)) {
            if (!line.isEmpty()) {
                lines.add(Api.json(line.getBytes(StandardCharsets.UTF_8)));
            }
        }
        assertTrue(body.isEmpty() || body.endsWith("\n"), "every line ends with a newline");
        return lines;
    }

    @Test
    void exportIsTheWholeTrailOldestFirstAndReverifiableFromTheLinesAlone() throws Exception {
        String t = Api.unique("export");
        Api.tenantWithLocalKey(t, Api.unique("kek"));
        for (int i = 0; i < EVENTS; i++) {
            log.record(new Actor("test:exporter", "r-" + i), t, null, "test.event", "OK",
                    i % 7 == 0 ? "d\u00e9tail \u2713 \"quoted\"\n" + i : null);
        }
        admin().body(Map.of("reason", "after the bulk")).post("/v1/tenants/" + t + ":revoke").then().statusCode(200);

        List<JsonNode> lines = export(t, "");
        List<String> ids = db.query("SELECT id FROM audit_event WHERE tenant_id = ? ORDER BY seq", rs -> rs.getString(1),
                t);
        assertTrue(ids.size() > EVENTS);
        assertEquals(ids, lines.stream().map(l -> l.get("id").asText()).toList(), "every event, once, oldest first");

        String prev = "0".repeat(64);
        long position = 1;
        long lastSeq = 0;
        for (JsonNode l : lines) {
            assertTrue(l.get("seq").asLong() > lastSeq, "seq increases");
            lastSeq = l.get("seq").asLong();
            assertEquals(t, l.get("tenantId").asText());
            assertEquals(position, l.get("chainSeq").asLong(), "positions are gapless");
            assertEquals(prev, l.get("prevHash").asText(), "each line links to the previous one");
            assertEquals(siemHash(l), l.get("hash").asText(), "the hash recomputes from the line");
            prev = l.get("hash").asText();
            position++;
        }
        assertEquals("tenant.revoke", lines.get(lines.size() - 1).get("action").asText());

        long cut = lines.get(600).get("seq").asLong();
        List<JsonNode> tail = export(t, "?after=" + cut);
        assertEquals(lines.subList(601, lines.size()), tail, "after=<seq> resumes right behind that event");
    }

    @Test
    void exportOfAnUntouchedTenantStartsWithItsCreation() {
        String t = Api.unique("export-new");
        Api.tenant(t);
        List<JsonNode> lines = export(t, "");
        assertEquals(1, lines.size());
        assertEquals("tenant.create", lines.get(0).get("action").asText());
        assertTrue(lines.get(0).get("keyId").isNull(), "absent fields are exported as null, not left out");
        assertEquals(List.of(), export(t, "?after=" + lines.get(0).get("seq").asLong()));
    }

    @Test
    void exportRefusesBadInputAndNonAdmins() {
        String t = Api.unique("export-bad");
        Api.tenantWithLocalKey(t, Api.unique("kek"));
        for (String after : List.of("-1", "x", "1.5", "99999999999999999999")) {
            Api.problem(admin().accept(AuditResource.NDJSON).get("/v1/tenants/" + t + "/audit:export?after=" + after)
                    .then(), 400, "INVALID_REQUEST");
        }
        Api.problem(Api.as(Api.appToken(t)).accept(AuditResource.NDJSON).get("/v1/tenants/" + t + "/audit:export")
                .then(), 403, "FORBIDDEN");
        Api.problem(admin().accept(AuditResource.NDJSON).get("/v1/tenants/" + Api.unique("ghost") + "/audit:export")
                .then(), 404, "TENANT_NOT_FOUND");
    }

    /** The documented encoding, written from the document: "keyward.audit.v1", u64 position, then ten fields. */
    private static String siemHash(JsonNode l) throws Exception {
        ByteArrayOutputStream m = new ByteArrayOutputStream();
        m.writeBytes("keyward.audit.v1".getBytes(StandardCharsets.US_ASCII));
        m.writeBytes(ByteBuffer.allocate(8).putLong(l.get("chainSeq").asLong()).array());
        for (String f : List.of("prevHash", "id", "tenantId", "keyId", "actor", "action", "outcome", "detail",
                "requestId", "createdAt")) {
            JsonNode v = l.get(f);
            if (v == null || v.isNull()) {
                m.write(0);
            } else {
                byte[] b = v.asText().getBytes(StandardCharsets.UTF_8);
                m.write(1);
                m.writeBytes(ByteBuffer.allocate(4).putInt(b.length).array());
                m.writeBytes(b);
            }
        }
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(m.toByteArray()));
    }
}
