package io.keyward.api;

import io.keyward.auth.OidcProfile;
import io.keyward.auth.TestIssuer;
import io.keyward.testing.Api;
import io.keyward.testing.Endpoints;
import io.keyward.testing.Endpoints.Access;
import io.keyward.testing.Endpoints.Endpoint;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.ValidatableResponse;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.keyward.testing.Api.admin;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 5 scope 4: for every operation, a caller scoped to tenant A (tenant-admin on the admin plane, app on the
 * data plane; as an OIDC JWT and as an API key) gets 403 for tenant B, and the same 403 for a tenant that does not
 * exist, so scope never leaks existence; for A it gets through (whatever the operation then answers, not 401/403).
 */
@QuarkusTest
@TestProfile(OidcProfile.class)
class TenantScopeTest {

    /** How the scoped caller authenticates. */
    enum Via { JWT, API_KEY }

    private record Fixture(String tenantA, String keyA, String localKeyA, String tenantB,
            Map<String, String> tokens) {
        String token(Via via, Access access) {
            return tokens.get(via + "/" + access);
        }
    }

    private static Fixture fixture;

    private static synchronized Fixture fixture() {
        if (fixture == null) {
            String a = Api.unique("scope-a");
            String kekA = Api.unique("kek");
            String keyA = Api.tenantWithLocalKey(a, kekA);
            String b = Api.unique("scope-b");
            Api.tenantWithLocalKey(b, Api.unique("kek"));
            String tenantAdminKey = admin().body(Map.of("name", Api.unique("ta"), "roles", List.of("tenant-admin"),
                    "tenants", List.of(a))).post("/v1/api-keys").then().statusCode(201).extract().path("token");
            fixture = new Fixture(a, keyA, kekA, b, Map.of(
                    Via.JWT + "/" + Access.TENANT_ADMIN, TestIssuer.token("ta-a", List.of("tenant-admin"), List.of(a)),
                    Via.JWT + "/" + Access.APP, TestIssuer.token("app-a", List.of("app"), List.of(a)),
                    Via.API_KEY + "/" + Access.TENANT_ADMIN, tenantAdminKey,
                    Via.API_KEY + "/" + Access.APP, Api.appToken(a)));
        }
        return fixture;
    }

    static Stream<Arguments> tenantScoped() {
        return Stream.of(Via.values()).flatMap(via -> Endpoints.all().filter(Endpoint::tenantScoped)
                .map(e -> Arguments.of(via, e)));
    }

    static Stream<Arguments> tenantless() {
        return Stream.of(Via.values()).flatMap(via -> Endpoints.all().filter(e -> !e.tenantScoped())
                .map(e -> Arguments.of(via, e)));
    }

    /** The role that may call {@code e} for its own tenants. */
    private static Access scopedRole(Endpoint e) {
        return e.access() == Access.APP ? Access.APP : Access.TENANT_ADMIN;
    }

    private static ValidatableResponse call(String token, Endpoint e, String tenant) {
        Fixture f = fixture();
        var spec = Api.as(token);
        if (e.sampleBody() != null) {
            spec = spec.body(e.sampleBody());
        }
        return spec.request(e.method(), e.path(tenant, f.keyA(), f.localKeyA())).then();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("tenantScoped")
    void callerScopedToAIsForbiddenOnB(Via via, Endpoint e) {
        Fixture f = fixture();
        Api.problem(call(f.token(via, scopedRole(e)), e, f.tenantB()), 403, "FORBIDDEN");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("tenantScoped")
    void callerScopedToAGetsTheSame403ForATenantThatDoesNotExist(Via via, Endpoint e) {
        Fixture f = fixture();
        Api.problem(call(f.token(via, scopedRole(e)), e, Api.unique("no-such")), 403, "FORBIDDEN");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("tenantScoped")
    void callerScopedToAGetsThroughOnA(Via via, Endpoint e) {
        // Earlier sweeps may have revoked A or retired its key (403 KEY_REVOKED, 409 KEY_RETIRED are then the
        // honest answers); what must not come back is a refusal of the caller itself.
        Fixture f = fixture();
        var r = call(f.token(via, scopedRole(e)), e, f.tenantA()).extract();
        String code = r.contentType() != null && r.contentType().startsWith(Api.PROBLEM_JSON) ? r.path("code") : "-";
        assertNotEquals(401, r.statusCode(), () -> e + " answered " + r.asString());
        assertFalse(r.statusCode() == 403 && "FORBIDDEN".equals(code), () -> e + " answered " + r.asString());
        assertTrue(r.statusCode() < 500, () -> e + " answered " + r.asString());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("tenantScoped")
    void theOtherScopedRoleIsForbiddenEvenOnA(Via via, Endpoint e) {
        // Data plane stays app (+admin); key management and audit stay tenant-admin (+admin).
        Fixture f = fixture();
        Access other = scopedRole(e) == Access.APP ? Access.TENANT_ADMIN : Access.APP;
        Api.problem(call(f.token(via, other), e, f.tenantA()), 403, "FORBIDDEN");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("tenantless")
    void tenantAdminIsForbiddenOnTenantlessAdministration(Via via, Endpoint e) {
        Fixture f = fixture();
        Api.problem(call(f.token(via, Access.TENANT_ADMIN), e, f.tenantA()), 403, "FORBIDDEN");
    }
}
