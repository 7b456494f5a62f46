package io.keyward.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * Scenario 2: {@link CodecBenchmark} under JMH, throughput mode, one thread. Rows: keyward seal and open as a
 * multiple of raw Tink AES-256-GCM at each size. Targets (issue 7): ≥ 0.9× at 64 KiB and 1 MiB, ≥ 0.7× at 64 B.
 * Each row's note adds {@link CodecCpuCheck}'s ratio, which a loaded machine distorts far less than JMH's forks.
 */
final class CodecScenario {
    static void run(BenchSettings s, BenchResults out) throws Exception {
        Options opts = new OptionsBuilder()
                .include(CodecBenchmark.class.getName().replace(".", "\\.") + "\\.")
                .forks(s.jmhForks())
                .warmupIterations(Math.max(1, s.jmhIterations() - 1))
                .warmupTime(TimeValue.milliseconds(s.jmhIteration().toMillis()))
                .measurementIterations(s.jmhIterations())
                .measurementTime(TimeValue.milliseconds(s.jmhIteration().toMillis()))
                .threads(1)
                .shouldFailOnError(true)
                .jvmArgsAppend("-Xmx1g")
                .build();
        Collection<RunResult> results = new Runner(opts).run();
        Map<String, Double> opsPerSecond = new HashMap<>();
        for (RunResult r : results) {
            String method = r.getParams().getBenchmark();
            method = method.substring(method.lastIndexOf('.') + 1);
            String size = r.getParams().getParam("size");
            opsPerSecond.put(method + "/" + size, r.getPrimaryResult().getScore());
        }
        for (String size : new String[] {"64", "1024", "65536", "1048576"}) {
            for (String op : new String[] {"Seal", "Open"}) {
                Double kw = opsPerSecond.get("keyward" + op + "/" + size);
                Double raw = opsPerSecond.get("raw" + op + "/" + size);
                if (kw == null || raw == null) {
                    throw new IllegalStateException("JMH gave no result for " + op + " at " + size + " B");
                }
                String metric = op.toLowerCase() + " " + label(Integer.parseInt(size)) + " ops/s";
                double ratio = kw / raw;
                double min = switch (size) {
                    case "64" -> 0.7;
                    case "65536", "1048576" -> 0.9;
                    default -> Double.NaN;
                };
                double cpuRatio = CodecCpuCheck.ratio(Integer.parseInt(size), op, s.isSmoke() ? 1 : 10,
                        s.isSmoke() ? java.time.Duration.ofMillis(5) : java.time.Duration.ofMillis(100));
                String note = "JMH throughput, 1 thread, vs Tink AesGcmJce; interleaved per-CPU-second ratio "
                        + BenchResults.num(cpuRatio);
                out.add(Double.isNaN(min) ? BenchRow.info("codec", metric, kw, "ops/s", raw, ratio, note)
                        : BenchRow.atLeast("codec", metric, kw, "ops/s", raw, ratio, min, note));
            }
        }
    }

    static String label(int bytes) {
        if (bytes >= 1 << 20) {
            return (bytes >> 20) + " MiB";
        }
        if (bytes >= 1 << 10) {
            return (bytes >> 10) + " KiB";
        }
        return bytes + " B";
    }

    private CodecScenario() {
    }
}
