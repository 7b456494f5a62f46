package io.keyward.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyward.testing.Api;

import java.net.URI;
import java.net.http.HttpRequest;
import java.util.Base64;
import java.util.Map;

/**
 * Scenario 3: keyward's encrypt and decrypt of 1 KiB over HTTP against the floor ({@link BenchEchoResource}),
 * same app, same auth filter, same JSON sizes, same closed-loop load. The floor runs before and after keyward's
 * endpoints and the mean of the two is the peer, so a load change on a shared machine during the run shows up
 * as a spread between them (both are in the note). Targets: encrypt ≥ 0.6× floor req/s, p99 ≤ 2× floor p99.
 */
final class HttpScenario {
    static final int SIZE = 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    static void run(BenchSettings s, BenchApp app, BenchResults out) throws Exception {
        String tenant = Api.unique("bench-http");
        Api.tenantWithLocalKey(tenant, Api.unique("bench-kek"));
        String token = Api.appToken(tenant);
        HttpLoad load = new HttpLoad(token);
        Map<String, String> ctx = Map.of("table", "cards", "row", "42");
        byte[] pt = new byte[SIZE];
        new java.security.SecureRandom().nextBytes(pt);
        String encryptBody = JSON.writeValueAsString(Map.of("plaintext", Base64.getEncoder().encodeToString(pt),
                "context", ctx));
        URI encrypt = app.uri("/v1/tenants/" + tenant + "/encrypt");
        var first = load.send(load.post(encrypt, encryptBody));
        if (first.statusCode() != 200) {
            throw new IllegalStateException("encrypt answered " + first.statusCode());
        }
        String ciphertext = JSON.readTree(first.body()).path("ciphertext").asText();
        int envelopeBytes = Base64.getDecoder().decode(ciphertext).length;
        String decryptBody = JSON.writeValueAsString(Map.of("ciphertext", ciphertext, "context", ctx));
        URI floor = app.uri("/v1/tenants/" + tenant + "/bench-echo?outBytes=" + envelopeBytes);
        URI decrypt = app.uri("/v1/tenants/" + tenant + "/decrypt");

        HttpRequest floorReq = load.post(floor, encryptBody);
        HttpLoad.Result floor1 = load.run(i -> floorReq, s.connections(), s.warmUp(), s.measure());
        HttpRequest encReq = load.post(encrypt, encryptBody);
        HttpLoad.Result enc = load.run(i -> encReq, s.connections(), s.warmUp(), s.measure());
        HttpRequest decReq = load.post(decrypt, decryptBody);
        HttpLoad.Result dec = load.run(i -> decReq, s.connections(), s.warmUp(), s.measure());
        HttpLoad.Result floor2 = load.run(i -> floorReq, s.connections(), s.warmUp(), s.measure());

        double floorRps = (floor1.requestsPerSecond() + floor2.requestsPerSecond()) / 2;
        double floorP50 = (floor1.p50Millis() + floor2.p50Millis()) / 2;
        double floorP99 = (floor1.p99Millis() + floor2.p99Millis()) / 2;
        String how = s.connections() + " connections, closed loop, " + s.measure().toSeconds() + " s after "
                + s.warmUp().toSeconds() + " s warm-up; floor before/after: "
                + BenchResults.num(floor1.requestsPerSecond()) + "/" + BenchResults.num(floor2.requestsPerSecond())
                + " req/s, p99 " + BenchResults.num(floor1.p99Millis()) + "/" + BenchResults.num(floor2.p99Millis())
                + " ms";
        out.add(BenchRow.info("http", "floor 1 KiB req/s", floorRps, "req/s", null, null, how));
        out.add(BenchRow.atLeast("http", "encrypt 1 KiB req/s", enc.requestsPerSecond(), "req/s", floorRps,
                enc.requestsPerSecond() / floorRps, 0.6, how));
        out.add(BenchRow.info("http", "encrypt 1 KiB p50", enc.p50Millis(), "ms", floorP50,
                enc.p50Millis() / floorP50, "latency ratio: lower is better"));
        out.add(BenchRow.atMost("http", "encrypt 1 KiB p99", enc.p99Millis(), "ms", floorP99,
                enc.p99Millis() / floorP99, 2.0, "latency ratio: lower is better"));
        out.add(BenchRow.info("http", "decrypt 1 KiB req/s", dec.requestsPerSecond(), "req/s", floorRps,
                dec.requestsPerSecond() / floorRps, how));
        out.add(BenchRow.info("http", "decrypt 1 KiB p50", dec.p50Millis(), "ms", floorP50,
                dec.p50Millis() / floorP50, "latency ratio: lower is better"));
        out.add(BenchRow.info("http", "decrypt 1 KiB p99", dec.p99Millis(), "ms", floorP99,
                dec.p99Millis() / floorP99, "latency ratio: lower is better"));
    }

    private HttpScenario() {
    }
}
