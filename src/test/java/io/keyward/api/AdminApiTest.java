package io.keyward.api;

import io.keyward.testing.Api;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static io.keyward.testing.Api.admin;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The admin API, endpoint by endpoint: API keys, the local KMS, tenants, tenant keys, checks, revoke, restore. */
@QuarkusTest
class AdminApiTest {

    // --- API keys -------------------------------------------------------------------------------------------

    @Test
    void apiKeyListShowsCreatedKeysWithRolesAndScope() {
        String name = Api.unique("svc");
        String id = admin().body(Map.of("name", name, "roles", List.of("app"), "tenants", List.of("t-one", "t-two")))
                .post("/v1/api-keys").then().statusCode(201).extract().path("id");
        admin().get("/v1/api-keys").then().statusCode(200)
                .body("items.find { it.id == '" + id + "' }.name", equalTo(name))
                .body("items.find { it.id == '" + id + "' }.roles", equalTo(List.of("app")))
                .body("items.find { it.id == '" + id + "' }.tenants", equalTo(List.of("t-one", "t-two")))
                .body("items.find { it.id == '" + id + "' }.createdAt", notNullValue());
    }

    @Test
    void apiKeyCreationValidatesItsInput() {
        Api.problem(admin().body(Map.of("roles", List.of("admin"))).post("/v1/api-keys").then(), 400,
                "INVALID_REQUEST");
        Api.problem(admin().body(Map.of("name", "  ", "roles", List.of("admin"))).post("/v1/api-keys").then(), 400,
                "INVALID_REQUEST");
        Api.problem(admin().body(Map.of("name", "x".repeat(257), "roles", List.of("admin"))).post("/v1/api-keys")
                .then(), 400, "INVALID_REQUEST");
        Api.problem(admin().body(Map.of("name", "n", "roles", List.of())).post("/v1/api-keys").then(), 400,
                "INVALID_REQUEST");
        Api.problem(admin().body(Map.of("name", "n", "roles", List.of("root"))).post("/v1/api-keys").then(), 400,
                "INVALID_REQUEST");
        Api.problem(admin().body(Map.of("name", "n", "roles", List.of("app"))).post("/v1/api-keys").then(), 400,
                "INVALID_REQUEST");
        Api.problem(admin().body(Map.of("name", "n", "roles", List.of("app"), "tenants", List.of("Not A Tenant")))
                .post("/v1/api-keys").then(), 400, "INVALID_REQUEST");
    }

    // --- Local KMS ------------------------------------------------------------------------------------------

    @Test
    void localKeyLifecycleEnabledDisabledEnabledDestroyed() {
        String name = Api.unique("life");
        admin().body(Map.of("name", name)).post("/v1/local-kms/keys").then().statusCode(201)
                .body("name", equalTo(name)).body("keyUri", equalTo("local:" + name))
                .body("state", equalTo("ENABLED")).body("createdAt", notNullValue());
        admin().get("/v1/local-kms/keys").then().statusCode(200)
                .body("items.find { it.name == '" + name + "' }.state", equalTo("ENABLED"));
        admin().post("/v1/local-kms/keys/" + name + ":disable").then().statusCode(200).body("state", equalTo("DISABLED"));
        admin().post("/v1/local-kms/keys/" + name + ":enable").then().statusCode(200).body("state", equalTo("ENABLED"));
        admin().post("/v1/local-kms/keys/" + name + ":destroy").then().statusCode(200)
                .body("state", equalTo("DESTROYED"));
        admin().get("/v1/local-kms/keys").then().statusCode(200)
                .body("items.find { it.name == '" + name + "' }.state", equalTo("DESTROYED"));
    }

    @Test
    void destroyedLocalKeyCannotBeEnabledAgain() {
        String name = Api.unique("gone");
        Api.localKey(name);
        admin().post("/v1/local-kms/keys/" + name + ":destroy").then().statusCode(200);
        Api.problem(admin().post("/v1/local-kms/keys/" + name + ":enable").then(), 409, "INVALID_KEY_STATE");
        Api.problem(admin().post("/v1/local-kms/keys/" + name + ":disable").then(), 409, "INVALID_KEY_STATE");
    }

    @Test
    void duplicateLocalKeyIsKeyExists() {
        String name = Api.unique("dup");
        Api.localKey(name);
        Api.problem(admin().body(Map.of("name", name)).post("/v1/local-kms/keys").then(), 409, "KEY_EXISTS");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "UPPER", "has space", "../escape", "-lead", "a/b"})
    void invalidLocalKeyNameIsInvalidRequest(String name) {
        Api.problem(admin().body(Map.of("name", name)).post("/v1/local-kms/keys").then(), 400, "INVALID_REQUEST");
    }

    @Test
    void localKeyNameLongerThan63IsInvalidRequest() {
        Api.problem(admin().body(Map.of("name", "k".repeat(64))).post("/v1/local-kms/keys").then(), 400,
                "INVALID_REQUEST");
    }

    @ParameterizedTest
    @ValueSource(strings = {"never-made", "UPPER", "x%20y"})
    void stateChangeOfUnknownLocalKeyIsKeyNotFound(String name) {
        Api.problem(admin().urlEncodingEnabled(false).post("/v1/local-kms/keys/" + name + ":disable").then(), 404,
                "KEY_NOT_FOUND");
        Api.problem(admin().urlEncodingEnabled(false).post("/v1/local-kms/keys/" + name + ":enable").then(), 404,
                "KEY_NOT_FOUND");
        Api.problem(admin().urlEncodingEnabled(false).post("/v1/local-kms/keys/" + name + ":destroy").then(), 404,
                "KEY_NOT_FOUND");
    }

    // --- Tenants --------------------------------------------------------------------------------------------

    @Test
    void newTenantHasNoKeyAndIsListed() {
        String t = Api.unique("fresh");
        admin().body(Map.of("id", t, "name", "  Fresh Corp  ")).post("/v1/tenants").then().statusCode(201)
                .body("id", equalTo(t)).body("name", equalTo("Fresh Corp")).body("state", equalTo("NO_KEY"))
                .body("keys", hasSize(0)).body("primaryKeyId", nullValue()).body("createdAt", notNullValue());
        admin().get("/v1/tenants/" + t).then().statusCode(200).body("id", equalTo(t)).body("state", equalTo("NO_KEY"));
        admin().get("/v1/tenants?limit=500").then().statusCode(200).body("items.id", hasItem(t));
        admin().get("/v1/tenants/" + t + "/keys").then().statusCode(200).body("items", hasSize(0));
    }

    @Test
    void duplicateTenantIsTenantExists() {
        String t = Api.unique("twice");
        Api.tenant(t);
        Api.problem(admin().body(Map.of("id", t, "name", "again")).post("/v1/tenants").then(), 409, "TENANT_EXISTS");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "Acme", "-acme", "acme_corp", "acme corp", "ácme", "acme.corp", "acme/x"})
    void invalidTenantIdIsInvalidRequest(String id) {
        Api.problem(admin().body(Map.of("id", id, "name", "n")).post("/v1/tenants").then(), 400, "INVALID_REQUEST");
    }

    @Test
    void tenantIdOf64CharactersIsInvalidAnd63IsFine() {
        Api.problem(admin().body(Map.of("id", "a".repeat(64), "name", "n")).post("/v1/tenants").then(), 400,
                "INVALID_REQUEST");
        String ok = ("t" + java.util.UUID.randomUUID().toString().replace("-", "") + "x".repeat(63)).substring(0, 63);
        admin().body(Map.of("id", ok, "name", "n")).post("/v1/tenants").then().statusCode(201);
    }

    @Test
    void tenantNameIsRequired() {
        Api.problem(admin().body(Map.of("id", Api.unique("noname"))).post("/v1/tenants").then(), 400,
                "INVALID_REQUEST");
        Api.problem(admin().body(Map.of("id", Api.unique("noname"), "name", "x".repeat(257))).post("/v1/tenants")
                .then(), 400, "INVALID_REQUEST");
    }

    @Test
    void unknownTenantIsTenantNotFoundOnEveryAdminRead() {
        String t = Api.unique("ghost");
        Api.problem(admin().get("/v1/tenants/" + t).then(), 404, "TENANT_NOT_FOUND");
        Api.problem(admin().get("/v1/tenants/" + t + "/keys").then(), 404, "TENANT_NOT_FOUND");
        Api.problem(admin().get("/v1/tenants/" + t + "/audit").then(), 404, "TENANT_NOT_FOUND");
        Api.problem(admin().post("/v1/tenants/" + t + ":revoke").then(), 404, "TENANT_NOT_FOUND");
        Api.problem(admin().post("/v1/tenants/" + t + ":restore").then(), 404, "TENANT_NOT_FOUND");
        Api.problem(admin().post("/v1/tenants/" + t + "/keys/tk_abc:check").then(), 404, "TENANT_NOT_FOUND");
        Api.problem(Api.attach(t, "local", "local:whatever"), 404, "TENANT_NOT_FOUND");
    }

    // --- Tenant keys ----------------------------------------------------------------------------------------

    @Test
    void attachingAKeyMakesItPrimaryAndTheTenantActive() {
        String t = Api.unique("attach");
        String kek = Api.unique("kek");
        Api.localKey(kek);
        Api.tenant(t);
        String keyId = Api.attach(t, "local", "local:" + kek).statusCode(201)
                .body("id", matchesPattern("^tk_[a-z2-7]{20}$")).body("provider", equalTo("local"))
                .body("keyUri", equalTo("local:" + kek)).body("state", equalTo("PRIMARY"))
                .body("health", equalTo("AVAILABLE")).body("options", equalTo(Map.of()))
                .extract().path("id");
        admin().get("/v1/tenants/" + t).then().statusCode(200).body("state", equalTo("ACTIVE"))
                .body("primaryKeyId", equalTo(keyId));
        admin().get("/v1/tenants/" + t + "/keys").then().statusCode(200).body("items.id", equalTo(List.of(keyId)));
    }

    @Test
    void secondKeyBecomesPrimaryOldOneDecryptsOnly() {
        String t = Api.unique("rotate");
        String first = Api.tenantWithLocalKey(t, Api.unique("kek"));
        byte[] pt = "before rotation".getBytes(StandardCharsets.UTF_8);
        String oldCt = Api.encrypt(Api.ADMIN_TOKEN, t, pt, Map.of()).statusCode(200).extract().path("ciphertext");

        String kek2 = Api.unique("kek");
        Api.localKey(kek2);
        String second = Api.attach(t, "local", "local:" + kek2).statusCode(201).extract().path("id");

        admin().get("/v1/tenants/" + t).then().body("primaryKeyId", equalTo(second))
                .body("keys.find { it.id == '" + first + "' }.state", equalTo("DECRYPT_ONLY"))
                .body("keys.find { it.id == '" + second + "' }.state", equalTo("PRIMARY"));
        Api.encrypt(Api.ADMIN_TOKEN, t, pt, Map.of()).statusCode(200).body("keyId", equalTo(second));
        assertArrayEquals(pt, Api.unb64(Api.decrypt(Api.ADMIN_TOKEN, t, oldCt, Map.of()).statusCode(200)
                .extract().path("plaintext")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"nope", "local:", "local:UPPER", "local:has space", "aws-kms://x", "local:../../etc"})
    void malformedKeyUriIsInvalidRequest(String uri) {
        String t = Api.unique("baduri");
        Api.tenant(t);
        Api.problem(Api.attach(t, "local", uri), 400, "INVALID_REQUEST");
        admin().get("/v1/tenants/" + t).then().body("state", equalTo("NO_KEY"));
    }

    @Test
    void optionsOnTheLocalProviderAreInvalidRequest() {
        String t = Api.unique("opts");
        Api.tenant(t);
        String kek = Api.unique("kek");
        Api.localKey(kek);
        Api.problem(admin().body(Map.of("provider", "local", "keyUri", "local:" + kek, "options", Map.of("a", "b")))
                .post("/v1/tenants/" + t + "/keys").then(), 400, "INVALID_REQUEST");
    }

    @Test
    void unknownOrMissingProviderIsInvalidRequest() {
        String t = Api.unique("noprov");
        Api.tenant(t);
        Api.problem(Api.attach(t, "aws-kms-but-not-here", "x:y"), 400, "INVALID_REQUEST");
        Api.problem(admin().body(Map.of("keyUri", "local:x")).post("/v1/tenants/" + t + "/keys").then(), 400,
                "INVALID_REQUEST");
        Api.problem(admin().body(Map.of("provider", "local")).post("/v1/tenants/" + t + "/keys").then(), 400,
                "INVALID_REQUEST");
    }

    @Test
    void keyThatFailsItsCheckIsNotAttached() {
        String t = Api.unique("nocheck");
        Api.tenant(t);
        String disabled = Api.unique("kek");
        Api.localKey(disabled);
        admin().post("/v1/local-kms/keys/" + disabled + ":disable").then().statusCode(200);
        Api.problem(Api.attach(t, "local", "local:" + disabled), 422, "KEY_CHECK_FAILED");
        Api.problem(Api.attach(t, "local", "local:" + Api.unique("never-created")), 422, "KEY_CHECK_FAILED");
        admin().get("/v1/tenants/" + t).then().body("state", equalTo("NO_KEY")).body("keys", hasSize(0));
    }

    // --- Checks ---------------------------------------------------------------------------------------------

    @Test
    void checkReportsAvailableThenRevokedWhenTheLocalKeyIsDisabled() {
        String t = Api.unique("check");
        String kek = Api.unique("kek");
        String keyId = Api.tenantWithLocalKey(t, kek);
        admin().post("/v1/tenants/" + t + "/keys/" + keyId + ":check").then().statusCode(200)
                .body("status", equalTo("AVAILABLE")).body("detail", notNullValue())
                .body("latencyMs", greaterThanOrEqualTo(0));

        admin().post("/v1/local-kms/keys/" + kek + ":disable").then().statusCode(200);
        admin().post("/v1/tenants/" + t + "/keys/" + keyId + ":check").then().statusCode(200)
                .body("status", equalTo("REVOKED"));
        admin().get("/v1/tenants/" + t).then().body("state", equalTo("REVOKED"))
                .body("keys[0].health", equalTo("REVOKED"));
        Api.problem(Api.encrypt(Api.ADMIN_TOKEN, t, new byte[] {1}, Map.of()), 403, "KEY_REVOKED");
    }

    @Test
    void checkOfUnknownKeyIsKeyNotFound() {
        String t = Api.unique("nokey");
        Api.tenantWithLocalKey(t, Api.unique("kek"));
        Api.problem(admin().post("/v1/tenants/" + t + "/keys/tk_aaaaaaaaaaaaaaaaaaaa:check").then(), 404,
                "KEY_NOT_FOUND");
        // Another tenant's key id is not this tenant's key.
        String other = Api.unique("other");
        String otherKey = Api.tenantWithLocalKey(other, Api.unique("kek"));
        Api.problem(admin().post("/v1/tenants/" + t + "/keys/" + otherKey + ":check").then(), 404, "KEY_NOT_FOUND");
    }

    // --- Kill switch and restore ----------------------------------------------------------------------------

    @Test
    void revokeCutsOffEveryDataOperationAndRestoreBringsThemBack() {
        String t = Api.unique("kill");
        Api.tenantWithLocalKey(t, Api.unique("kek"));
        String ct = Api.encrypt(Api.ADMIN_TOKEN, t, new byte[] {7}, Map.of()).statusCode(200).extract().path("ciphertext");
        String wrapped = Api.datakey(Api.ADMIN_TOKEN, t, Map.of()).statusCode(200).extract().path("wrappedKey");

        admin().body(Map.of("reason", "customer asked")).post("/v1/tenants/" + t + ":revoke").then().statusCode(200)
                .body("state", equalTo("REVOKED")).body("revokedReason", equalTo("customer asked"))
                .body("revokedAt", notNullValue());
        Map<String, String> pathsAndBodies = Map.of(
                "encrypt", "{\"plaintext\":\"AQ==\"}",
                "decrypt", "{\"ciphertext\":\"" + ct + "\"}",
                "encrypt:batch", "{\"items\":[{\"id\":\"1\",\"plaintext\":\"AQ==\"}]}",
                "decrypt:batch", "{\"items\":[{\"id\":\"1\",\"ciphertext\":\"" + ct + "\"}]}",
                "rewrap", "{\"ciphertext\":\"" + ct + "\"}",
                "datakey", "{}",
                "datakey:unwrap", "{\"wrappedKey\":\"" + wrapped + "\"}");
        pathsAndBodies.forEach((verb, body) -> Api.problem(admin().body(body).post("/v1/tenants/" + t + "/" + verb)
                .then(), 403, "KEY_REVOKED"));

        admin().post("/v1/tenants/" + t + ":restore").then().statusCode(200).body("state", equalTo("ACTIVE"))
                .body("revokedReason", nullValue());
        pathsAndBodies.forEach((verb, body) -> admin().body(body).post("/v1/tenants/" + t + "/" + verb).then()
                .statusCode(200));
    }

    @Test
    void revokeWithoutBodyUsesADefaultReason() {
        String t = Api.unique("kill2");
        Api.tenantWithLocalKey(t, Api.unique("kek"));
        admin().post("/v1/tenants/" + t + ":revoke").then().statusCode(200).body("state", equalTo("REVOKED"))
                .body("revokedReason", not(equalTo("")));
    }

    @Test
    void revokeReasonLongerThan1000IsInvalidRequest() {
        String t = Api.unique("kill3");
        Api.tenantWithLocalKey(t, Api.unique("kek"));
        Api.problem(admin().body(Map.of("reason", "r".repeat(1001))).post("/v1/tenants/" + t + ":revoke").then(),
                400, "INVALID_REQUEST");
        admin().get("/v1/tenants/" + t).then().body("state", equalTo("ACTIVE"));
    }

    @Test
    void restoreFailsWhileTheKeyFailsItsCheckAndTheTenantStaysRevoked() {
        String t = Api.unique("norestore");
        String kek = Api.unique("kek");
        Api.tenantWithLocalKey(t, kek);
        admin().post("/v1/tenants/" + t + ":revoke").then().statusCode(200);
        admin().post("/v1/local-kms/keys/" + kek + ":disable").then().statusCode(200);
        Api.problem(admin().post("/v1/tenants/" + t + ":restore").then(), 409, "KEY_CHECK_FAILED");
        admin().get("/v1/tenants/" + t).then().body("state", equalTo("REVOKED"));
        Api.problem(Api.encrypt(Api.ADMIN_TOKEN, t, new byte[] {1}, Map.of()), 403, "KEY_REVOKED");

        admin().post("/v1/local-kms/keys/" + kek + ":enable").then().statusCode(200);
        admin().post("/v1/tenants/" + t + ":restore").then().statusCode(200).body("state", equalTo("ACTIVE"));
        Api.encrypt(Api.ADMIN_TOKEN, t, new byte[] {1}, Map.of()).statusCode(200);
    }

    @Test
    void restoreOfTenantWithoutKeyIsKeyCheckFailed() {
        String t = Api.unique("keyless");
        Api.tenant(t);
        Api.problem(admin().post("/v1/tenants/" + t + ":restore").then(), 409, "KEY_CHECK_FAILED");
    }

    @Test
    void dataOperationsOnATenantWithoutKeyAreNoKey() {
        String t = Api.unique("keyless");
        Api.tenant(t);
        Api.problem(Api.encrypt(Api.ADMIN_TOKEN, t, new byte[] {1}, Map.of()), 409, "NO_KEY");
        Api.problem(Api.datakey(Api.ADMIN_TOKEN, t, Map.of()), 409, "NO_KEY");
        admin().body("{\"items\":[{\"id\":\"a\",\"plaintext\":\"AQ==\"}]}").post("/v1/tenants/" + t + "/encrypt:batch")
                .then().statusCode(200).body("items[0].id", equalTo("a")).body("items[0].error.code", equalTo("NO_KEY"));
    }
}
