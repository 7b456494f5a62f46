package io.keyward.bench;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Runs every scenario in a fixed order into one {@link BenchResults}. {@code keepGoing}: a scenario that throws
 * becomes a MISSED row naming the failure and the run goes on (the benchmark); otherwise the failure propagates
 * (the smoke test).
 */
final class BenchRun {
    interface Scenario {
        void run() throws Exception;
    }

    static BenchResults all(BenchSettings s, BenchApp app, Duration cacheMaxAge, boolean keepGoing) {
        BenchResults out = new BenchResults();
        // JMH must fork here: in a @QuarkusTest, jmh-core sits in Quarkus's base class loader, which cannot see
        // the generated benchmark classes in test-classes (CodecBenchSmokeTest runs it in-process, outside Quarkus).
        if (s.jmhForks() < 1) {
            throw new IllegalArgumentException("the codec scenario needs JMH forks >= 1 inside the Quarkus test app");
        }
        step("codec", out, keepGoing, () -> CodecScenario.run(s, out));
        withoutCodec(s, app, cacheMaxAge, keepGoing, out);
        return out;
    }

    /** Every scenario but the JMH one, into {@code out}. */
    static BenchResults withoutCodec(BenchSettings s, BenchApp app, Duration cacheMaxAge, boolean keepGoing,
            BenchResults out) {
        step("http", out, keepGoing, () -> HttpScenario.run(s, app, out));
        step("naive-envelope", out, keepGoing, () -> NaiveEnvelopeScenario.run(s, app, out, cacheMaxAge));
        step("tenant-scale", out, keepGoing, () -> TenantScaleScenario.run(s, app, out, cacheMaxAge));
        step("batch", out, keepGoing, () -> BatchScenario.run(s, app, out));
        step("cold-start", out, keepGoing, () -> ColdStartScenario.run(s, out));
        step("streaming", out, keepGoing, () -> StreamingScenario.run(s, out));
        return out;
    }

    static Path report(BenchResults out, BenchSettings s, Path dir) {
        Path file = out.write(dir, s.mode());
        System.out.println();
        System.out.println("keyward benchmark (" + s.mode() + "), machine " + out.machine());
        System.out.println(out.table());
        System.out.println("written to " + file.toAbsolutePath());
        return file;
    }

    private static void step(String name, BenchResults out, boolean keepGoing, Scenario scenario) {
        long t0 = System.nanoTime();
        try {
            scenario.run();
        } catch (Exception | AssertionError e) {
            if (!keepGoing) {
                throw new IllegalStateException("scenario " + name + " failed", e);
            }
            e.printStackTrace();
            out.add(new BenchRow(name, "scenario failed", null, null, null, null, null, BenchRow.Status.MISSED,
                    e.toString()));
        }
        System.out.printf("[bench] scenario %s took %.1f s%n", name, (System.nanoTime() - t0) / 1e9);
    }

    private BenchRun() {
    }
}
