package io.keyward.api;

import io.keyward.testing.Api;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import static io.keyward.testing.Api.admin;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Cursor pagination of the tenant list and of a tenant's audit trail: a walk sees every item exactly once. */
@QuarkusTest
class PaginationTest {

    /** Walks a paged list to its end; returns the items' {@code field} values and checks page sizes. */
    private static List<String> walk(String path, int limit, String field) {
        List<String> seen = new ArrayList<>();
        String cursor = null;
        for (int pages = 0; pages < 10_000; pages++) {
            String url = path + (path.contains("?") ? "&" : "?") + "limit=" + limit
                    + (cursor == null ? "" : "&cursor=" + cursor);
            JsonPath page = admin().get(url).then().statusCode(200).extract().jsonPath();
            List<String> items = page.getList("items." + field);
            cursor = page.getString("nextCursor");
            if (cursor != null) {
                assertEquals(limit, items.size(), "a page with a next cursor is full");
            } else {
                assertTrue(items.size() <= limit);
            }
            seen.addAll(items);
            if (cursor == null) {
                return seen;
            }
        }
        throw new AssertionError("pagination did not end");
    }

    @Test
    void tenantCursorWalkSeesEveryTenantOnceInIdOrder() {
        String prefix = Api.unique("page");
        List<String> mine = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            String id = prefix + "-" + i;
            Api.tenant(id);
            mine.add(id);
        }
        List<String> walked = walk("/v1/tenants", 2, "id");
        assertEquals(new HashSet<>(walked).size(), walked.size(), "no tenant twice");
        for (int i = 1; i < walked.size(); i++) {
            assertTrue(walked.get(i - 1).compareTo(walked.get(i)) < 0, "ordered by id: " + walked);
        }
        assertTrue(walked.containsAll(mine), "every tenant seen");
        List<String> onePage = admin().get("/v1/tenants?limit=500").then().statusCode(200).extract()
                .jsonPath().getList("items.id");
        assertEquals(onePage, walked.subList(0, Math.min(500, walked.size())), "walk equals one big page");
        assertEquals(walked, walk("/v1/tenants", 3, "id"), "page size does not change the result");
    }

    @Test
    void lastPageHasNullNextCursorAndDefaultLimitIsUsedWithoutOne() {
        admin().get("/v1/tenants?limit=500").then().statusCode(200).body("nextCursor", nullValue());
        // Past the last id: an empty page, not an error.
        String past = Base64.getUrlEncoder().withoutPadding().encodeToString("zzzzzzzz".getBytes(StandardCharsets.UTF_8));
        admin().get("/v1/tenants?cursor=" + past).then().statusCode(200).body("items", hasSize(0))
                .body("nextCursor", nullValue());
    }

    @Test
    void auditCursorWalkSeesEveryEventOnceNewestFirst() {
        String t = Api.unique("audpage");
        String keyId = Api.tenantWithLocalKey(t, Api.unique("kek"));
        for (int i = 0; i < 4; i++) {
            admin().post("/v1/tenants/" + t + "/keys/" + keyId + ":check").then().statusCode(200);
        }
        admin().body(Map.of("reason", "paging")).post("/v1/tenants/" + t + ":revoke").then().statusCode(200);
        admin().post("/v1/tenants/" + t + ":restore").then().statusCode(200);

        List<String> all = admin().get("/v1/tenants/" + t + "/audit?limit=500").then().statusCode(200)
                .body("nextCursor", nullValue()).extract().jsonPath().getList("items.id");
        assertTrue(all.size() >= 14, "enough events to page: " + all.size());
        List<String> walked = walk("/v1/tenants/" + t + "/audit", 3, "id");
        assertEquals(all, walked);
        assertEquals(new HashSet<>(walked).size(), walked.size());

        List<String> times = admin().get("/v1/tenants/" + t + "/audit?limit=500").then().extract().jsonPath()
                .getList("items.time");
        for (int i = 1; i < times.size(); i++) {
            assertTrue(!Instant.parse(times.get(i - 1)).isBefore(Instant.parse(times.get(i))), "newest first: " + times);
        }
        List<String> actions = admin().get("/v1/tenants/" + t + "/audit?limit=1").then().statusCode(200)
                .extract().jsonPath().getList("items.action");
        assertEquals(List.of("tenant.restore"), actions, "the newest event comes first");
    }

    @Test
    void auditDefaultPageIsFiftyWithACursor() {
        String t = Api.unique("aud50");
        String keyId = Api.tenantWithLocalKey(t, Api.unique("kek"));
        for (int i = 0; i < 26; i++) {
            admin().post("/v1/tenants/" + t + "/keys/" + keyId + ":check").then().statusCode(200);
        }
        JsonPath first = admin().get("/v1/tenants/" + t + "/audit").then().statusCode(200).extract().jsonPath();
        assertEquals(50, first.getList("items").size());
        assertNotNull(first.getString("nextCursor"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "501"})
    void limitOutOfRangeIsInvalidRequest(String limit) {
        Api.problem(admin().get("/v1/tenants?limit=" + limit).then(), 400, "INVALID_REQUEST");
        String t = Api.unique("lim");
        Api.tenant(t);
        Api.problem(admin().get("/v1/tenants/" + t + "/audit?limit=" + limit).then(), 400, "INVALID_REQUEST");
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "1.5", "99999999999"})
    void nonNumericLimitIsInvalidRequestNotNotFound(String limit) {
        // A query parameter that does not convert is a bad request (400), not a missing resource (404).
        Api.problem(admin().get("/v1/tenants?limit=" + limit).then(), 400, "INVALID_REQUEST");
        String t = Api.unique("lim");
        Api.tenant(t);
        Api.problem(admin().get("/v1/tenants/" + t + "/audit?limit=" + limit).then(), 400, "INVALID_REQUEST");
    }

    @ParameterizedTest
    @ValueSource(strings = {"!!", "not-base64-at-all*", "YWJj"})
    void malformedAuditCursorIsInvalidRequest(String cursor) {
        // "YWJj" is valid base64 of "abc", which is not a sequence number.
        String t = Api.unique("cur");
        Api.tenant(t);
        Api.problem(admin().get("/v1/tenants/" + t + "/audit?cursor=" + cursor).then(), 400, "INVALID_REQUEST");
    }

    @Test
    void overlongCursorIsInvalidRequest() {
        Api.problem(admin().get("/v1/tenants?cursor=" + "A".repeat(300)).then(), 400, "INVALID_REQUEST");
        Api.problem(admin().get("/v1/tenants?cursor=!!").then(), 400, "INVALID_REQUEST");
    }
}
