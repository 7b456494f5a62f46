package io.keyward.audit;

import io.keyward.testing.PostgresBehindProxyProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** keyward.audit.on-overflow=fail-closed: a full buffer refuses key-manager calls; no audit event is ever lost. */
@QuarkusTest
@TestProfile(DatabaseOutageFailClosedTest.FailClosed.class)
class DatabaseOutageFailClosedTest extends DatabaseOutageScenario {
    public static class FailClosed extends PostgresBehindProxyProfile {
        public FailClosed() {
            super("keyward_faults_fc");
            put("keyward.audit.buffer-size", String.valueOf(BUFFER));
            put("keyward.audit.on-overflow", "fail-closed");
        }
    }

    @Test
    void databaseDownServesCachedRequestsRefusesWritesBuffersAuditAndRefusesKeyCallsWhenFullThenFlushes() {
        tenantInUse();
        int before = intactChainLength();
        cut();
        readinessSays("unreachable");
        cachedRequestsAreServed(5);
        pastSnapshotRefresh();
        cachedRequestsAreServed(5);
        String never = adminWriteIsRefused();

        int keyCallsServed = 0;
        int keyCallsRefused = 0;
        for (int i = 0; i < BUFFER + 4; i++) {
            int status = datakey().then().extract().statusCode();
            if (status == 200) {
                keyCallsServed++;
            } else {
                datakey().then().statusCode(503).body("code", org.hamcrest.Matchers.equalTo("SERVICE_UNAVAILABLE"));
                keyCallsRefused += 2;
                i++;
            }
        }
        assertEquals(BUFFER, keyCallsServed, "key-manager calls until the buffer was full");
        assertEquals(BUFFER, buffer.size());
        served += keyCallsServed;
        refused += keyCallsRefused;

        restoreAndDrain();
        readinessSays("reachable");
        int after = intactChainLength();
        int lost = before + keyCallsServed - after;
        System.out.printf("database outage (fail-closed, buffer %d): served %d, refused %d (admin writes and"
                + " key-manager calls over a full buffer), audit events buffered and flushed %d, lost %d%n", BUFFER,
                served, refused, after - before, lost);
        assertEquals(0, lost, "every audited call reached the trail, in a chain that verifies");
        assertEquals(0, buffer.lost());
        neverWritten(never);
        datakey().then().statusCode(200);
    }
}
