package io.keyward;

import io.keyward.testing.Dirs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged app in the prod profile with nothing configured but a data directory: it must start on H2 with
 * the local provider, write a bootstrap token, and run the README's story end to end.
 */
@QuarkusIntegrationTest
@QuarkusTestResource(value = EmbeddedDefaultIT.FreshDataDir.class, restrictToAnnotatedClass = true)
class EmbeddedDefaultIT {
    static final Path DATA = Path.of("target/it-data").toAbsolutePath();

    public static class FreshDataDir implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            Dirs.deleteTree(DATA);
            return Map.of("keyward.data-dir", DATA.toString());
        }

        @Override
        public void stop() {
        }
    }

    @Test
    void startsOnTheEmbeddedDefaultAndRevocationStopsDecryption() throws IOException {
        Path tokenFile = DATA.resolve("bootstrap-token");
        assertTrue(Files.exists(tokenFile), "bootstrap token written to the data directory");
        assertTrue(Files.exists(DATA.resolve("db")), "H2 database under the data directory");
        String admin = "Bearer " + Files.readString(tokenFile).trim();

        given().get("/q/health/ready").then().statusCode(200);
        given().header("Authorization", admin).contentType(ContentType.JSON).body(Map.of("name", "it-kek"))
                .post("/v1/local-kms/keys").then().statusCode(201).body("state", equalTo("ENABLED"));
        assertTrue(Files.exists(DATA.resolve("local-kms/it-kek/keyset.json")), "local KMS keys live in the data dir");
        given().header("Authorization", admin).contentType(ContentType.JSON).body(Map.of("id", "it-acme", "name", "IT"))
                .post("/v1/tenants").then().statusCode(201);
        given().header("Authorization", admin).contentType(ContentType.JSON)
                .body(Map.of("provider", "local", "keyUri", "local:it-kek"))
                .post("/v1/tenants/it-acme/keys").then().statusCode(201).body("state", equalTo("PRIMARY"));

        String pt = Base64.getEncoder().encodeToString("hello".getBytes());
        String ct = given().header("Authorization", admin).contentType(ContentType.JSON)
                .body(Map.of("plaintext", pt, "context", Map.of("k", "v")))
                .post("/v1/tenants/it-acme/encrypt").then().statusCode(200).extract().path("ciphertext");
        given().header("Authorization", admin).contentType(ContentType.JSON)
                .body(Map.of("ciphertext", ct, "context", Map.of("k", "v")))
                .post("/v1/tenants/it-acme/decrypt").then().statusCode(200).body("plaintext", equalTo(pt));

        given().header("Authorization", admin).contentType(ContentType.JSON).body(Map.of("reason", "it"))
                .post("/v1/tenants/it-acme:revoke").then().statusCode(200).body("state", equalTo("REVOKED"));
        given().header("Authorization", admin).contentType(ContentType.JSON)
                .body(Map.of("ciphertext", ct, "context", Map.of("k", "v")))
                .post("/v1/tenants/it-acme/decrypt").then().statusCode(403).body("code", equalTo("KEY_REVOKED"));
    }
}
