package io.keyward.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyward.testing.Api;
import io.keyward.testing.Endpoints;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The served OpenAPI document lists exactly the /v1 operations the API has (DESIGN.md §8: "kept in step"). */
@QuarkusTest
class OpenApiTest {

    private static JsonNode document() {
        byte[] body = given().accept("application/json").get("/q/openapi?format=json").then().statusCode(200)
                .extract().asByteArray();
        return Api.json(body);
    }

    /** "METHOD path" for every /v1 operation in the document, with path parameter names normalised to the catalogue's. */
    private static Set<String> operations(JsonNode doc) {
        Set<String> ops = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = doc.path("paths").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            if (!p.getKey().startsWith("/v1")) {
                continue;
            }
            for (Iterator<String> m = p.getValue().fieldNames(); m.hasNext(); ) {
                String method = m.next();
                if (Set.of("get", "post", "put", "delete", "patch").contains(method)) {
                    ops.add(method.toUpperCase(Locale.ROOT) + " " + p.getKey());
                }
            }
        }
        return ops;
    }

    @Test
    void documentListsEveryV1PathAndNoOther() {
        Set<String> documentedPaths = new TreeSet<>();
        document().path("paths").fieldNames().forEachRemaining(p -> {
            if (p.startsWith("/v1")) {
                documentedPaths.add(p);
            }
        });
        Set<String> expected = Set.of(
                "/v1/api-keys",
                "/v1/api-keys/{id}",
                "/v1/local-kms/keys",
                "/v1/local-kms/keys/{name}:disable",
                "/v1/local-kms/keys/{name}:enable",
                "/v1/local-kms/keys/{name}:destroy",
                "/v1/tenants",
                "/v1/tenants/{t}",
                "/v1/tenants/{t}:revoke",
                "/v1/tenants/{t}:restore",
                "/v1/tenants/{t}/keys",
                "/v1/tenants/{t}/keys/{k}:check",
                "/v1/tenants/{t}/keys/{k}:retire",
                "/v1/tenants/{t}/audit",
                "/v1/tenants/{t}/audit:verify",
                "/v1/tenants/{t}/audit:export",
                "/v1/tenants/{t}/audit-webhook",
                "/v1/tenants/{t}/encrypt",
                "/v1/tenants/{t}/decrypt",
                "/v1/tenants/{t}/encrypt:batch",
                "/v1/tenants/{t}/decrypt:batch",
                "/v1/tenants/{t}/rewrap",
                "/v1/tenants/{t}/rewrap:batch",
                "/v1/tenants/{t}/datakey",
                "/v1/tenants/{t}/datakey:unwrap",
                "/v1/admin/seal",
                "/v1/admin/seal:reseal",
                "/v1/admin/seal:wrap-root-key");
        assertEquals(new TreeSet<>(expected), documentedPaths);
    }

    @Test
    void documentListsEveryOperationOfTheEndpointCatalogue() {
        Set<String> catalogue = Endpoints.all().map(e -> e.method() + " " + e.template())
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(catalogue, operations(document()));
    }

    @Test
    void everyV1OperationDeclaresItsJsonBodyAndResponse() {
        Map<String, String> missing = new TreeMap<>();
        JsonNode paths = document().path("paths");
        Endpoints.all().forEach(e -> {
            JsonNode op = paths.path(e.template()).path(e.method().toLowerCase(Locale.ROOT));
            if (op.path("responses").isEmpty()) {
                missing.put(e.toString(), "no responses");
            }
            if (e.sampleBody() != null && !op.path("requestBody").path("content").has("application/json")) {
                missing.put(e.toString(), "no application/json request body");
            }
        });
        assertTrue(missing.isEmpty(), () -> "operations documented incompletely: " + missing);
    }

    @Test
    void documentDeclaresBearerSecurity() {
        JsonNode schemes = document().path("components").path("securitySchemes");
        assertTrue(schemes.size() > 0, "a security scheme is declared");
        boolean bearer = false;
        for (JsonNode s : schemes) {
            bearer |= "http".equals(s.path("type").asText()) && "bearer".equalsIgnoreCase(s.path("scheme").asText());
        }
        assertTrue(bearer, () -> "an http bearer scheme is declared: " + schemes);
    }

    /**
     * docs/reference/openapi.yaml is the served document, committed so the API reference can be read without running
     * keyward. It cannot go stale: any change to the API changes the served document and fails this test until the file
     * is regenerated with {@code ./mvnw test -Dtest=OpenApiTest -Ddocs.regenerate=true}.
     */
    @Test
    void committedReferenceDocumentIsTheServedOne() throws IOException {
        String served = given().accept("application/yaml").get("/q/openapi?format=yaml").then().statusCode(200)
                .extract().asString().replace("\r\n", "\n");
        Path committed = Path.of("docs/reference/openapi.yaml");
        if (Boolean.getBoolean("docs.regenerate")) {
            Files.writeString(committed, served, StandardCharsets.UTF_8);
        }
        if (!Files.exists(committed)) {
            fail(committed + " is missing; generate it with -Ddocs.regenerate=true");
        }
        assertEquals(Files.readString(committed, StandardCharsets.UTF_8), served,
                committed + " differs from the served /q/openapi; regenerate it: ./mvnw test -Dtest=OpenApiTest -Ddocs.regenerate=true");
    }
}
