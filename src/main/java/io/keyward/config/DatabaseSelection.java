package io.keyward.config;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;
import org.eclipse.microprofile.config.spi.ConfigSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Picks the database at run time so one artifact serves both the embedded default and production: PostgreSQL
 * (the named datasource {@code pg}) when {@code quarkus.datasource.pg.jdbc.url} is set, otherwise the H2 file
 * database under {@code keyward.data-dir}. A datasource's db-kind is fixed at build time, so both are built in
 * and exactly one is made active (docs/decisions/0002-h2-default-two-datasources.md). Explicit settings of
 * {@code quarkus.datasource.*.active} or of the H2 URL win over what this source proposes.
 */
public final class DatabaseSelection implements ConfigSourceFactory {
    static final int ORDINAL = 150; // below application.properties (250), system properties and env

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        boolean pg = isSet(context.getValue("quarkus.datasource.pg.jdbc.url"));
        ConfigValue dir = context.getValue("keyward.data-dir");
        String dataDir = isSet(dir) ? dir.getValue() : "./data";
        String h2Url = "jdbc:h2:file:" + Path.of(dataDir).toAbsolutePath().normalize().resolve("db").resolve("keyward")
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH"
                // H2's own JVM shutdown hook would close the database at SIGTERM, failing every request during the
                // graceful-shutdown delay and drain; the pool closes it when the application stops instead.
                + ";DB_CLOSE_ON_EXIT=FALSE";
        return List.of(new PropertiesConfigSource(Map.of(
                "quarkus.datasource.pg.active", Boolean.toString(pg),
                "quarkus.datasource.h2.active", Boolean.toString(!pg),
                "quarkus.datasource.h2.jdbc.url", h2Url), "keyward-database-selection", ORDINAL));
    }

    @Override
    public OptionalInt getPriority() {
        return OptionalInt.of(ORDINAL);
    }

    private static boolean isSet(ConfigValue v) {
        return v != null && v.getValue() != null && !v.getValue().isBlank();
    }
}
