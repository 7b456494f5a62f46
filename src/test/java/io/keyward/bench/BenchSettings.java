package io.keyward.bench;

import java.time.Duration;

/**
 * How long and how hard each scenario runs. {@link #full()} is the benchmark ({@code -Pbench}); {@link #smoke()}
 * runs every scenario once, briefly, to prove the harness works (BenchHarnessSmokeTest). System properties
 * {@code bench.warmup}, {@code bench.measure} (ISO-8601 or e.g. "10s") and {@code bench.connections} override the
 * full run's values.
 */
public record BenchSettings(String mode, Duration warmUp, Duration measure, int connections, int jmhForks,
        int jmhIterations, Duration jmhIteration, int[] tenantCounts, int batchItems, boolean coldStart) {

    public static BenchSettings full() {
        return new BenchSettings("full", duration("bench.warmup", "2s"), duration("bench.measure", "8s"),
                Integer.getInteger("bench.connections", 8), Integer.getInteger("bench.jmh.forks", 1), 3,
                duration("bench.jmh.iteration", "1s"), new int[] {1, 100, 10_000}, 1000, true);
    }

    public static BenchSettings smoke() {
        return new BenchSettings("smoke", Duration.ofMillis(50), Duration.ofMillis(200), 2, 0, 1,
                Duration.ofMillis(50), new int[] {1, 3}, 20, false);
    }

    public boolean isSmoke() {
        return "smoke".equals(mode);
    }

    private static Duration duration(String property, String fallback) {
        String v = System.getProperty(property, fallback).trim();
        return v.startsWith("P") || v.startsWith("p") ? Duration.parse(v) : Duration.parse("PT" + v.toUpperCase());
    }
}
