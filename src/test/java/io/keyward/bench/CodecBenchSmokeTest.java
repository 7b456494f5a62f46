package io.keyward.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The codec scenario's harness: JMH runs {@link CodecBenchmark} in this JVM (no fork, one 50 ms iteration) and the
 * scenario turns its results into one row per size and direction. A plain test, not a {@code @QuarkusTest}: JMH
 * loads the generated benchmark classes by name, which Quarkus's base class loader cannot see. No speed asserted.
 */
class CodecBenchSmokeTest {
    @Test
    void everySizeAndDirectionGivesARowWithARatioToTheRawLimit() throws Exception {
        BenchResults out = new BenchResults();
        CodecScenario.run(BenchSettings.smoke(), out);
        List<BenchRow> rows = out.rows();
        assertEquals(8, rows.size(), "4 sizes × seal/open");
        for (BenchRow r : rows) {
            assertEquals("codec", r.scenario());
            assertNotNull(r.measured(), r::toString);
            assertNotNull(r.peer(), r::toString);
            assertTrue(r.measured() > 0 && r.peer() > 0, r::toString);
            assertEquals(r.measured() / r.peer(), r.ratio(), 1e-9, r::toString);
        }
        assertEquals(6, rows.stream().filter(r -> r.target() != null).count(),
                "targets at 64 B, 64 KiB and 1 MiB, seal and open");
        assertTrue(rows.stream().filter(r -> r.target() != null)
                .allMatch(r -> r.status() == BenchRow.Status.MET || r.status() == BenchRow.Status.MISSED));
    }
}
