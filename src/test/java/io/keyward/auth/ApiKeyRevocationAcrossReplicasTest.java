package io.keyward.auth;

import io.keyward.config.KeywardConfig;
import io.keyward.db.Database;
import io.keyward.error.ErrorCode;
import io.keyward.error.KeywardException;
import io.keyward.keys.RevocationFeed;
import io.keyward.keys.RevocationListener;
import io.keyward.tenant.TenantService;
import io.keyward.testing.Api;
import io.keyward.testing.Sleep;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two replicas on one PostgreSQL schema of this test's own: replica A is the running application (it LISTENs), replica
 * B is a second {@link ApiKeyService} with its own {@link RevocationFeed} (its own origin) on the same database. A
 * revocation on B reaches A through a real NOTIFY; the periodic re-read is set to an hour, so nothing else can explain
 * A refusing the token. The other way round, B, which does not listen, refuses the key after its periodic re-read,
 * and a replica that never saw the key never admits it. Last, the two last admin keys revoking themselves at once,
 * one on each replica, under PostgreSQL's row locks: one of them stays.
 */
@QuarkusTest
@TestProfile(ApiKeyRevocationAcrossReplicasTest.OnPostgresql.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ApiKeyRevocationAcrossReplicasTest {
    static final String SCHEMA = "keyward_apikey_revocation";

    public static class OnPostgresql implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.datasource.pg.jdbc.url", "jdbc:postgresql://127.0.0.1:5432/test?currentSchema="
                            + SCHEMA, "quarkus.datasource.pg.username", "postgres",
                    "quarkus.flyway.pg.schemas", SCHEMA,
                    // Channels are per database: this test's notices reach no other test's application.
                    "keyward.replicas.channel", "keyward_apikey_revocation_test",
                    "keyward.auth.api-key-refresh", "1h",
                    "keyward.health.probe-interval", "1h");
        }
    }

    @Inject
    Database db;

    @Inject
    KeywardConfig config;

    @Inject
    TenantService tenants;

    @Inject
    RevocationListener listener;

    @Inject
    ApiKeyService replicaA;

    private static final Caller OPERATOR = Caller.apiKey("ak_operator", "operator", Set.of(Role.ADMIN), Set.of("*"));

    private ApiKeyService anotherReplica() {
        return new ApiKeyService(db, config, new RevocationFeed(db, tenants, config));
    }

    private static String[] issue() {
        var r = Api.admin().body(Map.of("name", Api.unique("replicas"), "roles", List.of("admin"), "tenants",
                List.of("*"))).post("/v1/api-keys").then().statusCode(201).extract();
        return new String[] {r.path("id"), r.path("token")};
    }

    private void awaitListening() {
        long giveUp = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!listener.listening() && System.nanoTime() < giveUp) {
            Sleep.quietly(Duration.ofMillis(50));
        }
        assertTrue(listener.listening(), "replica A LISTENs");
    }

    @Test
    @Order(1)
    void aRevocationOnReplicaBReachesReplicaAThroughItsNotify() {
        assertFalse(db.embedded(), "this test runs on PostgreSQL");
        awaitListening();
        String[] key = issue();
        Api.as(key[1]).get("/v1/tenants").then().statusCode(200); // A holds it in memory now

        ApiKeyService replicaB = anotherReplica();
        assertTrue(replicaB.authenticate(key[1]).isPresent(), "B knows the key through the database");
        replicaB.revoke(key[0], OPERATOR);
        assertFalse(replicaB.authenticate(key[1]).isPresent(), "B refuses it at once");

        long start = System.nanoTime();
        long giveUp = start + Duration.ofSeconds(30).toNanos();
        int status = 200;
        while (status != 401 && System.nanoTime() < giveUp) {
            status = Api.as(key[1]).get("/v1/tenants").then().extract().statusCode();
            if (status != 401) {
                Sleep.quietly(Duration.ofMillis(20));
            }
        }
        System.out.printf("api key revoked on replica B refused on replica A after %d ms (periodic re-read: 1 h)%n",
                Duration.ofNanos(System.nanoTime() - start).toMillis());
        Api.problem(Api.as(key[1]).get("/v1/tenants").then(), 401, "UNAUTHENTICATED");
        Api.admin().get("/v1/tenants").then().statusCode(200); // A's other keys unaffected
    }

    @Test
    @Order(2)
    void aReplicaThatMissedTheNoticeRefusesTheKeyAfterItsPeriodicReRead() {
        String[] key = issue();
        ApiKeyService replicaB = anotherReplica(); // B does not LISTEN: it misses every notice
        assertTrue(replicaB.authenticate(key[1]).isPresent());

        Api.admin().delete("/v1/api-keys/" + key[0]).then().statusCode(204); // revoked on A
        Api.problem(Api.as(key[1]).get("/v1/tenants").then(), 401, "UNAUTHENTICATED");

        replicaB.refreshRevoked();
        assertFalse(replicaB.authenticate(key[1]).isPresent(), "B refuses it after its re-read");
        assertFalse(anotherReplica().authenticate(key[1]).isPresent(),
                "a replica that never held the key does not admit it from the database");
    }

    /** Revokes {@code key} as the key itself would; the HTTP status it would answer. */
    private static int revokeOwn(ApiKeyService replica, ApiKey key) {
        try {
            replica.revoke(key.id(), key.caller());
            return 204;
        } catch (KeywardException e) {
            assertEquals(ErrorCode.LAST_ADMIN_KEY, e.code());
            return 409;
        }
    }

    @Test
    @Order(3) // last: it revokes the admin token the other tests use
    void theLastTwoAdminKeysRevokingThemselvesOnTwoReplicasAtOnceLeaveOne() throws Exception {
        ApiKeyService replicaB = anotherReplica();
        ApiKey survivor = replicaA.create("race-0", List.of("admin"), List.of("*")).key();
        for (ApiKey k : replicaA.list()) {
            if (!k.revoked() && k.isAdmin() && !k.id().equals(survivor.id())) {
                replicaA.revoke(k.id(), OPERATOR);
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 1; round <= 5; round++) {
                ApiKey a = survivor;
                ApiKey b = replicaB.create("race-" + round, List.of("admin"), List.of("*")).key();
                Future<Integer> onA = pool.submit(() -> revokeOwn(replicaA, a));
                Future<Integer> onB = pool.submit(() -> revokeOwn(replicaB, b));
                int statusA = onA.get();
                int statusB = onB.get();
                assertEquals(204 + 409, statusA + statusB, "round " + round + ": A " + statusA + ", B " + statusB);
                survivor = statusA == 409 ? a : b;
                assertEquals(List.of(survivor.id()), replicaA.list().stream().filter(k -> !k.revoked() && k.isAdmin())
                        .map(ApiKey::id).toList(), "round " + round + ": exactly one live admin key");
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
