package io.keyward.auth;

import io.keyward.testing.Api;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** First start without KEYWARD_BOOTSTRAP_TOKEN: a random admin token lands in an owner-only file. */
@QuarkusTest
@TestProfile(BootstrapTokenTest.NoBootstrapToken.class)
class BootstrapTokenTest {
    static final Path DATA = Path.of("target/test-data-bootstrap");

    public static class NoBootstrapToken implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("keyward.bootstrap-token", "", "keyward.data-dir", DATA.toString());
        }
    }

    @Test
    void randomAdminTokenIsWrittenOwnerOnlyAndAuthenticatesAsAdmin() throws Exception {
        Path file = DATA.resolve(ApiKeyService.BOOTSTRAP_FILE);
        assertTrue(Files.exists(file), "bootstrap token file must exist");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        String token = Files.readString(file).trim();
        assertTrue(token.startsWith("kw_") && token.length() >= 40, "token must be long and random");

        Api.as(token).get("/v1/tenants").then().statusCode(200);
        Api.as(Api.ADMIN_TOKEN).get("/v1/tenants").then().statusCode(401).body("code", equalTo("UNAUTHENTICATED"));
        given().get("/v1/tenants").then().statusCode(401).body("code", equalTo("UNAUTHENTICATED"));
    }

    @jakarta.inject.Inject
    io.keyward.db.Database db;

    @Test
    void storedApiKeysHoldOnlyTheHashOfTheToken() throws Exception {
        String token = Files.readString(DATA.resolve(ApiKeyService.BOOTSTRAP_FILE)).trim();
        long withToken = db.queryOne("SELECT COUNT(*) FROM api_key WHERE token_hash = ? OR name = ? OR id = ?",
                rs -> rs.getLong(1), token, token, token).orElseThrow();
        long withHash = db.queryOne("SELECT COUNT(*) FROM api_key WHERE token_hash = ?", rs -> rs.getLong(1),
                ApiKeyService.hash(token)).orElseThrow();
        assertEquals(0, withToken);
        assertEquals(1, withHash);
    }
}
