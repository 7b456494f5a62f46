package io.keyward.keys;

import io.keyward.testing.Api;
import io.keyward.testing.FaultyKeyProvider;
import io.keyward.testing.FaultyKeyProvider.Mode;
import io.keyward.testing.ShortBoundsProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The circuit breaker and bulkhead per tenant key (ProviderGuards), against the test-faulty provider: unavailable
 * answers open the breaker, which then answers KEY_UNAVAILABLE without calling the provider; answers that are not
 * outages never open it; a hanging key manager of one tenant leaves another tenant's calls unaffected.
 */
@QuarkusTest
@TestProfile(CircuitBreakerTest.Guards.class)
class CircuitBreakerTest {
    private static final int WINDOW = 4;

    public static class Guards extends ShortBoundsProfile {
        public Guards() {
            super("aws", "1s", "2s");
            with("keyward.health.probe-interval", "1h");
            with("keyward.circuit-breaker.window", String.valueOf(WINDOW));
            with("keyward.circuit-breaker.failure-ratio", "0.5");
            with("keyward.circuit-breaker.delay", "2s");
            with("keyward.bulkhead.max-concurrent", "2");
            with("keyward.bulkhead.max-waiting", "2");
        }
    }

    @Inject
    FaultyKeyProvider faulty;

    @Inject
    ProviderGuards guards;

    private static Response datakey(String token, String tenant) {
        return Api.as(token).body(Map.of("context", Map.of("purpose", "cb"))).post("/v1/tenants/" + tenant + "/datakey");
    }

    @Test
    void breakerOpensAfterUnavailableAnswersThenRefusesWithoutCallingTheProviderAndClosesAfterTheDelay() {
        String tenant = Api.unique("cb-open");
        String kek = Api.unique("kek");
        Api.tenantWithFaultyKey(tenant, kek);
        String token = Api.appToken(tenant);
        faulty.set(kek, Mode.UNAVAILABLE);
        int before = faulty.dataKeyCalls(kek);
        for (int i = 0; i < WINDOW; i++) {
            datakey(token, tenant).then().statusCode(503).body("code", equalTo("KEY_UNAVAILABLE"));
        }
        assertEquals(before + WINDOW, faulty.dataKeyCalls(kek), "each call reached the provider while closed");
        assertEquals(1, guards.openCircuits(FaultyKeyProvider.ID), "the breaker of this tenant key is open");

        faulty.set(kek, Mode.OK);
        for (int i = 0; i < 5; i++) {
            datakey(token, tenant).then().statusCode(503).body("code", equalTo("KEY_UNAVAILABLE"))
                    .header("Retry-After", org.hamcrest.Matchers.notNullValue());
        }
        assertEquals(before + WINDOW, faulty.dataKeyCalls(kek), "an open breaker never calls the provider");

        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        int status;
        do {
            io.keyward.testing.Sleep.quietly(Duration.ofMillis(250));
            status = datakey(token, tenant).statusCode();
        } while (status != 200 && System.nanoTime() < deadline);
        assertEquals(200, status, "after the delay a trial call goes through and closes the breaker");
        assertEquals(0, guards.openCircuits(FaultyKeyProvider.ID));
    }

    @Test
    void misconfiguredAnswersAreNotOutagesAndNeverOpenTheBreaker() {
        String tenant = Api.unique("cb-misc");
        String kek = Api.unique("kek");
        Api.tenantWithFaultyKey(tenant, kek);
        String token = Api.appToken(tenant);
        faulty.set(kek, Mode.MISCONFIGURED);
        int before = faulty.dataKeyCalls(kek);
        for (int i = 0; i < 3 * WINDOW; i++) {
            datakey(token, tenant).then().statusCode(503);
        }
        assertEquals(before + 3 * WINDOW, faulty.dataKeyCalls(kek), "every call still reached the provider");
        faulty.set(kek, Mode.OK);
        datakey(token, tenant).then().statusCode(200);
    }

    @Test
    void aHangingKeyManagerTakesAtMostItsBulkheadAndAnotherTenantIsServedMeanwhile() throws Exception {
        String slowTenant = Api.unique("cb-slow");
        String slowKek = Api.unique("kek");
        Api.tenantWithFaultyKey(slowTenant, slowKek);
        String slowToken = Api.appToken(slowTenant);
        String other = Api.unique("cb-fine");
        String otherKek = Api.unique("kek");
        Api.tenantWithFaultyKey(other, otherKek);
        String otherToken = Api.appToken(other);
        long hangMillis = 3000;
        faulty.slow(slowKek, hangMillis);

        int burst = 12;
        ExecutorService pool = Executors.newFixedThreadPool(burst);
        try {
            List<Future<Integer>> slow = new ArrayList<>();
            for (int i = 0; i < burst; i++) {
                slow.add(pool.submit(() -> datakey(slowToken, slowTenant).statusCode()));
            }
            // Tenant B, while A's calls hang: every call is its own provider call (datakey is never cached).
            List<Long> latencies = new ArrayList<>();
            long started = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                long t0 = System.nanoTime();
                datakey(otherToken, other).then().statusCode(200);
                latencies.add((System.nanoTime() - t0) / 1_000_000);
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            int served = 0;
            int refused = 0;
            for (Future<Integer> f : slow) {
                int s = f.get(30, TimeUnit.SECONDS);
                if (s == 200) {
                    served++;
                } else if (s == 503) {
                    refused++;
                }
            }
            latencies.sort(Long::compare);
            System.out.printf("bulkhead: tenant A (hanging %d ms) %d served, %d refused at once, %d in flight max;"
                    + " tenant B 20 calls, p50 %d ms, max %d ms, %.1f calls/s%n", hangMillis, served, refused,
                    4, latencies.get(10), latencies.get(19), 20 / seconds);
            assertEquals(burst, served + refused, "every call of A was answered");
            assertTrue(served <= 4, "at most max-concurrent + max-waiting calls of A went through: " + served);
            assertTrue(refused >= burst - 4, "the rest were refused at once: " + refused);
            assertTrue(latencies.get(19) < hangMillis, "B never waited for A's key manager: " + latencies);
        } finally {
            pool.shutdownNow();
            faulty.set(slowKek, Mode.OK);
        }
    }
}
