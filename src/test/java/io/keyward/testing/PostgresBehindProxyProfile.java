package io.keyward.testing;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * keyward on the PostgreSQL at 127.0.0.1:5432 (there in every test run, the H2 one too), reached through a
 * {@link TcpProxy} the test cuts and restores, in a schema of its own so no other test's tables are touched.
 * Subclasses add the settings of their scenario.
 */
public abstract class PostgresBehindProxyProfile implements QuarkusTestProfile {
    /** One proxy for the test JVM: the JDBC URL is fixed when the application starts. */
    public static final TcpProxy PROXY = start();

    private final Map<String, String> config = new HashMap<>();

    protected PostgresBehindProxyProfile(String schema) {
        config.put("quarkus.datasource.pg.jdbc.url", "jdbc:postgresql://127.0.0.1:" + PROXY.port()
                + "/test?currentSchema=" + schema + "&connectTimeout=2&socketTimeout=5");
        config.put("quarkus.datasource.pg.username", "postgres");
        config.put("quarkus.flyway.pg.schemas", schema);
        // Fail fast while the database is away instead of queueing requests for the pool's default 5 s.
        config.put("quarkus.datasource.pg.jdbc.acquisition-timeout", "1S");
        config.put("quarkus.datasource.pg.jdbc.validation-query-sql", "SELECT 1");
        config.put("quarkus.datasource.pg.jdbc.background-validation-interval", "1S");
        // No background probes: the tests count the audit events their own requests caused.
        config.put("keyward.health.probe-interval", "1h");
    }

    protected final void put(String key, String value) {
        config.put(key, value);
    }

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.copyOf(config);
    }

    private static TcpProxy start() {
        try {
            return new TcpProxy("127.0.0.1", 5432);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
