package io.keyward.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.keyward.testing.Api;
import io.keyward.testing.FaultyKeyProvider;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * After traffic that touches every meter, {@code /q/metrics} exports exactly the keyward_* metrics that
 * docs/reference/metrics.md lists, none with a tenant label; and every metric the Grafana dashboard and the Prometheus
 * alert rules name is one the application exports, so neither can drift from the code.
 */
@QuarkusTest
@TestProfile(MetricsCatalogueTest.FreshApplication.class)
class MetricsCatalogueTest {
    /**
     * An application of its own: the counters' values then come from this class's traffic only, so "at zero before
     * the first revocation" is checked, not the count other test classes left in a shared application.
     */
    public static class FreshApplication implements QuarkusTestProfile {
    }

    private static final Pattern METRIC = Pattern.compile("\\b((?:keyward|http_server|jvm)_[a-z0-9_]+)");
    private static final Pattern DOCUMENTED = Pattern.compile("`(keyward_[a-z0-9_]+)`");
    private static final List<String> SUFFIXES = List.of("", "_bucket", "_count", "_sum", "_max");

    @Inject
    FaultyKeyProvider faulty;

    /** The scrape after the traffic, taken once for the class. */
    private static String scrape;

    @BeforeEach
    void traffic() {
        if (scrape != null) {
            return;
        }
        String tenant = Api.unique("metrics");
        Api.tenantWithLocalKey(tenant, Api.unique("metrics-kek"));
        String app = Api.appToken(tenant);
        String ct = Api.encrypt(app, tenant, new byte[] {1}, Map.of()).statusCode(200).extract().path("ciphertext");
        Api.encrypt(app, tenant, new byte[] {2}, Map.of()).statusCode(200);
        Api.decrypt(app, tenant, ct, Map.of()).statusCode(200);
        Api.admin().body(Map.of("reason", "metrics test")).post("/v1/tenants/" + tenant + ":revoke").then()
                .statusCode(200);

        // A key manager that keeps failing: its tenant key's circuit opens and later calls are refused.
        String failing = Api.unique("metrics-down");
        String faultyKek = Api.unique("kek");
        Api.tenantWithFaultyKey(failing, faultyKek);
        faulty.set(faultyKek, FaultyKeyProvider.Mode.UNAVAILABLE);
        for (int i = 0; i < 40 && !scrape().contains("keyward_provider_refused_total{"); i++) {
            Api.admin().body(Map.of("context", Map.of())).post("/v1/tenants/" + failing + "/datakey").then()
                    .statusCode(503);
        }
        Api.admin().body(Map.of("reason", "metrics test")).post("/v1/tenants/" + failing + ":revoke").then()
                .statusCode(200);
        // Micrometer registers jvm_gc_pause_seconds at the first collection, which a fresh application may not have
        // had yet; the dashboard plots it. (@QuarkusTest: the application runs in this JVM.)
        for (int i = 0; i < 50 && !scrape().contains("jvm_gc_pause_seconds_count{"); i++) {
            System.gc();
            io.keyward.testing.Sleep.quietly(java.time.Duration.ofMillis(100));
        }
        scrape = scrape();
    }

    private static String scrape() {
        return RestAssured.given().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    private Set<String> exported(String prefix) {
        Set<String> names = new TreeSet<>();
        for (String line : scrape.lines().toList()) {
            if (!line.startsWith("#") && line.startsWith(prefix)) {
                names.add(line.split("[{ ]", 2)[0]);
            }
        }
        return names;
    }

    @Test
    void everyDocumentedKeywardMetricIsExportedAndEveryExportedOneIsDocumented() throws IOException {
        String doc = Files.readString(Path.of("docs/reference/metrics.md"));
        String table = doc.substring(doc.indexOf("## keyward's meters"), doc.indexOf("## What to watch"));
        Set<String> documented = new TreeSet<>();
        Matcher m = DOCUMENTED.matcher(table);
        while (m.find()) {
            documented.add(m.group(1));
        }
        Set<String> exported = exported("keyward_");
        assertTrue(documented.size() >= 15, "the table was read: " + documented);

        Set<String> undocumented = new TreeSet<>(exported);
        undocumented.removeAll(documented);
        Set<String> missing = new TreeSet<>(documented);
        missing.removeAll(exported);
        assertEquals(Set.of(), missing, "documented in metrics.md but not exported after the traffic");
        assertEquals(Set.of(), undocumented, "exported but not in metrics.md");
    }

    @Test
    void noKeywardSeriesCarriesATenantOrKeyLabel() {
        for (String line : scrape.lines().filter(l -> l.startsWith("keyward_")).toList()) {
            assertFalse(line.matches(".*[{,](tenant|tenant_id|key|key_id)=.*"), line);
            assertFalse(line.contains("metrics-"), "a tenant id as a label value: " + line);
        }
    }

    @Test
    void revocationCountersExistBeforeTheirFirstEventSoAlertsSeeIt() {
        // The traffic never had a provider say "revoked": the series is there, at zero, from start.
        assertTrue(scrape.lines().anyMatch(l -> l.equals("keyward_revocations_total{source=\"provider\"} 0.0")),
                "keyward_revocations_total{source=\"provider\"} 0.0 in the scrape");
    }

    @Test
    void providerLatencyHasFixedBucketsFromFiveMillisecondsToTenSeconds() {
        List<Double> bounds = new ArrayList<>();
        Pattern le = Pattern.compile("le=\"([^\"]+)\"");
        for (String line : scrape.lines().toList()) {
            if (line.startsWith("keyward_provider_latency_seconds_bucket{") && line.contains("operation=\"wrap\"")
                    && line.contains("outcome=\"ok\"") && line.contains("provider=\"local\"")) {
                Matcher m = le.matcher(line);
                assertTrue(m.find(), line);
                bounds.add(m.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(1)));
            }
        }
        assertEquals(List.of(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, Double.POSITIVE_INFINITY),
                bounds);
    }

    @Test
    void everyMetricTheDashboardAndAlertsNameIsExported() throws IOException {
        Set<String> exported = new TreeSet<>();
        exported.addAll(exported("keyward_"));
        exported.addAll(exported("http_server_"));
        exported.addAll(exported("jvm_"));

        JsonNode dashboard = new ObjectMapper().readTree(Path.of("deploy/grafana/keyward-dashboard.json").toFile());
        assertEquals("DS_PROMETHEUS", dashboard.path("__inputs").path(0).path("name").asText(),
                "the datasource is an input chosen at import");
        List<String> expressions = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            if (panel.path("type").asText().equals("row")) {
                continue;
            }
            assertEquals("${DS_PROMETHEUS}", panel.path("datasource").path("uid").asText(), panel.path("title").asText());
            assertTrue(panel.path("targets").size() > 0, "panel without a query: " + panel.path("title"));
            panel.path("targets").forEach(t -> expressions.add(t.path("expr").asText()));
        }
        JsonNode rules = new YAMLMapper().readTree(Path.of("deploy/prometheus/keyward-alerts.yaml").toFile());
        int alerts = 0;
        for (JsonNode group : rules.path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                assertFalse(rule.path("alert").asText().isEmpty(), "an alert name: " + rule);
                expressions.add(rule.path("expr").asText());
                alerts++;
            }
        }
        assertTrue(alerts >= 5, "alerts read: " + alerts);

        Set<String> named = new TreeSet<>();
        for (String expr : expressions) {
            Matcher m = METRIC.matcher(expr);
            while (m.find()) {
                named.add(m.group(1));
            }
        }
        assertTrue(named.size() >= 15, "metrics named by the dashboard and alerts: " + named);
        List<String> unknown = named.stream()
                .filter(n -> SUFFIXES.stream().noneMatch(s -> exported.contains(n + s))).toList();
        assertEquals(List.of(), unknown, "named by the dashboard or alerts but not exported; exported: " + exported);
    }
}
