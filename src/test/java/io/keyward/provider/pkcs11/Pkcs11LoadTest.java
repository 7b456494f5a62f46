package io.keyward.provider.pkcs11;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyward.provider.KeySpec;
import io.keyward.testing.Api;
import io.keyward.testing.pkcs11.Pkcs11Fixture;
import io.keyward.testing.pkcs11.SoftHsm;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import static io.keyward.testing.Api.admin;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 4, acceptance 3: 16 threads encrypt through keyward's HTTP API for 10 s with caching off, so every request
 * is a wrap inside the SoftHSM2 token (and every tenth a decrypt, an unwrap). No request may fail, the token's
 * open sessions never exceed keyward's cap, and once the burst is over they return to the baseline. This is a
 * correctness test under concurrency, not a benchmark: it asserts no rate.
 */
@QuarkusTest
@TestProfile(Pkcs11LoadTest.ColdCaches.class)
class Pkcs11LoadTest {
    private static final int THREADS = 16;
    private static final Duration RUN = Duration.ofSeconds(10);

    @TestHTTPResource("/")
    URI base;

    /** No DEK caching: every encrypt wraps a fresh DEK in the token, every decrypt unwraps in it. */
    public static class ColdCaches implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("keyward.cache.max-age", "0s",
                    "keyward.providers.pkcs11.max-sessions", "16",
                    "keyward.providers.pkcs11.session-idle-timeout", "1s",
                    "keyward.providers.pkcs11.deadline", "10s",
                    "keyward.providers.pkcs11.attempt-timeout", "5s");
        }
    }

    @Test
    void sixteenThreadsWithColdCachesForTenSecondsNeitherFailNorLeakSessions() throws Exception {
        try (Pkcs11Fixture fixture = new Pkcs11Fixture(Pkcs11ContractTest.SETTINGS)) {
            KeySpec key = fixture.newKey();
            String tenant = Api.unique("load");
            admin().body(Map.of("id", tenant, "name", tenant)).post("/v1/tenants").then().statusCode(201);
            admin().body(Map.of("provider", "pkcs11", "keyUri", key.keyUri(), "options", key.options()))
                    .post("/v1/tenants/" + tenant + "/keys").then().statusCode(201);
            String app = Api.appToken(tenant);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            Api.encrypt(app, tenant, new byte[] {1}, Map.of()).statusCode(200);

            SoftHsm hsm = fixture.hsm();
            long slot = hsm.keywardSlot(fixture.token(key));
            long baseline = hsm.librarySessions(slot);
            assertTrue(baseline >= 1, "keyward keeps a logged-in session after the first call: " + baseline);
            assertEquals(baseline, hsm.keywardModule().openSessionCount(slot), "keyward's count agrees");

            AtomicLong encrypts = new AtomicLong();
            AtomicLong decrypts = new AtomicLong();
            AtomicLong peakSessions = new AtomicLong();
            Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
            long until = System.nanoTime() + RUN.toNanos();
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                workers.add(pool.submit(() -> {
                    int n = 0;
                    while (System.nanoTime() < until) {
                        byte[] plaintext = ("thread " + thread + " message " + n++).getBytes(StandardCharsets.UTF_8);
                        HttpResponse<String> enc = post(http, app, "/v1/tenants/" + tenant + "/encrypt",
                                "{\"plaintext\":\"" + Base64.getEncoder().encodeToString(plaintext) + "\"}");
                        if (enc.statusCode() != 200) {
                            failures.computeIfAbsent("encrypt " + enc.statusCode(), k -> new AtomicLong()).incrementAndGet();
                            continue;
                        }
                        encrypts.incrementAndGet();
                        peakSessions.accumulateAndGet(hsm.keywardModule().openSessionCount(slot), Math::max);
                        if (n % 10 == 0) {
                            String ct = Api.json(enc.body().getBytes(StandardCharsets.UTF_8)).get("ciphertext").asText();
                            HttpResponse<String> dec = post(http, app, "/v1/tenants/" + tenant + "/decrypt",
                                    "{\"ciphertext\":\"" + ct + "\"}");
                            JsonNode body = Api.json(dec.body().getBytes(StandardCharsets.UTF_8));
                            if (dec.statusCode() != 200 || !java.util.Arrays.equals(plaintext,
                                    Base64.getDecoder().decode(body.get("plaintext").asText()))) {
                                failures.computeIfAbsent("decrypt " + dec.statusCode(), k -> new AtomicLong())
                                        .incrementAndGet();
                            } else {
                                decrypts.incrementAndGet();
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> w : workers) {
                w.get();
            }
            pool.shutdown();
            System.out.printf("pkcs11 load: %d encrypts + %d decrypts in %s with %d threads (%.0f/s), peak sessions %d, "
                    + "failures %s%n", encrypts.get(), decrypts.get(), RUN, THREADS,
                    (encrypts.get() + decrypts.get()) / (double) RUN.toSeconds(), peakSessions.get(), failures);

            assertTrue(failures.isEmpty(), "failures: " + failures);
            assertTrue(encrypts.get() >= THREADS, "every thread got through: " + encrypts.get());
            assertTrue(peakSessions.get() <= 16, "sessions never exceed max-sessions: " + peakSessions.get());
            double wraps = Api.admin().get("/q/metrics").then().statusCode(200).extract().asString().lines()
                    .filter(l -> l.startsWith("keyward_provider_calls_total{") && l.contains("provider=\"pkcs11\"")
                            && l.contains("operation=\"wrap\"") && l.contains("outcome=\"ok\""))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
            assertTrue(wraps >= encrypts.get(), "cold caches: every encrypt wrapped in the token (" + wraps
                    + " wraps for " + encrypts.get() + " encrypts)");

            long afterBurst = hsm.librarySessions(slot);
            Thread.sleep(2_000); // past the idle timeout (1 s) and the housekeeping that follows it
            long settled = hsm.librarySessions(slot);
            System.out.printf("pkcs11 sessions on the token (as SoftHSM2 holds them): baseline %d, right after the "
                    + "burst %d, 2 s later %d%n", baseline, afterBurst, settled);
            assertTrue(afterBurst <= 16, "never more than max-sessions: " + afterBurst);
            assertEquals(baseline, settled, "open sessions back to the baseline after the burst");
        }
    }

    private HttpResponse<String> post(HttpClient http, String token, String path, String json) {
        try {
            return http.send(HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
