package io.keyward.ops;

import io.keyward.audit.AuditBuffer;
import io.keyward.audit.AuditShutdown;
import io.keyward.testing.Api;
import io.keyward.testing.LogCapture;
import io.keyward.testing.PostgresBehindProxyProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;

import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What happens at shutdown to audit events buffered while the database was away: written if the database answers
 * within the bound; otherwise counted lost and reported by number in one ERROR line that names no tenant.
 */
@QuarkusTest
@TestProfile(AuditShutdownFlushTest.DatabaseBehindProxy.class)
class AuditShutdownFlushTest {
    public static class DatabaseBehindProxy extends PostgresBehindProxyProfile {
        public DatabaseBehindProxy() {
            super("keyward_ops_shutdown");
            // Only the shutdown flush writes buffered events here, not the scheduled flusher.
            put("keyward.audit.flush-interval", "1h");
            // The shared 2-core machine is often busy: 1 s to get a first connection made start-up flaky here.
            put("quarkus.datasource.pg.jdbc.acquisition-timeout", "3S");
        }
    }

    @Inject
    AuditBuffer buffer;

    @Inject
    AuditShutdown shutdown;

    /** kms.wrap events in the tenant's trail before the database was cut. */
    private long wrapsBefore;

    @AfterEach
    void restore() {
        PostgresBehindProxyProfile.PROXY.restore();
    }

    /** A tenant with a cached DEK, then {@code n} key-manager calls (datakey) while the database is cut. */
    private String bufferedEvents(int n) {
        String tenant = Api.unique("shutdown");
        Api.tenantWithFaultyKey(tenant, Api.unique("kek"));
        String token = Api.appToken(tenant);
        Api.encrypt(token, tenant, new byte[] {1}, Map.of("k", "v")).statusCode(200);
        wrapsBefore = wraps(tenant);
        PostgresBehindProxyProfile.PROXY.cut();
        for (int i = 0; i < n; i++) {
            Api.datakey(token, tenant, Map.of("k", "v")).statusCode(200);
        }
        assertEquals(n, buffer.size(), "each datakey call's audit event is buffered");
        return tenant;
    }

    private static long wraps(String tenant) {
        List<Object> actions = Api.admin().queryParam("limit", 100).get("/v1/tenants/" + tenant + "/audit").then()
                .statusCode(200).extract().jsonPath().getList("items.action");
        return actions.stream().filter("kms.wrap"::equals).count();
    }

    @Test
    void bufferedEventsAreWrittenAtShutdownWhenTheDatabaseIsBack() {
        String tenant = bufferedEvents(3);
        double lostBefore = buffer.lost();
        PostgresBehindProxyProfile.PROXY.restore();

        AuditShutdown.Outcome outcome = shutdown.flushBeforeExit(Duration.ofSeconds(10));

        assertEquals(new AuditShutdown.Outcome(3, 0, false), outcome);
        assertEquals(0, buffer.size());
        assertEquals(lostBefore, buffer.lost());
        assertEquals(wrapsBefore + 3, wraps(tenant), "the three calls are in the trail");
        Api.admin().get("/v1/tenants/" + tenant + "/audit:verify").then().statusCode(200)
                .body("intact", equalTo(true));
    }

    @Test
    void eventsStillBufferedAfterTheBoundAreCountedLostAndLoggedByNumberOnly() {
        String tenant = bufferedEvents(4);
        double lostBefore = buffer.lost();
        try (LogCapture logs = LogCapture.install()) {
            long start = System.nanoTime();
            AuditShutdown.Outcome outcome = shutdown.flushBeforeExit(Duration.ofMillis(1500));
            long ms = (System.nanoTime() - start) / 1_000_000;

            assertEquals(0, outcome.written(), outcome.toString());
            assertEquals(4, outcome.lost() + (outcome.oneStillWriting() ? 1 : 0), outcome.toString());
            assertTrue(ms < 1500 + 1000, "bounded: took " + ms + " ms");
            // The event being written when the bound passed is counted once its write fails (acquisition timeout).
            long giveUp = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (buffer.lost() < lostBefore + 4 && System.nanoTime() < giveUp) {
                io.keyward.testing.Sleep.quietly(Duration.ofMillis(100));
            }
            assertEquals(lostBefore + 4, buffer.lost(), "keyward_audit_events_lost_total counts each exactly once");
            assertEquals(0, buffer.size(), "nothing left in memory");
            List<LogCapture.Captured> errors = logs.records().stream()
                    .filter(r -> r.logger().equals(AuditShutdown.class.getName()) && r.level().intValue() >= Level.SEVERE.intValue())
                    .toList();
            assertEquals(1, errors.size(), "one ERROR line: " + errors);
            assertTrue(errors.get(0).text().contains(outcome.lost() + " buffered audit events LOST"), errors.get(0).text());
            assertFalse(errors.get(0).text().contains(tenant), "never the events' content");
        }
    }
}
