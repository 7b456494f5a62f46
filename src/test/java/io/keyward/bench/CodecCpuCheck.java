package io.keyward.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;

/**
 * A cross-check of the JMH codec ratios that holds up on a busy machine: raw and keyward take turns on the same
 * thread in short slices, and each side's throughput is counted per CPU second this thread got (thread CPU time),
 * not per wall-clock second. Other processes then slow both sides alike instead of whichever JMH fork they hit.
 * Costs of the same JIT-compiled code as {@link CodecBenchmark}; no blackhole, so the results are summed.
 */
final class CodecCpuCheck {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** keyward's ops per CPU second divided by raw's, for {@code size} and "Seal" or "Open". */
    static double ratio(int size, String op, int rounds, Duration slice) throws Exception {
        CodecBenchmark b = new CodecBenchmark();
        b.size = size;
        b.setUp();
        boolean seal = op.equals("Seal");
        long sink = 0;
        double[] raw = new double[2];
        double[] kw = new double[2];
        for (int round = -2; round < rounds; round++) { // two rounds of warm-up
            sink += slice(b, seal, false, slice, round >= 0 ? raw : null);
            sink += slice(b, seal, true, slice, round >= 0 ? kw : null);
        }
        if (sink == 42) {
            System.out.print("");
        }
        return (kw[0] / kw[1]) / (raw[0] / raw[1]);
    }

    private static long slice(CodecBenchmark b, boolean seal, boolean keyward, Duration length, double[] into)
            throws Exception {
        long sink = 0;
        long ops = 0;
        long cpu0 = THREADS.getCurrentThreadCpuTime();
        long end = System.nanoTime() + length.toNanos();
        while (System.nanoTime() < end) {
            byte[] r = keyward ? (seal ? b.keywardSeal() : b.keywardOpen()) : (seal ? b.rawSeal() : b.rawOpen());
            sink += r[r.length - 1];
            ops++;
        }
        long cpu = THREADS.getCurrentThreadCpuTime() - cpu0;
        if (into != null) {
            into[0] += ops;
            into[1] += cpu;
        }
        return sink;
    }

    private CodecCpuCheck() {
    }
}
