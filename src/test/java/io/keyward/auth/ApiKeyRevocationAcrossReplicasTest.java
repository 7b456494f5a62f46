package io.keyward.auth;

import io.keyward.config.KeywardConfig;
import io.keyward.db.Database;
import io.keyward.keys.RevocationFeed;
import io.keyward.keys.RevocationListener;
import io.keyward.tenant.TenantService;
import io.keyward.testing.Api;
import io.keyward.testing.Sleep;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two replicas on one PostgreSQL schema of this test's own: replica A is the running application (it LISTENs), replica
 * B is a second {@link ApiKeyService} with its own {@link RevocationFeed} (its own origin) on the same database. A
 * revocation on B reaches A through a real NOTIFY; the periodic re-read is set to an hour, so nothing else can explain
 * A refusing the token. The other way round, B, which does not listen, refuses the key after its periodic re-read,
 * and a replica that never saw the key never admits it.
 */
@QuarkusTest
@TestProfile(ApiKeyRevocationAcrossReplicasTest.OnPostgresql.class)
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
}
