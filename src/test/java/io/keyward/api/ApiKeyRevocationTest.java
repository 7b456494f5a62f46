package io.keyward.api;

import io.keyward.db.Database;
import io.keyward.testing.Api;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.keyward.testing.Api.admin;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code DELETE /v1/api-keys/{id}} on one replica: the revoked token is refused from the very next request. */
@QuarkusTest
class ApiKeyRevocationTest {
    @Inject
    Database db;

    private record Issued(String id, String token) {
    }

    private static Issued issue(String role, String... tenants) {
        var r = admin().body(Map.of("name", Api.unique(role), "roles", List.of(role), "tenants", List.of(tenants)))
                .post("/v1/api-keys").then().statusCode(201).extract();
        return new Issued(r.path("id"), r.path("token"));
    }

    private static String item(String id) {
        return "items.find { it.id == '" + id + "' }";
    }

    @Test
    void revokedKeyIsRefusedOnTheNextRequestWhileOtherKeysKeepWorking() {
        Issued revoked = issue("admin", "*");
        Issued other = issue("admin", "*");
        Api.as(revoked.token()).get("/v1/tenants").then().statusCode(200);

        admin().delete("/v1/api-keys/" + revoked.id()).then().statusCode(204);

        Api.problem(Api.as(revoked.token()).get("/v1/tenants").then(), 401, "UNAUTHENTICATED");
        Api.problem(Api.as(revoked.token()).get("/v1/api-keys").then(), 401, "UNAUTHENTICATED");
        Api.as(other.token()).get("/v1/tenants").then().statusCode(200);
        admin().get("/v1/tenants").then().statusCode(200);
    }

    @Test
    void listShowsRevokedKeysWithRevokedAtAndLiveKeysWithout() {
        Issued revoked = issue("app", "*");
        Issued live = issue("app", "*");
        admin().delete("/v1/api-keys/" + revoked.id()).then().statusCode(204);

        admin().get("/v1/api-keys").then().statusCode(200)
                .body(item(revoked.id()) + ".revokedAt", notNullValue())
                .body(item(revoked.id()) + ".roles", equalTo(List.of("app")))
                .body(item(live.id()) + ".id", equalTo(live.id()))
                .body(item(live.id()) + ".revokedAt", nullValue())
                .body(item(revoked.id()) + ".token", nullValue());
    }

    @Test
    void revokingTwiceAnswers204BothTimesAndIsAuditedOnce() {
        Issued key = issue("app", "*");
        admin().header("X-Request-Id", "revoke-1-" + key.id()).delete("/v1/api-keys/" + key.id()).then()
                .statusCode(204);
        String firstRevokedAt = admin().get("/v1/api-keys").then().extract().path(item(key.id()) + ".revokedAt");
        admin().delete("/v1/api-keys/" + key.id()).then().statusCode(204);

        assertEquals(firstRevokedAt, admin().get("/v1/api-keys").then().extract().path(item(key.id()) + ".revokedAt"),
                "a second revocation leaves the first one's time");
        List<String> events = db.query("SELECT actor, outcome, request_id, tenant_id FROM audit_event WHERE action ="
                + " 'api-key.revoke' AND detail LIKE ?", rs -> rs.getString(1) + " " + rs.getString(2) + " "
                + rs.getString(3) + " " + rs.getString(4), key.id() + " %");
        assertEquals(1, events.size(), () -> "one audit event: " + events);
        assertTrue(events.get(0).matches("api-key:ak_\\S+ REVOKED revoke-1-" + key.id() + " null"), events.get(0));
    }

    @Test
    void unknownOrMalformedIdIs404KeyNotFound() {
        Api.problem(admin().delete("/v1/api-keys/ak_0000000000000000").then(), 404, "KEY_NOT_FOUND");
        Api.problem(admin().delete("/v1/api-keys/not-an-api-key-id").then(), 404, "KEY_NOT_FOUND");
        Api.problem(admin().delete("/v1/api-keys/ak_" + "a".repeat(40)).then(), 404, "KEY_NOT_FOUND");
    }

    @Test
    void anAdminKeyMayRevokeItselfWhileAnotherAdminKeyIsLive() {
        Issued self = issue("admin", "*");
        Api.as(self.token()).delete("/v1/api-keys/" + self.id()).then().statusCode(204);
        Api.problem(Api.as(self.token()).get("/v1/tenants").then(), 401, "UNAUTHENTICATED");
    }

    @Test
    void nonAdminKeysCannotRevokeAndTheirAttemptChangesNothing() {
        Issued target = issue("app", "*");
        String tenant = Api.unique("ta");
        Issued tenantAdmin = issue("tenant-admin", tenant);
        Api.problem(Api.as(target.token()).delete("/v1/api-keys/" + target.id()).then(), 403, "FORBIDDEN");
        Api.problem(Api.as(tenantAdmin.token()).delete("/v1/api-keys/" + target.id()).then(), 403, "FORBIDDEN");
        admin().get("/v1/api-keys").then().body(item(target.id()) + ".revokedAt", nullValue());
    }

    @Test
    void metricsLabelRevocationsByTemplateNeverByKeyId() {
        String id = "ak_labelprobe" + System.nanoTime() % 1_000_000;
        Api.problem(admin().delete("/v1/api-keys/" + id).then(), 404, "KEY_NOT_FOUND");
        Api.problem(io.restassured.RestAssured.given().delete("/v1/api-keys/" + id).then(), 401, "UNAUTHENTICATED");
        String metrics = io.restassured.RestAssured.given().get("/q/metrics").then().statusCode(200).extract()
                .asString();
        assertTrue(metrics.contains("uri=\"/v1/api-keys/{id}\""), "requests are labelled by the template");
        assertTrue(!metrics.contains(id), "no key id in any label");
    }
}
