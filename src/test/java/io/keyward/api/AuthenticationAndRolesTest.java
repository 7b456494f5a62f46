package io.keyward.api;

import io.keyward.testing.Api;
import io.keyward.testing.Endpoints;
import io.keyward.testing.Endpoints.Endpoint;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.keyward.testing.Api.admin;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Bearer authentication on every /v1 operation, the admin/tenant-admin/app split, and tenant scope of API keys
 * (OIDC off, as on the embedded default; TenantScopeTest and OidcAuthenticationTest run with it on).
 */
@QuarkusTest
class AuthenticationAndRolesTest {
    private static final String UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

    /** Two tenants with local keys, and an app key scoped to the first. Built once, lazily. */
    private record Fixture(String tenantA, String keyA, String tenantB, String localKey, String appA) {
    }

    private static Fixture fixture;

    private static synchronized Fixture fixture() {
        if (fixture == null) {
            String a = Api.unique("auth-a");
            String kekA = Api.unique("kek");
            String keyA = Api.tenantWithLocalKey(a, kekA);
            String b = Api.unique("auth-b");
            Api.tenantWithLocalKey(b, Api.unique("kek"));
            fixture = new Fixture(a, keyA, b, kekA, Api.appToken(a));
        }
        return fixture;
    }

    static Stream<Endpoint> allEndpoints() {
        return Endpoints.all();
    }

    static Stream<Endpoint> adminEndpoints() {
        return Endpoints.ADMIN.stream();
    }

    static Stream<Endpoint> dataEndpoints() {
        return Endpoints.DATA.stream();
    }

    private static ValidatableResponse call(RequestSpecification spec, Endpoint e, String tenant) {
        Fixture f = fixture();
        if (e.sampleBody() != null) {
            spec = spec.body(e.sampleBody());
        }
        return spec.request(e.method(), e.path(tenant, f.keyA(), f.localKey())).then();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allEndpoints")
    void everyOperationRefusesARequestWithoutToken(Endpoint e) {
        Api.problem(call(given().contentType(ContentType.JSON), e, fixture().tenantA()), 401, "UNAUTHENTICATED");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allEndpoints")
    void everyOperationRefusesAnUnknownToken(Endpoint e) {
        Api.problem(call(Api.as("kw_this-token-was-never-issued"), e, fixture().tenantA()), 401, "UNAUTHENTICATED");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Basic dGVzdC1hZG1pbi10b2tlbjo=", "Bearer", "Bearer ", "test-admin-token",
            "Token test-admin-token", "Bearer test-admin-token-but-longer", "Bearer test-admin-toke"})
    void malformedOrWrongAuthorizationHeadersAreUnauthenticated(String header) {
        Api.problem(given().header("Authorization", header).get("/v1/tenants").then(), 401, "UNAUTHENTICATED");
    }

    @Test
    void jwtIsUnauthenticatedWhileOidcIsOff() {
        // The embedded default has no identity provider: a JWT, even one signed by a key keyward could know,
        // is just an unknown bearer token.
        String jwt = io.keyward.auth.TestIssuer.token("ops", List.of("admin"), List.of("*"));
        Api.problem(Api.as(jwt).get("/v1/tenants").then(), 401, "UNAUTHENTICATED");
    }

    @Test
    void tenantAdminKeyMustListItsTenants() {
        Api.problem(admin().body(Map.of("name", Api.unique("ta"), "roles", List.of("tenant-admin")))
                .post("/v1/api-keys").then(), 400, "INVALID_REQUEST");
    }

    @Test
    void tenantAdminKeyAdministersItsTenantWithoutOidc() {
        Fixture f = fixture();
        String ta = admin().body(Map.of("name", Api.unique("ta"), "roles", List.of("tenant-admin"), "tenants",
                List.of(f.tenantA()))).post("/v1/api-keys").then().statusCode(201)
                .body("roles", equalTo(List.of("tenant-admin"))).extract().path("token");
        Api.as(ta).get("/v1/tenants/" + f.tenantA() + "/keys").then().statusCode(200);
        Api.as(ta).get("/v1/tenants/" + f.tenantA() + "/audit").then().statusCode(200);
        Api.problem(Api.as(ta).get("/v1/tenants/" + f.tenantB() + "/keys").then(), 403, "FORBIDDEN");
        Api.problem(Api.as(ta).get("/v1/tenants").then(), 403, "FORBIDDEN");
        Api.problem(Api.encrypt(ta, f.tenantA(), new byte[] {1}, Map.of()), 403, "FORBIDDEN");
    }

    @Test
    void oversizeTokenIsUnauthenticatedNotAnError() {
        Api.problem(Api.as("kw_" + "a".repeat(4000)).get("/v1/tenants").then(), 401, "UNAUTHENTICATED");
    }

    @Test
    void bearerSchemeIsCaseInsensitive() {
        // RFC 9110 §11.1: the authentication scheme is case-insensitive.
        given().header("Authorization", "bearer " + Api.ADMIN_TOKEN).get("/v1/tenants").then().statusCode(200);
        given().header("Authorization", "BEARER " + Api.ADMIN_TOKEN).get("/v1/tenants").then().statusCode(200);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adminEndpoints")
    void appKeyIsForbiddenOnEveryAdminOperation(Endpoint e) {
        Fixture f = fixture();
        Api.problem(call(Api.as(f.appA()), e, f.tenantA()), 403, "FORBIDDEN");
    }

    @Test
    void forbiddenAdminCallsByAnAppKeyChangeNothing() {
        Fixture f = fixture();
        Api.as(f.appA()).body(Map.of("reason", "app tries")).post("/v1/tenants/" + f.tenantA() + ":revoke").then()
                .statusCode(403);
        Api.as(f.appA()).post("/v1/local-kms/keys/" + f.localKey() + ":disable").then().statusCode(403);
        Api.as(f.appA()).body(Map.of("name", "escalate", "roles", List.of("admin"), "tenants", List.of("*")))
                .post("/v1/api-keys").then().statusCode(403);

        admin().get("/v1/tenants/" + f.tenantA()).then().statusCode(200).body("state", equalTo("ACTIVE"));
        admin().get("/v1/local-kms/keys").then().statusCode(200)
                .body("items.find { it.name == '" + f.localKey() + "' }.state", equalTo("ENABLED"));
        admin().get("/v1/api-keys").then().statusCode(200).body("items.name", not(hasItem("escalate")));
        Api.encrypt(f.appA(), f.tenantA(), new byte[] {1}, Map.of()).statusCode(200);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dataEndpoints")
    void appKeyForTenantAIsForbiddenOnTenantB(Endpoint e) {
        Fixture f = fixture();
        Api.problem(call(Api.as(f.appA()), e, f.tenantB()), 403, "FORBIDDEN");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dataEndpoints")
    void appKeyLearnsNothingAboutTenantsOutsideItsScope(Endpoint e) {
        // Same answer for a tenant that does not exist as for one that does: no existence oracle.
        Fixture f = fixture();
        Api.problem(call(Api.as(f.appA()), e, Api.unique("no-such")), 403, "FORBIDDEN");
    }

    @Test
    void appKeyScopedToTenantUsesItsTenant() {
        Fixture f = fixture();
        byte[] pt = "scoped".getBytes(StandardCharsets.UTF_8);
        String ct = Api.encrypt(f.appA(), f.tenantA(), pt, Map.of()).statusCode(200).extract().path("ciphertext");
        assertArrayEquals(pt, Api.unb64(Api.decrypt(f.appA(), f.tenantA(), ct, Map.of()).statusCode(200)
                .extract().path("plaintext")));
    }

    @Test
    void appKeyWithWildcardScopeUsesEveryTenantButNoAdminOperation() {
        Fixture f = fixture();
        String any = Api.appToken("*");
        Api.encrypt(any, f.tenantA(), new byte[] {1}, Map.of()).statusCode(200);
        Api.encrypt(any, f.tenantB(), new byte[] {2}, Map.of()).statusCode(200);
        Api.problem(Api.as(any).get("/v1/tenants").then(), 403, "FORBIDDEN");
    }

    @Test
    void appKeyScopedToTwoTenantsUsesBoth() {
        Fixture f = fixture();
        String both = Api.appToken(f.tenantA(), f.tenantB());
        Api.encrypt(both, f.tenantA(), new byte[] {1}, Map.of()).statusCode(200);
        Api.encrypt(both, f.tenantB(), new byte[] {2}, Map.of()).statusCode(200);
    }

    @Test
    void adminUsesTheDataPlaneOfAnyTenant() {
        Fixture f = fixture();
        Api.encrypt(Api.ADMIN_TOKEN, f.tenantB(), new byte[] {3}, Map.of()).statusCode(200);
    }

    @Test
    void newAdminKeyIsAnAdminAndNewAppKeyIsNot() {
        String adminToken = admin().body(Map.of("name", Api.unique("ops"), "roles", List.of("admin"), "tenants",
                List.of("*"))).post("/v1/api-keys").then().statusCode(201).extract().path("token");
        Api.as(adminToken).get("/v1/tenants").then().statusCode(200);
        Api.problem(Api.as(fixture().appA()).get("/v1/tenants").then(), 403, "FORBIDDEN");
    }

    @Test
    void tokenIsReturnedOnceAtCreationAndNeverListed() {
        String name = Api.unique("once");
        String token = admin().body(Map.of("name", name, "roles", List.of("app"), "tenants", List.of("*")))
                .post("/v1/api-keys").then().statusCode(201)
                .body("id", startsWith("ak_"))
                .body("name", equalTo(name))
                .body("roles", equalTo(List.of("app")))
                .body("tenants", equalTo(List.of("*")))
                .body("token", matchesPattern("^kw_[A-Za-z0-9_-]{43}$"))
                .extract().path("token");
        String listing = admin().get("/v1/api-keys").then().statusCode(200)
                .body("items.name", hasItem(name))
                .body("items.findAll { it.token != null }", equalTo(List.of()))
                .extract().asString();
        assertFalse(listing.contains(token), "the token must never be listed");
        assertFalse(listing.contains(token.substring(3)), "not even without its prefix");
    }

    @Test
    void safeRequestIdIsEchoedOnSuccessAndOnErrors() {
        given().header("Authorization", "Bearer " + Api.ADMIN_TOKEN).header("X-Request-Id", "req-ok.1")
                .get("/v1/tenants").then().statusCode(200).header("X-Request-Id", equalTo("req-ok.1"));
        given().header("X-Request-Id", "req-401").get("/v1/tenants").then().statusCode(401)
                .header("X-Request-Id", equalTo("req-401")).body("requestId", equalTo("req-401"));
        Api.as(fixture().appA()).header("X-Request-Id", "req-403").get("/v1/tenants").then().statusCode(403)
                .header("X-Request-Id", equalTo("req-403")).body("requestId", equalTo("req-403"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"has space", "semi;colon", "x12345678901234567890123456789012345678901234567890123456789012345", "quote\"", "<script>"})
    void unsafeRequestIdIsReplacedNotEchoed(String unsafe) {
        String answered = given().header("Authorization", "Bearer " + Api.ADMIN_TOKEN).header("X-Request-Id", unsafe)
                .get("/v1/tenants").then().statusCode(200).header("X-Request-Id", matchesPattern(UUID_PATTERN))
                .extract().header("X-Request-Id");
        assertNotEquals(unsafe, answered);
    }

    @Test
    void withoutRequestIdEachRequestGetsAFreshOne() {
        String one = admin().get("/v1/tenants").then().header("X-Request-Id", matchesPattern(UUID_PATTERN))
                .extract().header("X-Request-Id");
        String two = admin().get("/v1/tenants").then().header("X-Request-Id", matchesPattern(UUID_PATTERN))
                .extract().header("X-Request-Id");
        assertNotEquals(one, two);
    }
}
