package io.keyward.bench;

/**
 * One line of the benchmark table (docs/explanation/performance.md#results-format). {@code measured} is keyward's
 * number, {@code peer} the number it is compared with (the raw limit, the HTTP floor, the naive envelope...) or
 * null, {@code ratio} measured/peer (or as the scenario defines it) or null, {@code target} the goal as text
 * (e.g. "≥ 0.9") or null when the row only informs.
 */
public record BenchRow(String scenario, String metric, Double measured, String unit, Double peer, Double ratio,
        String target, Status status, String note) {

    /** MET / MISSED: a target was checked; INFO: no target; MISSING: the scenario is not built yet. */
    public enum Status {
        MET, MISSED, INFO, MISSING
    }

    /** A row with a lower bound on {@code ratio}. */
    public static BenchRow atLeast(String scenario, String metric, double measured, String unit, double peer,
            double ratio, double min, String note) {
        return new BenchRow(scenario, metric, measured, unit, peer, ratio, "≥ " + min,
                ratio >= min ? Status.MET : Status.MISSED, note);
    }

    /** A row with an upper bound on {@code ratio}. */
    public static BenchRow atMost(String scenario, String metric, double measured, String unit, Double peer,
            double ratio, double max, String note) {
        return new BenchRow(scenario, metric, measured, unit, peer, ratio, "≤ " + max,
                ratio <= max ? Status.MET : Status.MISSED, note);
    }

    public static BenchRow info(String scenario, String metric, double measured, String unit, Double peer,
            Double ratio, String note) {
        return new BenchRow(scenario, metric, measured, unit, peer, ratio, null, Status.INFO, note);
    }

    public static BenchRow missing(String scenario, String metric, String note) {
        return new BenchRow(scenario, metric, null, null, null, null, null, Status.MISSING, note);
    }
}
