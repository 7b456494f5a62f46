package io.keyward.api;

import io.keyward.testing.Api;
import io.keyward.testing.RawHttp;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Acceptance: bad input never gives a 500. Each case goes over a raw socket (so no client library tidies it up)
 * and must answer its documented 4xx as {@code application/problem+json} with a stable {@code code}.
 * {@code {T}} in a target is a tenant with a working key; {@code {U}} a tenant that does not exist; {@code {R}} a
 * tenant that revoke requests go to, so a revoke that wrongly succeeds cannot disturb the other cases.
 */
@QuarkusTest
class BadInputTest {
    private static final String MIB_PLUS_ONE_B64 = Api.b64(new byte[1024 * 1024 + 1]);

    private static String tenant;
    private static String revokable;

    private static synchronized String tenant() {
        if (tenant == null) {
            tenant = Api.unique("bad");
            Api.tenantWithLocalKey(tenant, Api.unique("kek"));
            revokable = Api.unique("bad-r");
            Api.tenantWithLocalKey(revokable, Api.unique("kek"));
        }
        return tenant;
    }

    /** One bad request and the answer it must get. */
    record Case(String name, String method, String target, Map<String, String> headers, byte[] body, boolean chunked,
            int status, String code) {
        @Override
        public String toString() {
            return name;
        }

        RawHttp.Response send() {
            String t = target.replace("{T}", tenant()).replace("{U}", "unknown-" + tenant())
                    .replace("{R}", revokable);
            return chunked ? RawHttp.sendChunked(method, t, headers, body) : RawHttp.send(method, t, headers, body);
        }
    }

    private static Map<String, String> json() {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Authorization", "Bearer " + Api.ADMIN_TOKEN);
        h.put("Content-Type", "application/json");
        return h;
    }

    private static Case post(String name, String target, String body, int status, String code) {
        return new Case(name, "POST", target, json(), body == null ? null : body.getBytes(StandardCharsets.UTF_8),
                false, status, code);
    }

    private static Case get(String name, String target, int status, String code) {
        return new Case(name, "GET", target, json(), null, false, status, code);
    }

    private static Case invalid(String name, String target, String body) {
        return post(name, target, body, 400, "INVALID_REQUEST");
    }

    /** POST operations that require a JSON body, with a valid sample body each. */
    private static final Map<String, String> BODY_REQUIRED = new LinkedHashMap<>();

    static {
        BODY_REQUIRED.put("/v1/api-keys", "{\"name\":\"n\",\"roles\":[\"admin\"],\"tenants\":[\"*\"]}");
        BODY_REQUIRED.put("/v1/local-kms/keys", "{\"name\":\"k\"}");
        BODY_REQUIRED.put("/v1/tenants", "{\"id\":\"zz\",\"name\":\"n\"}");
        BODY_REQUIRED.put("/v1/tenants/{T}/keys", "{\"provider\":\"local\",\"keyUri\":\"local:k\"}");
        BODY_REQUIRED.put("/v1/tenants/{T}/encrypt", "{\"plaintext\":\"AA==\"}");
        BODY_REQUIRED.put("/v1/tenants/{T}/decrypt", "{\"ciphertext\":\"AA==\"}");
        BODY_REQUIRED.put("/v1/tenants/{T}/encrypt:batch", "{\"items\":[{\"plaintext\":\"AA==\"}]}");
        BODY_REQUIRED.put("/v1/tenants/{T}/decrypt:batch", "{\"items\":[{\"ciphertext\":\"AA==\"}]}");
        BODY_REQUIRED.put("/v1/tenants/{T}/rewrap", "{\"ciphertext\":\"AA==\"}");
        BODY_REQUIRED.put("/v1/tenants/{T}/datakey:unwrap", "{\"wrappedKey\":\"AA==\"}");
    }

    /** Every POST that reads a JSON body (some also accept none). */
    private static List<String> jsonPosts() {
        List<String> all = new ArrayList<>(BODY_REQUIRED.keySet());
        all.add("/v1/tenants/{R}:revoke");
        all.add("/v1/tenants/{T}/datakey");
        return all;
    }

    static Stream<Case> invalidJson() {
        List<Case> cases = new ArrayList<>();
        for (String path : jsonPosts()) {
            cases.add(invalid("truncated JSON to " + path, path, "{\"id\":"));
            cases.add(invalid("single-quoted JSON to " + path, path, "{'a':'b'}"));
            cases.add(invalid("trailing garbage to " + path, path, "{} {}"));
            cases.add(invalid("array body to " + path, path, "[]"));
            cases.add(invalid("string body to " + path, path, "\"hello\""));
            cases.add(invalid("number body to " + path, path, "42"));
            cases.add(post("invalid UTF-8 to " + path, path, null, 400, "INVALID_REQUEST"));
        }
        // The UTF-8 cases get their bytes here: a string cannot carry them.
        List<Case> out = new ArrayList<>();
        for (Case c : cases) {
            if (c.name().startsWith("invalid UTF-8")) {
                byte[] bad = {'{', '"', 'x', '"', ':', '"', (byte) 0xc3, (byte) 0x28, (byte) 0xff, '"', '}'};
                out.add(new Case(c.name(), c.method(), c.target(), c.headers(), bad, false, 400, "INVALID_REQUEST"));
            } else {
                out.add(c);
            }
        }
        out.add(invalid("JSON nested 5000 deep in an unknown field", "/v1/tenants/{T}/encrypt",
                "{\"plaintext\":\"AA==\",\"z\":" + "[".repeat(5000) + "]".repeat(5000) + "}"));
        out.add(invalid("JSON nested 5000 deep as the body", "/v1/tenants", "[".repeat(5000)));
        return out.stream();
    }

    static Stream<Case> wrongTypes() {
        return Stream.of(
                invalid("tenant id is a number", "/v1/tenants", "{\"id\":5,\"name\":\"n\"}"),
                invalid("tenant id is a boolean", "/v1/tenants", "{\"id\":true,\"name\":\"n\"}"),
                invalid("tenant id is an array", "/v1/tenants", "{\"id\":[\"a\"],\"name\":\"n\"}"),
                invalid("tenant id is an object", "/v1/tenants", "{\"id\":{\"a\":1},\"name\":\"n\"}"),
                invalid("tenant id is null", "/v1/tenants", "{\"id\":null,\"name\":\"n\"}"),
                invalid("tenant name is a float", "/v1/tenants", "{\"id\":\"fine-id\",\"name\":1.5}"),
                invalid("roles is a string", "/v1/api-keys", "{\"name\":\"n\",\"roles\":\"app\",\"tenants\":[\"*\"]}"),
                invalid("roles holds a number", "/v1/api-keys", "{\"name\":\"n\",\"roles\":[5],\"tenants\":[\"*\"]}"),
                invalid("roles holds null", "/v1/api-keys", "{\"name\":\"n\",\"roles\":[null],\"tenants\":[\"*\"]}"),
                invalid("tenants is an object", "/v1/api-keys", "{\"name\":\"n\",\"roles\":[\"app\"],\"tenants\":{\"a\":1}}"),
                invalid("tenants holds null", "/v1/api-keys", "{\"name\":\"n\",\"roles\":[\"app\"],\"tenants\":[null]}"),
                invalid("api key name is a number", "/v1/api-keys", "{\"name\":1,\"roles\":[\"app\"],\"tenants\":[\"*\"]}"),
                invalid("local key name is a number", "/v1/local-kms/keys", "{\"name\":123}"),
                invalid("local key name is null", "/v1/local-kms/keys", "{\"name\":null}"),
                invalid("provider is a number", "/v1/tenants/{T}/keys", "{\"provider\":1,\"keyUri\":\"local:k\"}"),
                invalid("options is an array", "/v1/tenants/{T}/keys", "{\"provider\":\"local\",\"keyUri\":\"local:k\",\"options\":[]}"),
                invalid("options is a string", "/v1/tenants/{T}/keys", "{\"provider\":\"local\",\"keyUri\":\"local:k\",\"options\":\"x\"}"),
                invalid("option value is a number", "/v1/tenants/{T}/keys", "{\"provider\":\"local\",\"keyUri\":\"local:k\",\"options\":{\"a\":1}}"),
                invalid("option value is an object", "/v1/tenants/{T}/keys", "{\"provider\":\"local\",\"keyUri\":\"local:k\",\"options\":{\"a\":{\"b\":\"c\"}}}"),
                invalid("option value is null (provider that takes options)", "/v1/tenants/{T}/keys",
                        "{\"provider\":\"test-faulty\",\"keyUri\":\"test-faulty:opts\",\"options\":{\"region\":null}}"),
                invalid("revoke reason is a number", "/v1/tenants/{R}:revoke", "{\"reason\":5}"),
                invalid("revoke reason is an array", "/v1/tenants/{R}:revoke", "{\"reason\":[]}"),
                invalid("plaintext is a number", "/v1/tenants/{T}/encrypt", "{\"plaintext\":5}"),
                invalid("plaintext is an array", "/v1/tenants/{T}/encrypt", "{\"plaintext\":[1,2]}"),
                invalid("plaintext is an object", "/v1/tenants/{T}/encrypt", "{\"plaintext\":{}}"),
                invalid("plaintext is null", "/v1/tenants/{T}/encrypt", "{\"plaintext\":null}"),
                invalid("plaintext is missing", "/v1/tenants/{T}/encrypt", "{\"context\":{}}"),
                invalid("context is an array", "/v1/tenants/{T}/encrypt", "{\"plaintext\":\"AA==\",\"context\":[\"a\"]}"),
                invalid("context is a string", "/v1/tenants/{T}/encrypt", "{\"plaintext\":\"AA==\",\"context\":\"a=b\"}"),
                invalid("context value is a number", "/v1/tenants/{T}/encrypt", "{\"plaintext\":\"AA==\",\"context\":{\"a\":1}}"),
                invalid("context value is null", "/v1/tenants/{T}/encrypt", "{\"plaintext\":\"AA==\",\"context\":{\"a\":null}}"),
                invalid("context value is an array", "/v1/tenants/{T}/encrypt", "{\"plaintext\":\"AA==\",\"context\":{\"a\":[\"x\"]}}"),
                invalid("context key is empty", "/v1/tenants/{T}/encrypt", "{\"plaintext\":\"AA==\",\"context\":{\"\":\"v\"}}"),
                invalid("context value is a lone surrogate", "/v1/tenants/{T}/encrypt", "{\"plaintext\":\"AA==\",\"context\":{\"a\":\"\\ud800\"}}"),
                invalid("context has 65 entries", "/v1/tenants/{T}/encrypt", "{\"plaintext\":\"AA==\",\"context\":" + bigContext(65) + "}"),
                invalid("context key of 257 bytes", "/v1/tenants/{T}/encrypt", "{\"plaintext\":\"AA==\",\"context\":{\"" + "k".repeat(257) + "\":\"v\"}}"),
                invalid("context value of 4097 bytes", "/v1/tenants/{T}/encrypt", "{\"plaintext\":\"AA==\",\"context\":{\"k\":\"" + "v".repeat(4097) + "\"}}"),
                invalid("ciphertext is a number", "/v1/tenants/{T}/decrypt", "{\"ciphertext\":5}"),
                invalid("ciphertext is null", "/v1/tenants/{T}/decrypt", "{\"ciphertext\":null}"),
                invalid("ciphertext is missing", "/v1/tenants/{T}/rewrap", "{\"context\":{}}"),
                invalid("items is a string", "/v1/tenants/{T}/encrypt:batch", "{\"items\":\"x\"}"),
                invalid("items is an object", "/v1/tenants/{T}/encrypt:batch", "{\"items\":{}}"),
                invalid("items holds a number", "/v1/tenants/{T}/encrypt:batch", "{\"items\":[5]}"),
                invalid("items holds an array", "/v1/tenants/{T}/decrypt:batch", "{\"items\":[[]]}"),
                invalid("item id is a number", "/v1/tenants/{T}/encrypt:batch", "{\"items\":[{\"id\":5,\"plaintext\":\"AA==\"}]}"),
                invalid("datakey context is a number", "/v1/tenants/{T}/datakey", "{\"context\":5}"),
                invalid("wrappedKey is a number", "/v1/tenants/{T}/datakey:unwrap", "{\"wrappedKey\":5}"),
                invalid("wrappedKey is missing", "/v1/tenants/{T}/datakey:unwrap", "{\"context\":{}}"));
    }

    private static String bigContext(int n) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
        }
        return sb.append('}').toString();
    }

    static Stream<Case> badBase64() {
        return Stream.of(
                invalid("plaintext with '*'", "/v1/tenants/{T}/encrypt", "{\"plaintext\":\"***\"}"),
                invalid("plaintext with a space", "/v1/tenants/{T}/encrypt", "{\"plaintext\":\"YW Jj\"}"),
                invalid("plaintext in the URL-safe alphabet", "/v1/tenants/{T}/encrypt", "{\"plaintext\":\"-_-_\"}"),
                invalid("plaintext with data after padding", "/v1/tenants/{T}/encrypt", "{\"plaintext\":\"YQ==YQ==\"}"),
                invalid("plaintext of one base64 character", "/v1/tenants/{T}/encrypt", "{\"plaintext\":\"Y\"}"),
                invalid("ciphertext with '%'", "/v1/tenants/{T}/decrypt", "{\"ciphertext\":\"%%%\"}"),
                invalid("ciphertext with non-ASCII", "/v1/tenants/{T}/decrypt", "{\"ciphertext\":\"\u00e9t\u00e9\"}"),
                invalid("rewrap ciphertext with a newline", "/v1/tenants/{T}/rewrap", "{\"ciphertext\":\"YWJj\\nZGVm\"}"),
                invalid("wrappedKey with '!'", "/v1/tenants/{T}/datakey:unwrap", "{\"wrappedKey\":\"!!!!\"}"));
    }

    static Stream<Case> undecryptable() {
        return Stream.of(
                post("ciphertext of zero bytes", "/v1/tenants/{T}/decrypt", "{\"ciphertext\":\"\"}", 400, "INVALID_CIPHERTEXT"),
                post("ciphertext that is not an envelope", "/v1/tenants/{T}/decrypt", "{\"ciphertext\":\"aGVsbG8gd29ybGQ=\"}", 400, "INVALID_CIPHERTEXT"),
                post("envelope header only", "/v1/tenants/{T}/decrypt", "{\"ciphertext\":\"S1cBAQ==\"}", 400, "INVALID_CIPHERTEXT"),
                post("wrapped key that is not one", "/v1/tenants/{T}/datakey:unwrap", "{\"wrappedKey\":\"aGVsbG8=\"}", 400, "INVALID_CIPHERTEXT"),
                post("rewrap of garbage", "/v1/tenants/{T}/rewrap", "{\"ciphertext\":\"AAAAAAAAAAAAAAAA\"}", 400, "INVALID_CIPHERTEXT"));
    }

    static Stream<Case> missingBody() {
        List<Case> cases = new ArrayList<>();
        BODY_REQUIRED.keySet().forEach(p -> {
            cases.add(post("no body to " + p, p, null, 400, "INVALID_REQUEST"));
            cases.add(post("empty body to " + p, p, "", 400, "INVALID_REQUEST"));
            cases.add(post("JSON null to " + p, p, "null", 400, "INVALID_REQUEST"));
        });
        return cases.stream();
    }

    static Stream<Case> batches() {
        StringBuilder huge = new StringBuilder("{\"items\":[");
        for (int i = 0; i < 1001; i++) {
            huge.append(i == 0 ? "" : ",").append("{\"id\":\"").append(i).append("\",\"plaintext\":\"\"}");
        }
        huge.append("]}");
        return Stream.of(
                invalid("empty encrypt batch", "/v1/tenants/{T}/encrypt:batch", "{\"items\":[]}"),
                invalid("empty decrypt batch", "/v1/tenants/{T}/decrypt:batch", "{\"items\":[]}"),
                invalid("batch without items", "/v1/tenants/{T}/encrypt:batch", "{}"),
                invalid("batch with null items", "/v1/tenants/{T}/decrypt:batch", "{\"items\":null}"),
                post("encrypt batch of 1001 items", "/v1/tenants/{T}/encrypt:batch", huge.toString(), 413, "PAYLOAD_TOO_LARGE"),
                post("decrypt batch of 1001 items", "/v1/tenants/{T}/decrypt:batch",
                        huge.toString().replace("plaintext", "ciphertext"), 413, "PAYLOAD_TOO_LARGE"));
    }

    static Stream<Case> oversize() {
        String fourMiB = "A".repeat(4 * 1024 * 1024);
        byte[] over16 = ("{\"plaintext\":\"" + "A".repeat(17 * 1024 * 1024) + "\"}").getBytes(StandardCharsets.US_ASCII);
        return Stream.of(
                post("plaintext of 1 MiB + 1", "/v1/tenants/{T}/encrypt", "{\"plaintext\":\"" + MIB_PLUS_ONE_B64 + "\"}", 413, "PAYLOAD_TOO_LARGE"),
                post("plaintext of 3 MiB", "/v1/tenants/{T}/encrypt", "{\"plaintext\":\"" + fourMiB + "\"}", 413, "PAYLOAD_TOO_LARGE"),
                post("ciphertext of 3 MiB", "/v1/tenants/{T}/decrypt", "{\"ciphertext\":\"" + fourMiB + "\"}", 413, "PAYLOAD_TOO_LARGE"),
                post("rewrap ciphertext of 3 MiB", "/v1/tenants/{T}/rewrap", "{\"ciphertext\":\"" + fourMiB + "\"}", 413, "PAYLOAD_TOO_LARGE"),
                post("wrappedKey of 3 MiB", "/v1/tenants/{T}/datakey:unwrap", "{\"wrappedKey\":\"" + fourMiB + "\"}", 413, "PAYLOAD_TOO_LARGE"),
                new Case("body over 16 MiB with Content-Length", "POST", "/v1/tenants/{T}/encrypt", json(), over16, false, 413, "PAYLOAD_TOO_LARGE"),
                new Case("body over 16 MiB chunked", "POST", "/v1/tenants/{T}/encrypt", json(), over16, true, 413, "PAYLOAD_TOO_LARGE"),
                invalid("tenant name of 5 MiB", "/v1/tenants", "{\"id\":\"big-name\",\"name\":\"" + "n".repeat(5 * 1024 * 1024) + "\"}"));
    }

    static Stream<Case> unknownThings() {
        List<Case> cases = new ArrayList<>();
        cases.add(get("unknown tenant", "/v1/tenants/{U}", 404, "TENANT_NOT_FOUND"));
        cases.add(post("unknown key on check", "/v1/tenants/{T}/keys/tk_unknownunknownunkn:check", null, 404, "KEY_NOT_FOUND"));
        cases.add(post("odd key id on check", "/v1/tenants/{T}/keys/%20%27drop%22:check", null, 404, "KEY_NOT_FOUND"));
        cases.add(post("unknown local key", "/v1/local-kms/keys/nope-nope:disable", null, 404, "KEY_NOT_FOUND"));
        BODY_REQUIRED.forEach((p, body) -> {
            if (p.startsWith("/v1/tenants/{T}/") && !p.endsWith("/keys")) {
                cases.add(post("unknown tenant on " + p, p.replace("{T}", "{U}"), body, 404, "TENANT_NOT_FOUND"));
            }
        });
        cases.add(post("unknown tenant on datakey", "/v1/tenants/{U}/datakey", "{}", 404, "TENANT_NOT_FOUND"));
        cases.add(get("unknown path under /v1", "/v1/nothing-here", 404, "NOT_FOUND"));
        cases.add(get("unknown path outside /v1", "/nothing-here", 404, "NOT_FOUND"));
        cases.add(get("bare /v1", "/v1", 404, "NOT_FOUND"));
        cases.add(post("unknown sub-resource", "/v1/tenants/{T}/explode", "{}", 404, "NOT_FOUND"));
        cases.add(post("unknown custom method", "/v1/tenants/{T}:explode", "{}", 404, "NOT_FOUND"));
        cases.add(post("unknown data verb", "/v1/tenants/{T}/encrypt:stream", "{}", 404, "NOT_FOUND"));
        return cases.stream();
    }

    /** Status 0: the segment cannot name a tenant, and either 400 INVALID_REQUEST or 404 NOT_FOUND is right. */
    private static final int INVALID_OR_NOT_FOUND = 0;

    static Stream<Case> pathTricks() {
        List<Case> cases = new ArrayList<>();
        Map<String, Integer> tricks = new LinkedHashMap<>();
        // A dot segment is resolved away (RFC 3986 §5.2.4) before routing, leaving no tenant segment: 404.
        tricks.put("..", 404);
        tricks.put("%2e%2e", 404);
        tricks.put("%2E%2E", 404);
        // Percent-encoded separators and control characters: refused as an id, or matched by no route.
        tricks.put("a%2Fb", INVALID_OR_NOT_FOUND);
        tricks.put("%2F", INVALID_OR_NOT_FOUND);
        tricks.put("%2e%2e%2fadmin", INVALID_OR_NOT_FOUND);
        tricks.put("acme%00", INVALID_OR_NOT_FOUND);
        tricks.put("acme%20", INVALID_OR_NOT_FOUND);
        tricks.put("acme%0d%0aX-Injected:%20yes", INVALID_OR_NOT_FOUND);
        tricks.put("%3Cscript%3E", INVALID_OR_NOT_FOUND);
        tricks.put("acme%3Brevoke", INVALID_OR_NOT_FOUND); // ';' opens JAX-RS matrix parameters
        // A plain segment that breaks the id pattern: the documented 400.
        tricks.put("%C3%A1cme", 400);
        tricks.put("ACME", 400);
        tricks.put("Acme", 400);
        tricks.put("-acme", 400);
        tricks.put("a", 400);
        tricks.put("a".repeat(64), 400);
        tricks.put("a".repeat(300), 400);
        tricks.forEach((trick, status) -> {
            String code = status == 404 ? "NOT_FOUND" : "INVALID_REQUEST";
            cases.add(get("GET tenant '" + trick + "'", "/v1/tenants/" + trick, status, code));
            cases.add(post("encrypt for tenant '" + trick + "'", "/v1/tenants/" + trick + "/encrypt",
                    "{\"plaintext\":\"AA==\"}", status, code));
        });
        cases.add(get("audit of tenant 'ACME'", "/v1/tenants/ACME/audit", 400, "INVALID_REQUEST"));
        cases.add(post("revoke tenant 'ACME'", "/v1/tenants/ACME:revoke", null, 400, "INVALID_REQUEST"));
        cases.add(post("attach to tenant 'a%2Fb'", "/v1/tenants/a%2Fb/keys",
                "{\"provider\":\"local\",\"keyUri\":\"local:k\"}", INVALID_OR_NOT_FOUND, "INVALID_REQUEST"));
        return cases.stream();
    }

    static Stream<Case> protocol() {
        List<Case> cases = new ArrayList<>();
        for (String path : jsonPosts()) {
            for (String ct : List.of("text/plain", "application/xml", "application/x-www-form-urlencoded",
                    "multipart/form-data; boundary=x")) {
                Map<String, String> h = json();
                h.put("Content-Type", ct);
                cases.add(new Case(ct + " to " + path, "POST", path, h, "{}".getBytes(StandardCharsets.UTF_8), false,
                        415, "UNSUPPORTED_MEDIA_TYPE"));
            }
        }
        Map<String, String> xml = json();
        xml.put("Accept", "application/xml");
        cases.add(new Case("Accept: application/xml on GET", "GET", "/v1/tenants", xml, null, false, 406, "NOT_ACCEPTABLE"));
        cases.add(new Case("Accept: application/xml on POST", "POST", "/v1/tenants/{T}/datakey", xml,
                "{}".getBytes(StandardCharsets.UTF_8), false, 406, "NOT_ACCEPTABLE"));
        cases.add(new Case("DELETE on /v1/tenants", "DELETE", "/v1/tenants", json(), null, false, 405, "METHOD_NOT_ALLOWED"));
        cases.add(new Case("PUT on a tenant", "PUT", "/v1/tenants/{T}", json(), "{}".getBytes(), false, 405, "METHOD_NOT_ALLOWED"));
        cases.add(new Case("DELETE on a tenant", "DELETE", "/v1/tenants/{T}", json(), null, false, 405, "METHOD_NOT_ALLOWED"));
        cases.add(new Case("GET on :revoke", "GET", "/v1/tenants/{T}:revoke", json(), null, false, 405, "METHOD_NOT_ALLOWED"));
        cases.add(new Case("PUT on /v1/api-keys", "PUT", "/v1/api-keys", json(), "{}".getBytes(), false, 405, "METHOD_NOT_ALLOWED"));
        cases.add(new Case("POST on audit", "POST", "/v1/tenants/{T}/audit", json(), "{}".getBytes(), false, 405, "METHOD_NOT_ALLOWED"));
        cases.add(new Case("GET on a local key :disable", "GET", "/v1/local-kms/keys/k:disable", json(), null, false, 405, "METHOD_NOT_ALLOWED"));
        for (String verb : List.of("encrypt", "decrypt", "encrypt:batch", "decrypt:batch", "rewrap", "datakey", "datakey:unwrap")) {
            cases.add(new Case("GET on " + verb, "GET", "/v1/tenants/{T}/" + verb, json(), null, false, 405, "METHOD_NOT_ALLOWED"));
        }
        cases.add(new Case("DELETE on datakey", "DELETE", "/v1/tenants/{T}/datakey", json(), null, false, 405, "METHOD_NOT_ALLOWED"));
        return cases.stream();
    }

    private static void check(Case c) {
        RawHttp.Response r = c.send();
        assertNotEquals(500, r.status(), () -> c + " gave a 500: " + r);
        if (c.status() == INVALID_OR_NOT_FOUND) {
            Api.problem(r, r.status() == 404 ? 404 : 400, r.status() == 404 ? "NOT_FOUND" : "INVALID_REQUEST");
        } else {
            Api.problem(r, c.status(), c.code());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidJson")
    void invalidJsonIsInvalidRequest(Case c) {
        check(c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("wrongTypes")
    void wrongTypeIsInvalidRequest(Case c) {
        check(c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badBase64")
    void badBase64IsInvalidRequest(Case c) {
        check(c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("undecryptable")
    void undecryptableInputIsInvalidCiphertext(Case c) {
        check(c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("missingBody")
    void missingBodyIsInvalidRequest(Case c) {
        check(c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("batches")
    void emptyAndHugeBatchesAreRefused(Case c) {
        check(c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("oversize")
    void oversizeInputIsPayloadTooLarge(Case c) {
        check(c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unknownThings")
    void unknownTenantKeyOrPathIsNotFound(Case c) {
        check(c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pathTricks")
    void tenantIdPathTricksAreRefused(Case c) {
        check(c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("protocol")
    void wrongContentTypeAcceptOrMethodIsRefused(Case c) {
        check(c);
    }

    @Test
    void rawNonAsciiTenantIdIsInvalidRequest() {
        Map<String, String> h = json();
        RawHttp.Response r = RawHttp.send("GET", "/v1/tenants/ácme".getBytes(StandardCharsets.UTF_8), h, null);
        Api.problem(r, 400, "INVALID_REQUEST");
    }

    @Test
    void dotSegmentsAreNotABypassAroundAuthentication() {
        // Whatever normalisation happens, a path that resolves into /v1 must still need a token.
        for (String p : List.of("/x/../v1/tenants", "/v1/./tenants", "/v1/tenants/../tenants", "/%2e/v1/tenants",
                "//v1/tenants", "/./v1/tenants", "/q/../v1/tenants", "/v1%2ftenants")) {
            RawHttp.Response r = RawHttp.send("GET", p, Map.of(), null);
            assertNotEquals(200, r.status(), p + " answered without a token: " + r);
            assertNotEquals(500, r.status(), p + ": " + r);
        }
    }

    /*
     * The next two are refused by Vert.x core while it parses the request line, before any router handler,
     * filter or exception mapper runs: the answer is an empty 414/400, not problem+json. Neither a router error
     * handler nor a failure handler sees them (tried), so they are a known transport-level exception to the
     * problem+json rule, pinned here so that a change (a 500, or a 200) is noticed.
     */

    @Test
    void requestLineOver4KiBIs414BeforeKeywardRuns() {
        RawHttp.Response r = RawHttp.send("GET", "/v1/tenants/" + "a".repeat(5000), json(), null);
        assertEquals(414, r.status(), r::toString);
        assertEquals(0, r.body().length, r::toString);
    }

    @Test
    void malformedPercentEncodingIs400BeforeKeywardRuns() {
        for (String target : List.of("/v1/tenants/%zz", "/v1/tenants?cursor=%zz", "/v1/tenants/%")) {
            RawHttp.Response r = RawHttp.send("GET", target, json(), null);
            assertEquals(400, r.status(), () -> target + ": " + r);
        }
    }

    @Test
    void chunkedBodyUnderTheLimitIsAccepted() {
        RawHttp.Response r = RawHttp.sendChunked("POST", "/v1/tenants/" + tenant() + "/encrypt", json(),
                ("{\"plaintext\":\"" + Api.b64(new byte[200_000]) + "\"}").getBytes(StandardCharsets.US_ASCII));
        assertEquals(200, r.status(), r::toString);
    }

    @Test
    void theServiceStillWorksAfterAllThat() {
        Api.encrypt(Api.ADMIN_TOKEN, tenant(), Arrays.copyOf(new byte[] {1}, 1), Map.of()).statusCode(200);
    }
}
