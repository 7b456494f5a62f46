package io.keyward.bench;

import io.keyward.config.KeywardConfig;
import io.keyward.keys.CryptoService;
import io.keyward.tenant.TenantService;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The benchmark: {@code ./mvnw -B -Pbench verify} (docs/explanation/performance.md). Not a test of behaviour and
 * never in the normal test command: its name matches none of surefire's default includes, and the bench profile
 * alone runs it. It asserts only that every scenario produced rows; targets are reported, not asserted.
 */
@QuarkusTest
@Tag("bench")
class BenchSuite {
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
    void runEveryScenario() throws Exception {
        BenchSettings s = BenchSettings.full();
        BenchApp app = new BenchApp(URI.create(base.toString()), crypto, tenants, meters);
        BenchResults out = BenchRun.all(s, app, config.cache().maxAge(), true);
        BenchRun.report(out, s, Path.of("target/bench"));
        assertFalse(out.rows().isEmpty());
    }
}
