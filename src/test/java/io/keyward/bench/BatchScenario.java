package io.keyward.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyward.testing.Api;

import java.net.URI;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Scenario 7: {@code encrypt:batch} of {@code batchItems} 1 KiB items against single 1 KiB encrypts, same
 * connections, same closed loop. Per-item cost of the batch relative to a single request is
 * (single requests/s) / (batch items/s). Target ≤ 0.3.
 */
final class BatchScenario {
    private static final ObjectMapper JSON = new ObjectMapper();

    static void run(BenchSettings s, BenchApp app, BenchResults out) throws Exception {
        String tenant = Api.unique("bench-batch");
        Api.tenantWithLocalKey(tenant, Api.unique("bench-kek"));
        HttpLoad load = new HttpLoad(Api.appToken(tenant));
        Map<String, String> ctx = Map.of("table", "cards", "row", "42");
        byte[] pt = new byte[HttpScenario.SIZE];
        new java.security.SecureRandom().nextBytes(pt);
        String b64 = Base64.getEncoder().encodeToString(pt);
        String single = JSON.writeValueAsString(Map.of("plaintext", b64, "context", ctx));
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < s.batchItems(); i++) {
            items.add(Map.of("id", Integer.toString(i), "plaintext", b64, "context", ctx));
        }
        String batch = JSON.writeValueAsString(Map.of("items", items));
        URI one = app.uri("/v1/tenants/" + tenant + "/encrypt");
        URI many = app.uri("/v1/tenants/" + tenant + "/encrypt:batch");
        var check = load.send(load.post(many, batch));
        if (check.statusCode() != 200 || check.body().contains("\"error\":{")) {
            throw new IllegalStateException("encrypt:batch answered " + check.statusCode() + " or with item errors");
        }
        HttpRequest singleReq = load.post(one, single);
        HttpLoad.Result singles = load.run(i -> singleReq, s.connections(), s.warmUp(), s.measure());
        HttpRequest batchReq = load.post(many, batch);
        HttpLoad.Result batches = load.run(i -> batchReq, s.connections(), s.warmUp(), s.measure());
        double itemsPerSecond = batches.requestsPerSecond() * s.batchItems();
        double ratio = singles.requestsPerSecond() / itemsPerSecond;
        out.add(BenchRow.atMost("batch", "encrypt:batch ×" + s.batchItems() + " per-item cost vs single",
                itemsPerSecond, "items/s", singles.requestsPerSecond(), ratio, 0.3,
                "peer = single 1 KiB encrypts/s; ratio = per-item cost in a batch / cost of a single request; "
                        + s.connections() + " connections; batch p99 " + BenchResults.num(batches.p99Millis())
                        + " ms"));
    }

    private BatchScenario() {
    }
}
