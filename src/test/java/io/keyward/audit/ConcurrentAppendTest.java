package io.keyward.audit;

import io.keyward.db.Database;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many writers append to the same chains at once and the chains stay gapless and verifiable. Two AuditLog
 * instances stand for two replicas: each append runs on its own pooled connection, so the only thing that orders
 * them is the chain head's row lock in the database, as it is between replicas.
 */
@QuarkusTest
class ConcurrentAppendTest {
    private static final int THREADS = 8;
    private static final int EVENTS_PER_THREAD = 40;

    @Inject
    AuditLog log;

    @Inject
    AuditVerifier verifier;

    @Inject
    Database db;

    @Inject
    WebhookDelivery webhooks;

    @Inject
    AuditBuffer buffer;

    @Test
    void concurrentAppendsFromTwoReplicasKeepEachChainGaplessAndIntact() throws Exception {
        String a = "conc-a-" + UUID.randomUUID().toString().substring(0, 8);
        String b = "conc-b-" + UUID.randomUUID().toString().substring(0, 8);
        AuditLog otherReplica = new AuditLog(db, webhooks, buffer);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        try {
            for (int i = 0; i < THREADS; i++) {
                AuditLog writer = i % 2 == 0 ? log : otherReplica;
                int thread = i;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int n = 0; n < EVENTS_PER_THREAD; n++) {
                        // Both tenants' chains and the global one are appended to at once; every thread starts
                        // with a first append to a fresh chain, so the head-creation race is exercised too.
                        writer.record(new Actor("test:" + thread, "r-" + thread + "-" + n), n % 2 == 0 ? a : b,
                                null, "test.append", "OK", "thread " + thread + " event " + n);
                        if (n % 10 == 0) {
                            writer.record(new Actor("test:" + thread, null), null, null, "test.global", "OK", null);
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        long perTenant = THREADS * EVENTS_PER_THREAD / 2;
        for (String t : List.of(a, b)) {
            List<Long> positions = db.query("SELECT chain_seq FROM audit_event WHERE tenant_id = ? ORDER BY seq",
                    rs -> rs.getLong(1), t);
            assertEquals(LongStream.rangeClosed(1, perTenant).boxed().toList(), positions,
                    "every append landed, once, at the next position, in append order");
            ChainVerification v = verifier.verify(t);
            assertTrue(v.intact(), () -> "chain " + t + " intact: " + v);
            assertEquals(perTenant, v.verified());
            assertEquals(perTenant, log.head(t).orElseThrow().lastSeq());
        }
        List<Long> global = db.query("SELECT chain_seq FROM audit_event WHERE chain_id = ? ORDER BY seq",
                rs -> rs.getLong(1), AuditChain.GLOBAL_CHAIN);
        assertEquals(LongStream.rangeClosed(1, global.size()).boxed().toList(), global, "the global chain is gapless");
    }
}
