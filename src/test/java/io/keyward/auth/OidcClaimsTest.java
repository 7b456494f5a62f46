package io.keyward.auth;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** How claim values are read: arrays, strings, exact names before dotted paths. */
class OidcClaimsTest {

    @Test
    void arrayClaimGivesItsStrings() {
        assertEquals(List.of("admin", "app"), OidcAuthenticator.values(Map.of("roles", List.of("admin", 7, "app")),
                "roles"));
    }

    @Test
    void stringClaimIsSplitOnSpacesAndCommas() {
        assertEquals(List.of("acme", "globex", "initech"),
                OidcAuthenticator.values(Map.of("t", " acme globex,initech "), "t"));
    }

    @Test
    void dottedPathWalksNestedObjects() {
        Map<String, Object> claims = Map.of("resource_access", Map.of("keyward", Map.of("roles", List.of("app"))));
        assertEquals(List.of("app"), OidcAuthenticator.values(claims, "resource_access.keyward.roles"));
    }

    @Test
    void exactClaimNameWinsOverAPathSoNamespacedClaimsWork() {
        // Auth0-style namespaced claim names contain dots.
        Map<String, Object> claims = Map.of("https://keyward.example/roles", List.of("admin"));
        assertEquals(List.of("admin"), OidcAuthenticator.values(claims, "https://keyward.example/roles"));
    }

    @Test
    void jsonPValuesAsQuarkusOidcHandsThemOverAreRead() {
        jakarta.json.JsonObject claims = jakarta.json.Json.createObjectBuilder()
                .add("realm_access", jakarta.json.Json.createObjectBuilder()
                        .add("roles", jakarta.json.Json.createArrayBuilder().add("tenant-admin").add(3)))
                .add("scp", "app other").build();
        assertEquals(List.of("tenant-admin"), OidcAuthenticator.values(claims, "realm_access.roles"));
        assertEquals(List.of("app", "other"), OidcAuthenticator.values(claims, "scp"));
    }

    @Test
    void missingOrWronglyShapedClaimGivesNothing() {
        assertEquals(List.of(), OidcAuthenticator.values(Map.of(), "roles"));
        assertEquals(List.of(), OidcAuthenticator.values(Map.of("roles", Map.of("a", "b")), "roles"));
        assertEquals(List.of(), OidcAuthenticator.values(Map.of("realm_access", "admin"), "realm_access.roles"));
    }

    @Test
    void onlyCompactJwsIsTreatedAsAJwt() {
        assertEquals(true, OidcAuthenticator.looksLikeJwt("eyJh.eyJz.c2ln"));
        assertEquals(false, OidcAuthenticator.looksLikeJwt("kw_abcdefghijklmnop"));
        assertEquals(false, OidcAuthenticator.looksLikeJwt("a.b"));
        assertEquals(false, OidcAuthenticator.looksLikeJwt("a..c"));
        assertEquals(false, OidcAuthenticator.looksLikeJwt("a.b.c.d.e"));
    }
}
