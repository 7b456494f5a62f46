package io.keyward.provider.pkcs11;

import io.keyward.testing.Dirs;
import io.keyward.testing.pkcs11.SoftHsm;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The packaged jar (prod profile, started with plain {@code java -jar}) uses a key in a SoftHSM2 token: the
 * manifest's Add-Exports is all the JVM needs. The key is created and later disabled by this test's JVM, another
 * process than keyward, as a customer's HSM console would: keyward sees the change through the token alone.
 */
@QuarkusIntegrationTest
@QuarkusTestResource(value = Pkcs11PackagedIT.TokenAndDataDir.class, restrictToAnnotatedClass = true)
class Pkcs11PackagedIT {
    static final Path DATA = Path.of("target/it-pkcs11-data").toAbsolutePath();
    static SoftHsm.Token token;

    public static class TokenAndDataDir implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            Dirs.deleteTree(DATA);
            // Tokens must exist before keyward's process initialises the library.
            token = SoftHsm.get().newToken();
            SoftHsm.get().createKey(token, "it-kek", false);
            return Map.of("keyward.data-dir", DATA.toString(),
                    "keyward.providers.pkcs11.modules", SoftHsm.LIBRARY,
                    "keyward.providers.pkcs11.token-tenants.\"" + token.label() + "\"", "hsm-bank",
                    "keyward.health.probe-interval", "1s");
        }

        @Override
        public void stop() {
        }
    }

    @Test
    void thePackagedJarWrapsInTheTokenAndStopsWhenTheCustomerDisablesTheKey() throws Exception {
        String admin = "Bearer " + Files.readString(DATA.resolve("bootstrap-token")).trim();
        RequestSpecification as = given().header("Authorization", admin).contentType(ContentType.JSON);
        as.body(Map.of("id", "hsm-bank", "name", "HSM Bank")).post("/v1/tenants").then().statusCode(201);
        given().header("Authorization", admin).contentType(ContentType.JSON)
                .body(Map.of("provider", "pkcs11", "keyUri", "pkcs11:token=" + token.label() + ";object=it-kek",
                        "options", Map.of("pin", token.pin())))
                .post("/v1/tenants/hsm-bank/keys").then().statusCode(201).body("state", equalTo("PRIMARY"));

        String plaintext = Base64.getEncoder().encodeToString("held in our own HSM".getBytes());
        String ct = given().header("Authorization", admin).contentType(ContentType.JSON)
                .body(Map.of("plaintext", plaintext)).post("/v1/tenants/hsm-bank/encrypt").then().statusCode(200)
                .extract().path("ciphertext");
        assertEquals(plaintext, given().header("Authorization", admin).contentType(ContentType.JSON)
                .body(Map.of("ciphertext", ct)).post("/v1/tenants/hsm-bank/decrypt").then().statusCode(200)
                .extract().path("plaintext"));

        SoftHsm.get().setUsable(token, "it-kek", false);
        long giveUp = System.nanoTime() + 15_000_000_000L;
        int status = -1;
        while (System.nanoTime() < giveUp) {
            status = given().header("Authorization", admin).contentType(ContentType.JSON)
                    .body(Map.of("ciphertext", ct)).post("/v1/tenants/hsm-bank/decrypt").then().extract().statusCode();
            if (status == 403) {
                break;
            }
            Thread.sleep(200);
        }
        if (status != 403) {
            fail("decrypt still answers " + status + " 15 s after the key was disabled in the token");
        }
        given().header("Authorization", admin).get("/v1/tenants/hsm-bank").then().statusCode(200)
                .body("state", equalTo("REVOKED"));
        assertTrue(Files.exists(DATA.resolve("db")), "ran on the embedded default");
    }
}
