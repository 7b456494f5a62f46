package io.keyward.api;

import io.keyward.error.ErrorCode;
import io.keyward.testing.Api;
import io.keyward.testing.FaultyKeyProvider;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import static io.keyward.testing.Api.admin;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Every {@link ErrorCode} has an HTTP request that produces it, with the status the enum declares, as
 * problem+json. A code added to the enum without a scenario here fails {@link #everyCodeHasAScenario}.
 */
@QuarkusTest
class ErrorCodeCoverageTest {

    /**
     * Codes no HTTP request can produce in the test profile, and why. PROVIDER_NOT_ALLOWED needs the prod launch
     * mode on PostgreSQL (ProviderSetup allows the local provider in every other case); INTERNAL is what no
     * input may ever produce (BadInputTest); SERVICE_UNAVAILABLE needs keyward's own database to fail (the
     * mapping is proven by ProblemsTest; outage scenarios arrive with the production-semantics issue).
     * LAST_ADMIN_KEY needs the caller's key to be the only live admin key, which here would mean revoking the admin
     * token every other test uses; io.keyward.auth.ApiKeyLastAdminTest proves it on a database of its own.
     */
    private static final Set<ErrorCode> NOT_REACHABLE_IN_TESTS = EnumSet.of(ErrorCode.PROVIDER_NOT_ALLOWED,
            ErrorCode.INTERNAL, ErrorCode.SERVICE_UNAVAILABLE, ErrorCode.LAST_ADMIN_KEY);

    @Inject
    FaultyKeyProvider faulty;

    private Map<ErrorCode, Supplier<ValidatableResponse>> scenarios() {
        Map<ErrorCode, Supplier<ValidatableResponse>> s = new EnumMap<>(ErrorCode.class);
        s.put(ErrorCode.UNAUTHENTICATED, () -> given().get("/v1/tenants").then());
        s.put(ErrorCode.FORBIDDEN, () -> Api.as(Api.appToken("*")).get("/v1/tenants").then());
        s.put(ErrorCode.INVALID_REQUEST, () -> admin().body(Map.of("id", "Not Valid", "name", "n"))
                .post("/v1/tenants").then());
        s.put(ErrorCode.NOT_FOUND, () -> admin().get("/v1/no-such-resource").then());
        s.put(ErrorCode.METHOD_NOT_ALLOWED, () -> admin().delete("/v1/tenants").then());
        s.put(ErrorCode.UNSUPPORTED_MEDIA_TYPE, () -> given().header("Authorization", "Bearer " + Api.ADMIN_TOKEN)
                .contentType("text/plain").body("x").post("/v1/tenants").then());
        s.put(ErrorCode.NOT_ACCEPTABLE, () -> admin().accept("application/xml").get("/v1/tenants").then());
        s.put(ErrorCode.TENANT_NOT_FOUND, () -> admin().get("/v1/tenants/" + Api.unique("none")).then());
        s.put(ErrorCode.KEY_NOT_FOUND, () -> admin().post("/v1/local-kms/keys/" + Api.unique("none") + ":disable")
                .then());
        s.put(ErrorCode.TENANT_EXISTS, () -> {
            String t = Api.unique("exists");
            Api.tenant(t);
            return admin().body(Map.of("id", t, "name", "n")).post("/v1/tenants").then();
        });
        s.put(ErrorCode.KEY_EXISTS, () -> {
            String k = Api.unique("kek");
            Api.localKey(k);
            return admin().body(Map.of("name", k)).post("/v1/local-kms/keys").then();
        });
        s.put(ErrorCode.INVALID_KEY_STATE, () -> {
            String k = Api.unique("kek");
            Api.localKey(k);
            admin().post("/v1/local-kms/keys/" + k + ":destroy").then().statusCode(200);
            return admin().post("/v1/local-kms/keys/" + k + ":enable").then();
        });
        s.put(ErrorCode.NO_KEY, () -> {
            String t = Api.unique("nokey");
            Api.tenant(t);
            return Api.encrypt(Api.ADMIN_TOKEN, t, new byte[] {1}, Map.of());
        });
        s.put(ErrorCode.INVALID_CIPHERTEXT, () -> {
            String t = Api.unique("ct");
            Api.tenantWithLocalKey(t, Api.unique("kek"));
            return Api.decrypt(Api.ADMIN_TOKEN, t, "S1cBAQ==", Map.of());
        });
        s.put(ErrorCode.KEY_REVOKED, () -> {
            String t = Api.unique("rev");
            Api.tenantWithLocalKey(t, Api.unique("kek"));
            admin().post("/v1/tenants/" + t + ":revoke").then().statusCode(200);
            return Api.encrypt(Api.ADMIN_TOKEN, t, new byte[] {1}, Map.of());
        });
        s.put(ErrorCode.KEY_UNAVAILABLE, () -> {
            String t = Api.unique("down");
            String k = Api.unique("fk");
            Api.tenantWithFaultyKey(t, k);
            faulty.set(k, FaultyKeyProvider.Mode.UNAVAILABLE);
            return Api.datakey(Api.ADMIN_TOKEN, t, Map.of()).header("Retry-After", equalTo("5"));
        });
        s.put(ErrorCode.PAYLOAD_TOO_LARGE, () -> {
            String t = Api.unique("big");
            Api.tenantWithLocalKey(t, Api.unique("kek"));
            return Api.encrypt(Api.ADMIN_TOKEN, t, new byte[1024 * 1024 + 1], Map.of());
        });
        s.put(ErrorCode.KEY_CHECK_FAILED, () -> {
            String t = Api.unique("chk");
            Api.tenant(t);
            return Api.attach(t, "local", "local:" + Api.unique("never-created"));
        });
        s.put(ErrorCode.KEY_IN_USE, () -> {
            String t = Api.unique("inuse");
            String old = Api.tenantWithLocalKey(t, Api.unique("kek"));
            String ct = Api.encrypt(Api.ADMIN_TOKEN, t, new byte[] {1}, Map.of()).extract().path("ciphertext");
            Api.attach(t, "local", "local:" + newLocalKey()).statusCode(201);
            Api.decrypt(Api.ADMIN_TOKEN, t, ct, Map.of()).statusCode(200);
            return admin().post("/v1/tenants/" + t + "/keys/" + old + ":retire").then();
        });
        s.put(ErrorCode.KEY_RETIRED, () -> {
            String t = Api.unique("retired");
            String old = Api.tenantWithLocalKey(t, Api.unique("kek"));
            String ct = Api.encrypt(Api.ADMIN_TOKEN, t, new byte[] {1}, Map.of()).extract().path("ciphertext");
            Api.attach(t, "local", "local:" + newLocalKey()).statusCode(201);
            admin().body(Map.of("force", true)).post("/v1/tenants/" + t + "/keys/" + old + ":retire").then()
                    .statusCode(200);
            return Api.decrypt(Api.ADMIN_TOKEN, t, ct, Map.of());
        });
        return s;
    }

    private static String newLocalKey() {
        String k = Api.unique("kek");
        Api.localKey(k);
        return k;
    }

    @Test
    void everyCodeHasAScenario() {
        Set<ErrorCode> covered = EnumSet.noneOf(ErrorCode.class);
        covered.addAll(scenarios().keySet());
        covered.addAll(NOT_REACHABLE_IN_TESTS);
        assertEquals(EnumSet.allOf(ErrorCode.class), covered);
    }

    @ParameterizedTest
    @EnumSource(ErrorCode.class)
    void codeIsReachableOverHttpWithItsDeclaredStatus(ErrorCode code) {
        assumeFalse(NOT_REACHABLE_IN_TESTS.contains(code), () -> code + " cannot be produced in the test profile");
        Api.problem(scenarios().get(code).get(), code.status(), code.name())
                .body("title", equalTo(code.title()))
                .body("type", equalTo("urn:keyward:problem:" + code.name().toLowerCase().replace('_', '-')));
    }

    @Test
    void keyCheckFailedIs409OnRestore() {
        // The one code whose status depends on the verb (KeywardException.withStatus).
        String t = Api.unique("chk409");
        Api.tenant(t);
        Api.problem(admin().post("/v1/tenants/" + t + ":restore").then(), 409, "KEY_CHECK_FAILED");
    }
}
