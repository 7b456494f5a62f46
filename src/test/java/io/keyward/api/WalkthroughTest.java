package io.keyward.api;

import io.keyward.testing.Api;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static io.keyward.testing.Api.admin;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

@QuarkusTest
class WalkthroughTest {

    @Test
    void encryptDecryptThenColdCacheDecryptFailsWithKeyRevokedAfterKeyDisabled() {
        String tenant = Api.unique("acme");
        String kek = Api.unique("kek");
        String keyId = Api.tenantWithLocalKey(tenant, kek);
        String app = Api.appToken(tenant);
        byte[] secret = "card 4111-1111".getBytes(StandardCharsets.UTF_8);

        String ct = Api.encrypt(app, tenant, secret, Map.of("record", "42")).statusCode(200)
                .body("keyId", equalTo(keyId)).extract().path("ciphertext");
        String pt = Api.decrypt(app, tenant, ct, Map.of("record", "42")).statusCode(200).extract().path("plaintext");
        assertArrayEquals(secret, Api.unb64(pt));

        admin().post("/v1/tenants/" + tenant + ":revoke").then().statusCode(200).body("state", equalTo("REVOKED"));
        Api.decrypt(app, tenant, ct, Map.of("record", "42")).statusCode(403).body("code", equalTo("KEY_REVOKED"));
        admin().post("/v1/tenants/" + tenant + ":restore").then().statusCode(200).body("state", equalTo("ACTIVE"));
        Api.decrypt(app, tenant, ct, Map.of("record", "42")).statusCode(200);
    }
}
