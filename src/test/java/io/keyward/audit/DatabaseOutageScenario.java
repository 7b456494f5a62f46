package io.keyward.audit;

import io.keyward.testing.Api;
import io.keyward.testing.PostgresBehindProxyProfile;
import io.keyward.testing.Sleep;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;

import java.time.Duration;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The database goes away under load (the proxy between keyward and PostgreSQL is cut) and comes back. Shared by the
 * fail-closed and drop-oldest tests: both serve cached data-plane requests, refuse admin writes with 503 and buffer
 * audit events; they differ in what a full buffer does.
 */
abstract class DatabaseOutageScenario {
    static final int BUFFER = 6;

    @Inject
    AuditBuffer buffer;

    String tenant;
    String token;
    int served;
    int refused;

    @AfterEach
    void restoreDatabase() {
        PostgresBehindProxyProfile.PROXY.restore();
    }

    /** A tenant on the test-faulty provider, resolved and with a cached DEK, before the cut. */
    void tenantInUse() {
        tenant = Api.unique("outage");
        Api.tenantWithFaultyKey(tenant, Api.unique("kek"));
        token = Api.appToken(tenant);
        Api.encrypt(token, tenant, new byte[] {1, 2, 3}, Map.of("k", "v")).statusCode(200);
    }

    Response datakey() {
        return Api.as(token).body(Map.of("context", Map.of("k", "v"))).post("/v1/tenants/" + tenant + "/datakey");
    }

    /** Cached encrypts (no database, no provider) across the snapshot refresh: all served. */
    void cachedRequestsAreServed(int n) {
        for (int i = 0; i < n; i++) {
            Api.encrypt(token, tenant, new byte[] {(byte) i}, Map.of("k", "v")).statusCode(200);
            served++;
        }
    }

    /** Admin writes: 503 SERVICE_UNAVAILABLE, and nothing of them exists afterwards. */
    String adminWriteIsRefused() {
        String id = Api.unique("never");
        Api.admin().body(Map.of("id", id, "name", id)).post("/v1/tenants").then().statusCode(503)
                .body("code", equalTo("SERVICE_UNAVAILABLE"));
        refused++;
        return id;
    }

    void cut() {
        PostgresBehindProxyProfile.PROXY.cut();
    }

    /** Restores the database and waits until every buffered event is written. */
    void restoreAndDrain() {
        PostgresBehindProxyProfile.PROXY.restore();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (buffer.size() > 0 && System.nanoTime() < deadline) {
            Sleep.quietly(Duration.ofMillis(200));
        }
        assertEquals(0, buffer.size(), "the buffer drained once the database was back");
    }

    /** Verifies the tenant's chain and returns how many events it holds. */
    int intactChainLength() {
        Api.admin().get("/v1/tenants/" + tenant + "/audit:verify").then().statusCode(200)
                .body("intact", equalTo(true));
        java.util.List<Object> actions = Api.admin().queryParam("limit", 500).get("/v1/tenants/" + tenant + "/audit")
                .then().statusCode(200).extract().jsonPath().getList("items.action");
        System.out.println("audit trail of " + tenant + ", newest first: " + actions);
        return actions.size();
    }

    /** Sleeps past the tenant snapshot's 5 s refresh, so the next requests need the stale-serving path. */
    static void pastSnapshotRefresh() {
        Sleep.quietly(Duration.ofMillis(5500));
    }

    void neverWritten(String tenantId) {
        Api.admin().get("/v1/tenants/" + tenantId).then().statusCode(404);
    }

    /** Readiness stays UP (cached requests are still served); its database check says what it sees. */
    void readinessSays(String database) {
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.find { it.name == 'keyward-database' }.data.database", equalTo(database));
    }

    static void assertServedAtLeast(int n, int served) {
        assertTrue(served >= n, "served " + served);
    }
}
