package io.keyward.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyward.config.KeywardConfig;
import io.keyward.keys.CryptoService;
import io.keyward.tenant.TenantService;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The harness works: every in-app scenario runs once, briefly ({@link BenchSettings#smoke()}), and produces
 * well-formed rows in results.json (the JMH codec scenario: CodecBenchSmokeTest). It checks shape, never speed: no target is asserted here.
 */
@QuarkusTest
class BenchHarnessSmokeTest {
    private static final Set<String> SCENARIOS = Set.of("http", "naive-envelope", "tenant-scale", "batch",
            "cold-start", "streaming");

    @TestHTTPResource("/")
    URL base;
    @Inject
    CryptoService crypto;
    @Inject
    TenantService tenants;
    @Inject
    MeterRegistry meters;
    @Inject
    KeywardConfig config;

    @Test
    void everyScenarioWritesWellFormedRowsToResultsJson() throws Exception {
        BenchSettings s = BenchSettings.smoke();
        BenchApp app = new BenchApp(URI.create(base.toString()), crypto, tenants, meters);
        BenchResults out = BenchRun.withoutCodec(s, app, config.cache().maxAge(), false, new BenchResults());
        Path file = BenchRun.report(out, s, Path.of("target/bench/smoke"));

        JsonNode doc = new ObjectMapper().readTree(file.toFile());
        assertEquals("keyward-bench/1", doc.path("format").asText());
        assertTrue(doc.path("machine").path("cores").asInt() > 0, "cores recorded");
        assertTrue(doc.path("machine").path("jvm").asText().length() > 0, "JVM recorded");
        assertTrue(doc.path("machine").path("loadAverageAtStart").isArray(), "load average recorded");
        List<JsonNode> rows = iterable(doc.path("rows"));
        assertEquals(SCENARIOS, rows.stream().map(r -> r.path("scenario").asText()).collect(Collectors.toSet()),
                "a row from every scenario");
        // 7 HTTP rows; naive: ratio, 2 call counts, wraps per max age.
        assertEquals(7, count(rows, "http"));
        assertEquals(4, count(rows, "naive-envelope"));
        for (JsonNode r : rows) {
            String status = r.path("status").asText();
            assertTrue(Set.of("MET", "MISSED", "INFO", "MISSING").contains(status), r::toString);
            assertTrue(r.path("metric").asText().length() > 0, r::toString);
            if (status.equals("MISSING")) {
                continue;
            }
            assertTrue(r.path("measured").isNumber() && r.path("measured").asDouble() >= 0, r::toString);
            assertTrue(Double.isFinite(r.path("measured").asDouble()), r::toString);
            if (!r.path("target").isNull()) {
                assertTrue(r.path("ratio").isNumber() && Double.isFinite(r.path("ratio").asDouble()), r::toString);
                assertTrue(status.equals("MET") || status.equals("MISSED"), r::toString);
            }
        }
        assertEquals("MISSING", rows.stream().filter(r -> r.path("scenario").asText().equals("streaming"))
                .findFirst().orElseThrow().path("status").asText(), "streaming is a hook, not a result");
        assertNotNull(out.table());
    }

    private static long count(List<JsonNode> rows, String scenario) {
        return rows.stream().filter(r -> r.path("scenario").asText().equals(scenario)).count();
    }

    private static List<JsonNode> iterable(JsonNode array) {
        List<JsonNode> out = new java.util.ArrayList<>();
        array.forEach(out::add);
        return out;
    }
}
