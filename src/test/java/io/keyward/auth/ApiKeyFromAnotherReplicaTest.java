package io.keyward.auth;

import io.keyward.db.Database;
import io.keyward.testing.Api;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An API key created on another replica (a row this replica did not load at start) is accepted on its first use;
 * made-up tokens stay unauthenticated.
 */
@QuarkusTest
class ApiKeyFromAnotherReplicaTest {
    @Inject
    Database db;

    @Inject
    ApiKeyService keys;

    @Test
    void aKeyWrittenByAnotherReplicaWorksHereAtOnce() {
        String token = ApiKeyService.TOKEN_PREFIX + "other-replica-" + System.nanoTime();
        Api.as(token).get("/v1/api-keys").then().statusCode(401); // unknown here, and not in the database yet
        // What replica B's ApiKeyService.create wrote, straight into the shared database.
        db.update("INSERT INTO api_key (id, name, token_hash, roles, tenants, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                "ak_replica_b_" + System.nanoTime(), "made-on-b", ApiKeyService.hash(token), "admin", "*", Instant.now());
        // The miss above is remembered for a few seconds; a fresh token shows the lookup itself.
        String second = ApiKeyService.TOKEN_PREFIX + "other-replica-2-" + System.nanoTime();
        db.update("INSERT INTO api_key (id, name, token_hash, roles, tenants, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                "ak_replica_b2_" + System.nanoTime(), "made-on-b-2", ApiKeyService.hash(second), "admin", "*",
                Instant.now());
        Api.as(second).get("/v1/api-keys").then().statusCode(200);
        assertTrue(keys.authenticate(second).isPresent());
        Api.as(ApiKeyService.TOKEN_PREFIX + "made-up").get("/v1/api-keys").then().statusCode(401);
        Api.as("not-even-our-format").get("/v1/api-keys").then().statusCode(401);
    }
}
