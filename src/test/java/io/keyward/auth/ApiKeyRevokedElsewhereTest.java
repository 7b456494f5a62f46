package io.keyward.auth;

import io.keyward.db.Database;
import io.keyward.testing.Api;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A key whose row says revoked, without this replica having been told (its NOTIFY was missed, or the row was
 * changed by hand): the periodic re-read drops it, and the database lookup of unknown tokens never admits it.
 */
@QuarkusTest
class ApiKeyRevokedElsewhereTest {
    @Inject
    Database db;

    @Inject
    ApiKeyService keys;

    private static String[] issue() {
        var r = Api.admin().body(Map.of("name", Api.unique("elsewhere"), "roles", List.of("admin"), "tenants",
                List.of("*"))).post("/v1/api-keys").then().statusCode(201).extract();
        return new String[] {r.path("id"), r.path("token")};
    }

    @Test
    void aKeyRevokedInTheDatabaseOnlyIsRefusedAfterThePeriodicReRead() {
        String[] key = issue();
        Api.as(key[1]).get("/v1/tenants").then().statusCode(200);
        // What another replica's revocation wrote, its notice never heard here.
        db.update("UPDATE api_key SET revoked_at = ? WHERE id = ?", Instant.now(), key[0]);

        keys.refreshRevoked();

        Api.problem(Api.as(key[1]).get("/v1/tenants").then(), 401, "UNAUTHENTICATED");
    }

    @Test
    void theDatabaseLookupOfAnUnknownTokenNeverAdmitsARevokedKey() {
        // A key created and revoked on another replica: this replica never had it in memory.
        String token = ApiKeyService.TOKEN_PREFIX + "revoked-on-b-" + System.nanoTime();
        db.update("INSERT INTO api_key (id, name, token_hash, roles, tenants, created_at, revoked_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?)", "ak_revoked_b_" + System.nanoTime() % 1_000_000_000L, "made-on-b",
                ApiKeyService.hash(token), "admin", "*", Instant.now(), Instant.now());

        Api.problem(Api.as(token).get("/v1/tenants").then(), 401, "UNAUTHENTICATED");
    }

    @Test
    void aNoticeFromAnotherReplicaDropsTheKeyAtOnce() {
        String[] key = issue();
        Api.as(key[1]).get("/v1/tenants").then().statusCode(200);

        // What the RevocationListener does with another replica's api-key-revoked notice.
        keys.revokedElsewhere(new io.keyward.keys.RevocationListener.ApiKeyRevoked(key[0]));

        // The row is still live here (the other replica's commit is not simulated): the notice alone refuses the
        // token, the database lookup of a token missing from memory included.
        Api.problem(Api.as(key[1]).get("/v1/tenants").then(), 401, "UNAUTHENTICATED");
    }
}
