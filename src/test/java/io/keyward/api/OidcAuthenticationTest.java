package io.keyward.api;

import io.keyward.auth.OidcProfile;
import io.keyward.auth.TestIssuer;
import io.keyward.testing.Api;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.jose4j.jwt.JwtClaims;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.keyward.testing.Api.admin;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

/**
 * OIDC bearer JWTs from an issuer whose keys the test generates: one happy path per role, each way a token can be
 * wrong is 401, and API keys keep working beside them.
 */
@QuarkusTest
@TestProfile(OidcProfile.class)
class OidcAuthenticationTest {

    private static String jwt(String sub, List<String> roles, List<String> tenants) {
        return TestIssuer.token(sub, roles, tenants);
    }

    @Test
    void adminJwtFromAMappedGroupAdministersEverything() {
        String token = jwt("ops-1", List.of(TestIssuer.ROLE_OPERATORS), List.of());
        Api.as(token).get("/v1/tenants").then().statusCode(200);
        Api.as(token).get("/v1/api-keys").then().statusCode(200);
        String t = Api.unique("oidc-adm");
        Api.as(token).body(Map.of("id", t, "name", t)).post("/v1/tenants").then().statusCode(201);
    }

    @Test
    void tenantAdminJwtManagesKeysAuditAndRevocationOfItsTenant() {
        String t = Api.unique("oidc-ta");
        String kek = Api.unique("kek");
        String key = Api.tenantWithLocalKey(t, kek);
        String token = jwt("alice", List.of("tenant-admin"), List.of(t));

        Api.as(token).get("/v1/tenants/" + t).then().statusCode(200).body("id", equalTo(t));
        Api.as(token).get("/v1/tenants/" + t + "/keys").then().statusCode(200).body("items[0].id", equalTo(key));
        Api.as(token).post("/v1/tenants/" + t + "/keys/" + key + ":check").then().statusCode(200)
                .body("status", equalTo("AVAILABLE"));
        Api.as(token).body(Map.of("reason", "incident drill")).post("/v1/tenants/" + t + ":revoke").then()
                .statusCode(200).body("state", equalTo("REVOKED"));
        Api.as(token).post("/v1/tenants/" + t + ":restore").then().statusCode(200).body("state", equalTo("ACTIVE"));
        Api.as(token).get("/v1/tenants/" + t + "/audit").then().statusCode(200)
                .body("items.actor", hasItem("oidc:alice"))
                .body("items.find { it.action == 'tenant.revoke' }.actor", equalTo("oidc:alice"));
        Api.as(token).get("/v1/tenants/" + t + "/audit:verify").then().statusCode(200).body("intact", equalTo(true));
        Api.as(token).get("/v1/tenants/" + t + "/audit:export").then().statusCode(200);

        // Not the tenant-less administration, and not the data plane.
        Api.problem(Api.as(token).get("/v1/tenants").then(), 403, "FORBIDDEN");
        Api.problem(Api.encrypt(token, t, new byte[] {1}, Map.of()), 403, "FORBIDDEN");
    }

    @Test
    void appJwtUsesTheDataPlaneOfItsTenant() {
        String t = Api.unique("oidc-app");
        Api.tenantWithLocalKey(t, Api.unique("kek"));
        String token = jwt("svc-web", List.of("app"), List.of(t));
        String ct = Api.encrypt(token, t, new byte[] {4, 2}, Map.of("k", "v")).statusCode(200).extract()
                .path("ciphertext");
        Api.decrypt(token, t, ct, Map.of("k", "v")).statusCode(200).body("plaintext", equalTo(Api.b64(new byte[] {4, 2})));
        Api.problem(Api.as(token).get("/v1/tenants/" + t).then(), 403, "FORBIDDEN");
    }

    @Test
    void jwtWithoutAKnownRoleIsAuthenticatedButMayDoNothing() {
        String token = jwt("nobody", List.of("offline_access", "uma_authorization"), List.of("*"));
        Api.problem(Api.as(token).get("/v1/tenants").then(), 403, "FORBIDDEN");
    }

    @Test
    void jwtSignedByAnotherKeyIsUnauthenticated() {
        String forged = TestIssuer.sign(TestIssuer.claims("mallory", List.of(TestIssuer.ROLE_OPERATORS), List.of()),
                TestIssuer.newKeyPair().getPrivate());
        Api.problem(Api.as(forged).get("/v1/tenants").then(), 401, "UNAUTHENTICATED");
    }

    @Test
    void jwtFromAnotherIssuerIsUnauthenticated() {
        JwtClaims c = TestIssuer.claims("ops-2", List.of(TestIssuer.ROLE_OPERATORS), List.of());
        c.setIssuer("https://elsewhere.example/realms/test");
        Api.problem(Api.as(TestIssuer.sign(c, signingKeyOfTheIssuer())).get("/v1/tenants").then(), 401,
                "UNAUTHENTICATED");
    }

    @Test
    void jwtForAnotherAudienceIsUnauthenticated() {
        JwtClaims c = TestIssuer.claims("ops-3", List.of(TestIssuer.ROLE_OPERATORS), List.of());
        c.setAudience("some-other-api");
        Api.problem(Api.as(TestIssuer.sign(c, signingKeyOfTheIssuer())).get("/v1/tenants").then(), 401,
                "UNAUTHENTICATED");
    }

    @Test
    void expiredJwtIsUnauthenticated() {
        Api.problem(Api.as(TestIssuer.expired("ops-4", List.of(TestIssuer.ROLE_OPERATORS), List.of()))
                .get("/v1/tenants").then(), 401, "UNAUTHENTICATED");
    }

    @Test
    void tamperedJwtIsUnauthenticated() {
        String token = jwt("bob", List.of("app"), List.of("acme"));
        String[] parts = token.split("\\.");
        String widened = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                TestIssuer.claims("bob", List.of(TestIssuer.ROLE_OPERATORS), List.of("*")).toJson()
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Api.problem(Api.as(parts[0] + "." + widened + "." + parts[2]).get("/v1/tenants").then(), 401,
                "UNAUTHENTICATED");
        Api.problem(Api.as("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.AAAA").get("/v1/tenants").then(), 401,
                "UNAUTHENTICATED");
    }

    @Test
    void apiKeysKeepWorkingBesideOidc() {
        admin().get("/v1/tenants").then().statusCode(200);
        String t = Api.unique("oidc-key");
        Api.tenantWithLocalKey(t, Api.unique("kek"));
        Api.encrypt(Api.appToken(t), t, new byte[] {1}, Map.of()).statusCode(200);
        Api.problem(Api.as("kw_this-token-was-never-issued").get("/v1/tenants").then(), 401, "UNAUTHENTICATED");
    }

    /** The issuer's own key: only the claims are wrong. */
    private static java.security.PrivateKey signingKeyOfTheIssuer() {
        return TestIssuer.signingKey();
    }
}
