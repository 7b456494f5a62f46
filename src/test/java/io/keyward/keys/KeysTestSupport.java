package io.keyward.keys;

import io.keyward.testing.Api;
import io.restassured.RestAssured;
import io.restassured.response.ValidatableResponse;

import java.util.Arrays;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the key-service acceptance tests share: Prometheus counters read from {@code /q/metrics} (as an operator
 * sees them; always used as deltas, since other tests share the JVM), the wrapped-DEK region of an envelope,
 * and the local stand-in KMS's admin verbs.
 */
final class KeysTestSupport {
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)\\{([^}]*)}\\s+(\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private KeysTestSupport() {
    }

    /** Sum of every sample of {@code metric} whose labels include all of {@code labels}. */
    static double counter(String metric, Map<String, String> labels) {
        String text = RestAssured.given().get("/q/metrics").then().statusCode(200).extract().asString();
        double sum = 0;
        for (String line : text.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!m.find() || !m.group(1).equals(metric)) {
                continue;
            }
            Map<String, String> have = new java.util.HashMap<>();
            Matcher l = LABEL.matcher(m.group(2));
            while (l.find()) {
                have.put(l.group(1), l.group(2));
            }
            if (have.entrySet().containsAll(labels.entrySet())) {
                sum += Double.parseDouble(m.group(3));
            }
        }
        return sum;
    }

    /** {@code keyward_provider_calls_total} for the local provider and one operation, all outcomes. */
    static long localCalls(String operation) {
        return (long) counter("keyward_provider_calls_total", Map.of("provider", "local", "operation", operation));
    }

    static long localCalls(String operation, String outcome) {
        return (long) counter("keyward_provider_calls_total",
                Map.of("provider", "local", "operation", operation, "outcome", outcome));
    }

    static long cacheRequests(String cache, String result) {
        return (long) counter("keyward_cache_requests_total", Map.of("cache", cache, "result", result));
    }

    /**
     * Offset and length of the wrapped DEK inside a v1 envelope: magic(2) version(1) suite(1) u8 keyIdLen,
     * keyId, u16 wrappedLen, wrapped (docs/reference/envelope-format.md).
     */
    static int[] wrappedRegion(byte[] envelope) {
        int keyIdLen = envelope[4] & 0xff;
        int lenAt = 5 + keyIdLen;
        int wrappedLen = ((envelope[lenAt] & 0xff) << 8) | (envelope[lenAt + 1] & 0xff);
        return new int[] {lenAt + 2, wrappedLen};
    }

    static byte[] wrappedDek(byte[] envelope) {
        int[] r = wrappedRegion(envelope);
        return Arrays.copyOfRange(envelope, r[0], r[0] + r[1]);
    }

    static ValidatableResponse localKms(String name, String verb) {
        return Api.admin().post("/v1/local-kms/keys/" + name + ":" + verb).then();
    }

    static ValidatableResponse tenant(String tenant) {
        return Api.admin().get("/v1/tenants/" + tenant).then();
    }
}
