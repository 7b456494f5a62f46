package io.keyward.bench;

import io.keyward.audit.Actor;
import io.keyward.envelope.EncryptionContext;
import io.keyward.provider.KeySpec;
import io.keyward.testing.Api;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Scenario 5: 1, 100, 10,000 tenants, each with its own tenant key on the local provider (one local KMS key
 * behind all of them: the local provider's cost per call does not depend on the key), uniform random traffic of
 * 1 KiB encrypts through {@code CryptoService} (tenant resolution, revocation checks, DEK cache, codec), in-process.
 *
 * <p>Heap per tenant: used heap after full GCs once every tenant has sealed one message (so has a live encrypt DEK,
 * its decrypt-cache twin and a health-prober watch), minus the same measure taken after the tenants were created
 * but before any traffic, divided by N. Tenant snapshots are made by creation, so they are in the baseline: this is
 * the cost of a cached DEK per idle tenant. Targets: ≤ 2 KiB per tenant; 10,000 tenants ≥ 0.8× the throughput of 1.
 */
final class TenantScaleScenario {
    static void run(BenchSettings s, BenchApp app, BenchResults out, java.time.Duration cacheMaxAge) {
        String kek = Api.unique("bench-scale-kek");
        Api.localKey(kek);
        KeySpec spec = new KeySpec("local", "local:" + kek, Map.of());
        EncryptionContext ctx = EncryptionContext.of(Map.of("table", "cards", "row", "42"));
        Actor actor = new Actor("bench", null);
        byte[] pt = new byte[HttpScenario.SIZE];
        Double throughputOfOne = null;
        int[] counts = s.tenantCounts();
        for (int n : counts) {
            String prefix = Api.unique("bs" + n);
            String[] ids = new String[n];
            for (int i = 0; i < n; i++) {
                ids[i] = prefix + "-" + i;
                app.tenants().create(ids[i], ids[i]);
                app.tenants().addPrimaryKey(ids[i], spec, Set.of());
            }
            long baseline = usedHeapAfterGc();
            double callsBefore = app.providerCalls("local", null);
            for (String id : ids) {
                app.crypto().encrypt(app.crypto().resolve(id), pt, ctx, actor);
            }
            long loaded = usedHeapAfterGc();
            double bytesPerTenant = (loaded - baseline) / (double) n;
            LoadLoop.Op op = (t, i) -> {
                String id = ids[ThreadLocalRandom.current().nextInt(n)];
                app.crypto().encrypt(app.crypto().resolve(id), pt, ctx, actor);
            };
            LoadLoop.run(s.connections(), s.warmUp(), op);
            double measureCallsBefore = app.providerCalls("local", null);
            double ops = LoadLoop.run(s.connections(), s.measure(), op);
            double measureCalls = app.providerCalls("local", null) - measureCallsBefore;
            double allCalls = app.providerCalls("local", null) - callsBefore;
            String label = n + (n == 1 ? " tenant" : " tenants");
            if (throughputOfOne == null) {
                throughputOfOne = ops;
                out.add(BenchRow.info("tenant-scale", label + " encrypt ops/s", ops, "ops/s", null, null,
                        s.connections() + " threads, 1 KiB, uniform"));
            } else if (n == counts[counts.length - 1]) {
                out.add(BenchRow.atLeast("tenant-scale", label + " encrypt ops/s vs 1 tenant", ops, "ops/s",
                        throughputOfOne, ops / throughputOfOne, 0.8, s.connections() + " threads, 1 KiB, uniform"));
            } else {
                out.add(BenchRow.info("tenant-scale", label + " encrypt ops/s vs 1 tenant", ops, "ops/s",
                        throughputOfOne, ops / throughputOfOne, s.connections() + " threads, 1 KiB, uniform"));
            }
            out.add(BenchRow.info("tenant-scale", label + " KMS calls", allCalls, "calls", null, null,
                    "from first message to end of run: " + BenchResults.num(measureCalls)
                            + " in the measuring window (health probes included), " + n + " expected DEK wraps"));
            if (n >= 100 || s.isSmoke()) {
                // Every KMS call of the measuring window (DEKs are all cached by then: these are health probes),
                // per tenant, scaled to one cache max age. The bound: ≤ 1 per tenant per max age.
                double perTenantPerMaxAge = measureCalls / n / (s.measure().toNanos() / (double) cacheMaxAge.toNanos());
                out.add(BenchRow.atMost("tenant-scale", label + " KMS calls per tenant per max age",
                        perTenantPerMaxAge, "calls", null, perTenantPerMaxAge, 1.0,
                        "all provider calls in the measuring window, scaled to max age " + cacheMaxAge.toSeconds()
                                + " s; once DEKs are cached these are the health prober's checks"));
            }
            if (n >= 100) {
                out.add(BenchRow.atMost("tenant-scale", label + " heap per tenant with cached DEK", bytesPerTenant,
                        "B", null, bytesPerTenant / 1024, 2.0, "ratio in KiB; used heap after GC minus baseline, / N"));
            }
            // Below 100 tenants the difference is inside GC noise (it can come out negative): no row.
        }
    }

    /** Used heap after a few full GCs, until two readings agree within 1%. */
    static long usedHeapAfterGc() {
        var memory = ManagementFactory.getMemoryMXBean();
        long last = Long.MAX_VALUE;
        for (int i = 0; i < 6; i++) {
            System.gc();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            long used = memory.getHeapMemoryUsage().getUsed();
            if (Math.abs(used - last) < last / 100) {
                return used;
            }
            last = used;
        }
        return last;
    }

    private TenantScaleScenario() {
    }
}
