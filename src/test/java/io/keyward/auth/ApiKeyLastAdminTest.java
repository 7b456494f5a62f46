package io.keyward.auth;

import io.keyward.db.Database;
import io.keyward.testing.Api;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * On a database of its own (its bootstrap key starts as the only admin key): a request may not revoke its own key
 * when that is the last live admin API key, not even two such requests racing, and a revoked bootstrap key is not
 * brought back by the next start with the same KEYWARD_BOOTSTRAP_TOKEN.
 */
@QuarkusTest
@TestProfile(ApiKeyLastAdminTest.OwnDatabase.class)
class ApiKeyLastAdminTest {
    static final String BOOTSTRAP = "last-admin-test-bootstrap";

    public static class OwnDatabase implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("keyward.bootstrap-token", BOOTSTRAP, "keyward.data-dir", "target/test-data-last-admin");
        }
    }

    @Inject
    ApiKeyService keys;

    @Inject
    Database db;

    private record Key(String id, String token) {
    }

    private static Key adminKeyIssuedBy(String token) {
        var r = Api.as(token).body(Map.of("name", Api.unique("admin"), "roles", List.of("admin"), "tenants",
                List.of("*"))).post("/v1/api-keys").then().statusCode(201).extract();
        return new Key(r.path("id"), r.path("token"));
    }

    private static int revokeOwn(Key k) {
        return Api.as(k.token()).delete("/v1/api-keys/" + k.id()).then().extract().statusCode();
    }

    @Test
    void lastAdminKeyCannotRevokeItselfAndARevokedBootstrapKeyStaysRevokedAcrossARestart() throws Exception {
        String bootstrapId = Api.as(BOOTSTRAP).get("/v1/api-keys").then().statusCode(200)
                .extract().path("items.find { it.name == 'bootstrap' && it.revokedAt == null }.id");
        assertNotNull(bootstrapId);
        Key bootstrap = new Key(bootstrapId, BOOTSTRAP);

        Api.problem(Api.as(BOOTSTRAP).delete("/v1/api-keys/" + bootstrapId).then(), 409, "LAST_ADMIN_KEY");
        Api.as(BOOTSTRAP).get("/v1/tenants").then().statusCode(200);

        // Two live admin keys revoking themselves at once: exactly one may go, five times over.
        Key survivor = bootstrap;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 5; round++) {
                Key other = adminKeyIssuedBy(survivor.token());
                Key a = survivor;
                List<Future<Integer>> answers = new ArrayList<>();
                for (Callable<Integer> c : List.<Callable<Integer>>of(() -> revokeOwn(a), () -> revokeOwn(other))) {
                    answers.add(pool.submit(c));
                }
                int first = answers.get(0).get();
                int second = answers.get(1).get();
                assertEquals(List.of(204, 409), first < second ? List.of(first, second) : List.of(second, first),
                        "round " + round + ": one revoked, one refused");
                survivor = first == 409 ? a : other;
                Api.as(survivor.token()).get("/v1/tenants").then().statusCode(200);
                Api.problem(Api.as((first == 409 ? other : a).token()).get("/v1/tenants").then(), 401,
                        "UNAUTHENTICATED");
            }
        } finally {
            pool.shutdownNow();
        }

        // The bootstrap key, revoked by another admin key, stays revoked when keyward starts again with the same
        // KEYWARD_BOOTSTRAP_TOKEN (the start-up path, run again on this instance).
        if (!survivor.id().equals(bootstrapId)) {
            Api.as(survivor.token()).delete("/v1/api-keys/" + bootstrapId).then().statusCode(204);
        } else {
            Key next = adminKeyIssuedBy(survivor.token());
            Api.as(next.token()).delete("/v1/api-keys/" + bootstrapId).then().statusCode(204);
        }
        Api.problem(Api.as(BOOTSTRAP).get("/v1/tenants").then(), 401, "UNAUTHENTICATED");
        keys.startUp();
        Api.problem(Api.as(BOOTSTRAP).get("/v1/tenants").then(), 401, "UNAUTHENTICATED");
        assertEquals(List.of(true), db.query("SELECT revoked_at IS NOT NULL FROM api_key WHERE token_hash = ?",
                rs -> rs.getBoolean(1), ApiKeyService.hash(BOOTSTRAP)), "one row for the token, still revoked");
    }
}
