package io.keyward.api;

import io.keyward.db.Database;
import io.keyward.testing.Api;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.keyward.testing.Api.admin;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;

/**
 * {@code GET /v1/tenants/{t}/audit:verify}: an untouched trail is intact; a row edited, removed or moved in the
 * database is named as the first broken link; rows from before the chain existed are unchained, not broken.
 */
@QuarkusTest
class AuditVerifyTest {

    @Inject
    Database db;

    /** A tenant with a key and a few more audited admin actions: {@code n} chained events, returned in order. */
    private List<Row> tenantWithTrail(String t) {
        Api.tenantWithLocalKey(t, Api.unique("kek"));
        for (int i = 0; i < 3; i++) {
            admin().body(Map.of("reason", "drill " + i)).post("/v1/tenants/" + t + ":revoke").then().statusCode(200);
        }
        List<Row> rows = rows(t);
        verify(t).body("intact", equalTo(true)).body("verified", equalTo(rows.size()))
                .body("firstBrokenLink", nullValue()).body("unchained", equalTo(0));
        return rows;
    }

    private record Row(long seq, long chainSeq, String id) {
    }

    private List<Row> rows(String t) {
        return db.query("SELECT seq, chain_seq, id FROM audit_event WHERE tenant_id = ? ORDER BY seq",
                rs -> new Row(rs.getLong(1), rs.getLong(2), rs.getString(3)), t);
    }

    private static ValidatableResponse verify(String t) {
        return admin().get("/v1/tenants/" + t + "/audit:verify").then().statusCode(200).contentType("application/json");
    }

    private static void brokenAt(String t, Row row, int verified, String reason) {
        verify(t).body("intact", equalTo(false)).body("verified", equalTo(verified))
                .body("firstBrokenLink.seq", equalTo((int) row.seq()))
                .body("firstBrokenLink.id", equalTo(row.id()))
                .body("firstBrokenLink.reason", startsWith(reason));
    }

    @Test
    void editedDetailIsNamed() {
        String t = Api.unique("tamper-edit");
        List<Row> rows = tenantWithTrail(t);
        Row victim = rows.get(2);
        db.update("UPDATE audit_event SET detail = ? WHERE id = ?", "nothing happened", victim.id());
        brokenAt(t, victim, 2, "hash:");
    }

    @Test
    void editedActorOfTheLastEventIsNamed() {
        String t = Api.unique("tamper-last");
        List<Row> rows = tenantWithTrail(t);
        Row victim = rows.get(rows.size() - 1);
        db.update("UPDATE audit_event SET actor = ? WHERE id = ?", "someone-else", victim.id());
        brokenAt(t, victim, rows.size() - 1, "hash:");
    }

    @Test
    void deletedEventIsNamedThroughItsSuccessor() {
        String t = Api.unique("tamper-del");
        List<Row> rows = tenantWithTrail(t);
        db.update("DELETE FROM audit_event WHERE id = ?", rows.get(1).id());
        brokenAt(t, rows.get(2), 1, "missing:");
        verify(t).body("firstBrokenLink.chainSeq", equalTo(3))
                .body("firstBrokenLink.reason", containsString("follows 1"));
    }

    @Test
    void deletedTailIsDetectedAgainstTheChainHead() {
        String t = Api.unique("tamper-tail");
        List<Row> rows = tenantWithTrail(t);
        db.update("DELETE FROM audit_event WHERE id = ?", rows.get(rows.size() - 1).id());
        verify(t).body("intact", equalTo(false)).body("verified", equalTo(rows.size() - 1))
                .body("firstBrokenLink.seq", nullValue()).body("firstBrokenLink.id", nullValue())
                .body("firstBrokenLink.chainSeq", equalTo(rows.size()))
                .body("firstBrokenLink.reason", startsWith("missing:"));
    }

    @Test
    void reorderedEventsAreNamed() {
        String t = Api.unique("tamper-order");
        List<Row> rows = tenantWithTrail(t);
        Row a = rows.get(1);
        Row b = rows.get(2);
        // Swap the two rows' places in the append order.
        db.update("UPDATE audit_event SET seq = ? WHERE id = ?", -a.seq(), a.id());
        db.update("UPDATE audit_event SET seq = ? WHERE id = ?", a.seq(), b.id());
        db.update("UPDATE audit_event SET seq = ? WHERE id = ?", b.seq(), a.id());
        brokenAt(t, new Row(a.seq(), b.chainSeq(), b.id()), 1, "missing:");
    }

    @Test
    void swappedChainPositionsAreNamed() {
        String t = Api.unique("tamper-pos");
        List<Row> rows = tenantWithTrail(t);
        Row a = rows.get(1);
        Row b = rows.get(2);
        db.update("UPDATE audit_event SET chain_seq = ? WHERE id = ?", -1, a.id());
        db.update("UPDATE audit_event SET chain_seq = ? WHERE id = ?", a.chainSeq(), b.id());
        db.update("UPDATE audit_event SET chain_seq = ? WHERE id = ?", b.chainSeq(), a.id());
        brokenAt(t, new Row(a.seq(), b.chainSeq(), a.id()), 1, "hash:");
    }

    @Test
    void strippedHashInsideTheChainIsNamed() {
        String t = Api.unique("tamper-strip");
        List<Row> rows = tenantWithTrail(t);
        Row victim = rows.get(2);
        db.update("UPDATE audit_event SET chain_seq = NULL, prev_hash = NULL, hash = NULL, detail = ? WHERE id = ?",
                "rewritten", victim.id());
        brokenAt(t, victim, 2, "unhashed:");
    }

    @Test
    void rowsFromBeforeTheChainAreUnchainedNotBroken() {
        String t = Api.unique("legacy");
        Api.tenant(t);
        // tenant.create was just chained; put two rows written "before V3" (no hash fields) ahead of it.
        long first = rows(t).get(0).seq();
        db.update("UPDATE audit_event SET seq = ? WHERE tenant_id = ?", first + 1_000_000_000L, t);
        for (int i = 0; i < 2; i++) {
            db.update("INSERT INTO audit_event (seq, id, tenant_id, actor, action, outcome, created_at) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?)", first + 999_999_000L + i, UUID.randomUUID().toString(), t,
                    "legacy", "tenant.legacy", "OK", Instant.now());
        }
        verify(t).body("intact", equalTo(true)).body("verified", equalTo(1)).body("unchained", equalTo(2));
    }

    @Test
    void verifyIsForAdminsAndKnownTenants() {
        String t = Api.unique("ver-role");
        Api.tenantWithLocalKey(t, Api.unique("kek"));
        Api.problem(Api.as(Api.appToken(t)).get("/v1/tenants/" + t + "/audit:verify").then(), 403, "FORBIDDEN");
        Api.problem(io.restassured.RestAssured.given().get("/v1/tenants/" + t + "/audit:verify").then(), 401,
                "UNAUTHENTICATED");
        Api.problem(admin().get("/v1/tenants/" + Api.unique("ghost") + "/audit:verify").then(), 404,
                "TENANT_NOT_FOUND");
    }
}
