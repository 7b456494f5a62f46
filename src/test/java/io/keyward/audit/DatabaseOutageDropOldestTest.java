package io.keyward.audit;

import io.keyward.testing.PostgresBehindProxyProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** keyward.audit.on-overflow=drop-oldest: key-manager calls go on; the oldest buffered events are dropped, counted. */
@QuarkusTest
@TestProfile(DatabaseOutageDropOldestTest.DropOldest.class)
class DatabaseOutageDropOldestTest extends DatabaseOutageScenario {
    public static class DropOldest extends PostgresBehindProxyProfile {
        public DropOldest() {
            super("keyward_faults_do");
            put("keyward.audit.buffer-size", String.valueOf(BUFFER));
            put("keyward.audit.on-overflow", "drop-oldest");
        }
    }

    @Test
    void databaseDownWithAFullBufferDropsTheOldestEventsCountsThemAndTheChainStillVerifies() {
        tenantInUse();
        int before = intactChainLength();
        double droppedBefore = buffer.dropped();
        cut();
        readinessSays("unreachable");
        cachedRequestsAreServed(3);
        pastSnapshotRefresh();
        cachedRequestsAreServed(3);
        String never = adminWriteIsRefused();

        int keyCalls = BUFFER + 4;
        for (int i = 0; i < keyCalls; i++) {
            datakey().then().statusCode(200);
            served++;
        }
        assertEquals(BUFFER, buffer.size());
        int dropped = (int) (buffer.dropped() - droppedBefore);
        assertEquals(keyCalls - BUFFER, dropped, "the oldest events beyond the buffer were dropped and counted");

        restoreAndDrain();
        readinessSays("reachable");
        int after = intactChainLength();
        int lost = before + keyCalls - dropped - after;
        System.out.printf("database outage (drop-oldest, buffer %d): served %d, refused %d, audit events flushed %d,"
                + " dropped (counted) %d, lost %d%n", BUFFER, served, refused, after - before, dropped, lost);
        assertEquals(0, lost, "apart from the counted drops, every event reached the trail");
        assertEquals(0, buffer.lost());
        neverWritten(never);
    }
}
