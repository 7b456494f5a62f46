package io.keyward.api;

import io.keyward.db.Database;
import io.keyward.testing.Api;
import io.keyward.testing.FaultyKeyProvider;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static io.keyward.testing.Api.admin;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DESIGN.md §7: every admin change, key check, revocation and KMS call is an audit event with actor, tenant,
 * key, outcome and request id; cached encrypts are not. Each step sends its own X-Request-Id and finds its
 * events by it.
 */
@QuarkusTest
class AuditTrailTest {

    @Inject
    FaultyKeyProvider faulty;

    @Inject
    Database db;

    /** An audit event as the API returns it. */
    private record Event(String id, String time, String tenantId, String keyId, String actor, String action,
            String outcome, String detail, String requestId) {
    }

    private static List<Event> events(String tenant) {
        List<Map<String, String>> items = admin().get("/v1/tenants/" + tenant + "/audit?limit=500").then()
                .statusCode(200).extract().path("items");
        return items.stream().map(m -> new Event(m.get("id"), m.get("time"), m.get("tenantId"), m.get("keyId"),
                m.get("actor"), m.get("action"), m.get("outcome"), m.get("detail"), m.get("requestId"))).toList();
    }

    /** Events of one request, oldest first. */
    private static List<Event> byRequest(List<Event> all, String requestId) {
        List<Event> mine = all.stream().filter(e -> requestId.equals(e.requestId())).collect(Collectors.toList());
        java.util.Collections.reverse(mine);
        return mine;
    }

    private static Event only(List<Event> all, String requestId, String action) {
        List<Event> found = byRequest(all, requestId).stream().filter(e -> action.equals(e.action())).toList();
        assertEquals(1, found.size(), () -> "one " + action + " event for " + requestId + " in " + all);
        Event e = found.get(0);
        assertNotNull(e.id());
        assertNotNull(e.time());
        return e;
    }

    private static RequestSpecification withId(String requestId) {
        return Api.admin().header("X-Request-Id", requestId);
    }

    @Test
    void adminChangesChecksRevocationsAndProviderCallsAreAuditedWithActorKeyOutcomeAndRequestId() {
        String u = Api.unique("aud");
        String t = u;
        String kek = Api.unique("kek");
        Api.localKey(kek);
        String adminActor = Api.adminActor();

        withId("r-create-" + u).body(Map.of("id", t, "name", "Audited")).post("/v1/tenants").then().statusCode(201)
                .header("X-Request-Id", equalTo("r-create-" + u));
        String keyId = withId("r-attach-" + u).body(Map.of("provider", "local", "keyUri", "local:" + kek))
                .post("/v1/tenants/" + t + "/keys").then().statusCode(201)
                .header("X-Request-Id", equalTo("r-attach-" + u)).extract().path("id");
        withId("r-check-" + u).post("/v1/tenants/" + t + "/keys/" + keyId + ":check").then().statusCode(200)
                .header("X-Request-Id", equalTo("r-check-" + u));

        String appName = Api.unique("aud-app");
        Map<String, Object> created = admin().body(Map.of("name", appName, "roles", List.of("app"), "tenants",
                List.of(t))).post("/v1/api-keys").then().statusCode(201).extract().as(Map.class);
        String app = (String) created.get("token");
        String appActor = "api-key:" + created.get("id");
        Api.as(app).header("X-Request-Id", "r-enc1-" + u).body(Map.of("plaintext", "AQ==")).post("/v1/tenants/" + t
                + "/encrypt").then().statusCode(200).header("X-Request-Id", equalTo("r-enc1-" + u));
        Api.as(app).header("X-Request-Id", "r-enc2-" + u).body(Map.of("plaintext", "Ag==")).post("/v1/tenants/" + t
                + "/encrypt").then().statusCode(200);
        Api.as(app).header("X-Request-Id", "r-dk-" + u).body(Map.of()).post("/v1/tenants/" + t + "/datakey").then()
                .statusCode(200);
        withId("r-revoke-" + u).body(Map.of("reason", "incident 7")).post("/v1/tenants/" + t + ":revoke").then()
                .statusCode(200).header("X-Request-Id", equalTo("r-revoke-" + u));
        withId("r-restore-" + u).post("/v1/tenants/" + t + ":restore").then().statusCode(200);
        admin().post("/v1/local-kms/keys/" + kek + ":disable").then().statusCode(200);
        withId("r-check2-" + u).post("/v1/tenants/" + t + "/keys/" + keyId + ":check").then().statusCode(200)
                .body("status", equalTo("REVOKED"));
        Api.problem(withId("r-restore2-" + u).post("/v1/tenants/" + t + ":restore").then(), 409, "KEY_CHECK_FAILED")
                .header("X-Request-Id", equalTo("r-restore2-" + u)).body("requestId", equalTo("r-restore2-" + u));

        List<Event> all = events(t);
        assertTrue(all.stream().allMatch(e -> t.equals(e.tenantId())), "a tenant's trail holds only its events");

        Event create = only(all, "r-create-" + u, "tenant.create");
        assertEquals(adminActor, create.actor());
        assertEquals("OK", create.outcome());
        assertNull(create.keyId());

        Event attachCheck = only(all, "r-attach-" + u, "kms.check");
        assertEquals("OK", attachCheck.outcome());
        assertEquals(adminActor, attachCheck.actor());
        Event attach = only(all, "r-attach-" + u, "key.attach");
        assertEquals(keyId, attach.keyId());
        assertEquals("OK", attach.outcome());
        assertEquals(adminActor, attach.actor());

        assertEquals(keyId, only(all, "r-check-" + u, "kms.check").keyId());
        Event check = only(all, "r-check-" + u, "key.check");
        assertEquals("AVAILABLE", check.outcome());
        assertEquals(keyId, check.keyId());

        Event wrap = only(all, "r-enc1-" + u, "kms.wrap");
        assertEquals(appActor, wrap.actor());
        assertEquals(keyId, wrap.keyId());
        assertEquals("OK", wrap.outcome());
        assertEquals(List.of(), byRequest(all, "r-enc2-" + u), "a cached encrypt is not a KMS call");
        assertEquals(appActor, only(all, "r-dk-" + u, "kms.wrap").actor());

        Event revoke = only(all, "r-revoke-" + u, "tenant.revoke");
        assertEquals("REVOKED", revoke.outcome());
        assertEquals("incident 7", revoke.detail());
        assertEquals(adminActor, revoke.actor());

        assertEquals("OK", only(all, "r-restore-" + u, "kms.check").outcome());
        assertEquals("OK", only(all, "r-restore-" + u, "tenant.restore").outcome());

        assertEquals("REVOKED", only(all, "r-check2-" + u, "kms.check").outcome());
        Event revoked = only(all, "r-check2-" + u, "key.revoked");
        assertEquals("REVOKED", revoked.outcome());
        assertEquals(keyId, revoked.keyId());
        assertEquals("REVOKED", only(all, "r-check2-" + u, "key.check").outcome());

        Event failedRestore = only(all, "r-restore2-" + u, "tenant.restore");
        assertEquals("KEY_CHECK_FAILED", failedRestore.outcome());
        assertEquals(keyId, failedRestore.keyId());
    }

    @Test
    void failedAttachAndFailedProviderCallsAreAuditedWithTheirOutcome() {
        String t = Api.unique("aud-fail");
        String kek = Api.unique("fk");
        String keyId = Api.tenantWithFaultyKey(t, kek);

        faulty.set(kek, FaultyKeyProvider.Mode.UNAVAILABLE);
        withId("r-unavail-" + t).body(Map.of("plaintext", "AQ==")).post("/v1/tenants/" + t + "/encrypt").then()
                .statusCode(503).header("X-Request-Id", equalTo("r-unavail-" + t));
        faulty.set(kek, FaultyKeyProvider.Mode.REVOKED);
        withId("r-revoked-" + t).body(Map.of()).post("/v1/tenants/" + t + "/datakey").then().statusCode(403);

        String other = Api.unique("fk");
        faulty.set(other, FaultyKeyProvider.Mode.REVOKED);
        withId("r-badattach-" + t).body(Map.of("provider", FaultyKeyProvider.ID, "keyUri",
                FaultyKeyProvider.SCHEME + other)).post("/v1/tenants/" + t + "/keys").then().statusCode(422);

        List<Event> all = events(t);
        Event unavailable = only(all, "r-unavail-" + t, "kms.wrap");
        assertEquals("UNAVAILABLE", unavailable.outcome());
        assertEquals(keyId, unavailable.keyId());
        assertEquals("REVOKED", only(all, "r-revoked-" + t, "kms.wrap").outcome());
        assertEquals("REVOKED", only(all, "r-revoked-" + t, "key.revoked").outcome());
        assertEquals("KEY_CHECK_FAILED", only(all, "r-badattach-" + t, "key.attach").outcome());
        assertEquals("REVOKED", only(all, "r-badattach-" + t, "kms.check").outcome());
    }

    @Test
    void apiKeyAndLocalKmsChangesAreAuditedAlthoughNoTenantTrailShowsThem() {
        // These events carry no tenant, so GET .../audit cannot return them; the database must still hold them.
        String rid = "r-global-" + Api.unique("x");
        String name = Api.unique("kek");
        withId(rid).body(Map.of("name", name)).post("/v1/local-kms/keys").then().statusCode(201);
        withId(rid).post("/v1/local-kms/keys/" + name + ":disable").then().statusCode(200);
        withId(rid).body(Map.of("name", Api.unique("k"), "roles", List.of("admin"), "tenants", List.of("*")))
                .post("/v1/api-keys").then().statusCode(201);
        List<String> actions = db.query("SELECT action, actor, outcome FROM audit_event WHERE request_id = ? ORDER BY seq",
                rs -> rs.getString("action") + " " + rs.getString("actor") + " " + rs.getString("outcome"), rid);
        String actor = Api.adminActor();
        assertEquals(List.of("local-kms.create " + actor + " OK", "local-kms.disable " + actor + " OK",
                "api-key.create " + actor + " OK"), actions);
    }

    @Test
    void tenantTrailsAreIsolated() {
        String a = Api.unique("iso-a");
        String b = Api.unique("iso-b");
        Api.tenantWithLocalKey(a, Api.unique("kek"));
        Api.tenantWithLocalKey(b, Api.unique("kek"));
        withId("r-only-a-" + a).post("/v1/tenants/" + a + ":revoke").then().statusCode(200);
        assertEquals(1, byRequest(events(a), "r-only-a-" + a).size());
        assertEquals(List.of(), byRequest(events(b), "r-only-a-" + a));
        assertTrue(events(b).stream().allMatch(e -> b.equals(e.tenantId())));
    }

    @Test
    void auditOfUnknownTenantIsTenantNotFoundAndAppKeysMayNotReadIt() {
        Api.problem(admin().get("/v1/tenants/" + Api.unique("ghost") + "/audit").then(), 404, "TENANT_NOT_FOUND");
        String t = Api.unique("aud-app");
        Api.tenantWithLocalKey(t, Api.unique("kek"));
        Api.problem(Api.as(Api.appToken(t)).get("/v1/tenants/" + t + "/audit").then(), 403, "FORBIDDEN");
    }
}
