package io.keyward.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The one collector every scenario writes its rows into; prints the table and writes {@code results.json}
 * (format: docs/explanation/performance.md#results-format). Machine facts are taken when the run starts, so the
 * load average is the one the numbers were measured under.
 */
public final class BenchResults {
    private final Map<String, Object> machine;
    private final Instant started = Instant.now();
    private final List<BenchRow> rows = new ArrayList<>();

    public BenchResults() {
        this.machine = machineFacts();
    }

    public synchronized void add(BenchRow row) {
        rows.add(row);
        System.out.println("[bench] " + line(row));
    }

    public synchronized List<BenchRow> rows() {
        return List.copyOf(rows);
    }

    public Map<String, Object> machine() {
        return machine;
    }

    /** Writes {@code dir/results.json} and returns its path. */
    public synchronized Path write(Path dir, String mode) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("format", "keyward-bench/1");
        doc.put("mode", mode);
        doc.put("started", started.toString());
        doc.put("finished", Instant.now().toString());
        doc.put("machine", machine);
        doc.put("loadAverageAtEnd", loadAverage());
        doc.put("rows", rows);
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve("results.json");
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), doc);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The table as Markdown, as pasted into docs/explanation/performance.md. */
    public synchronized String table() {
        StringBuilder b = new StringBuilder();
        b.append("| scenario | metric | measured | peer / limit | ratio | target | met? |\n");
        b.append("| --- | --- | --- | --- | --- | --- | --- |\n");
        for (BenchRow r : rows) {
            b.append("| ").append(r.scenario()).append(" | ").append(r.metric()).append(" | ")
                    .append(num(r.measured())).append(r.unit() == null ? "" : " " + r.unit()).append(" | ")
                    .append(num(r.peer())).append(" | ").append(num(r.ratio())).append(" | ")
                    .append(r.target() == null ? "" : r.target()).append(" | ").append(r.status()).append(" |\n");
        }
        return b.toString();
    }

    private static String line(BenchRow r) {
        return r.scenario() + " / " + r.metric() + ": " + num(r.measured()) + (r.unit() == null ? "" : " " + r.unit())
                + ", peer " + num(r.peer()) + ", ratio " + num(r.ratio()) + ", target "
                + (r.target() == null ? "-" : r.target()) + " → " + r.status()
                + (r.note() == null ? "" : " (" + r.note() + ")");
    }

    static String num(Double d) {
        if (d == null) {
            return "";
        }
        double a = Math.abs(d);
        if (a >= 100 || a == 0) {
            return String.format(Locale.ROOT, "%.0f", d);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", d);
        }
        return String.format(Locale.ROOT, "%.3g", d);
    }

    private static Map<String, Object> machineFacts() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        m.put("maxHeapBytes", Runtime.getRuntime().maxMemory());
        m.put("loadAverageAtStart", loadAverage());
        return m;
    }

    /** 1, 5 and 15 minute load averages from /proc/loadavg, or the JVM's 1-minute figure elsewhere. */
    static List<Double> loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return List.of(Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]));
        } catch (IOException | RuntimeException e) {
            return List.of(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }
}
