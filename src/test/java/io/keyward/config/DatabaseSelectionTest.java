package io.keyward.config;

import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.PropertiesConfigSource;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatabaseSelectionTest {

    private static SmallRyeConfig config(Map<String, String> props) {
        return new SmallRyeConfigBuilder()
                .withSources(new PropertiesConfigSource(props, "test", 250))
                .withSources(new DatabaseSelection())
                .build();
    }

    @Test
    void withNoConfigurationH2IsActiveUnderTheDefaultDataDirectory() {
        SmallRyeConfig c = config(Map.of());
        assertEquals("true", c.getRawValue("quarkus.datasource.h2.active"));
        assertEquals("false", c.getRawValue("quarkus.datasource.pg.active"));
        String url = c.getRawValue("quarkus.datasource.h2.jdbc.url");
        assertTrue(url.startsWith("jdbc:h2:file:" + Path.of("data").toAbsolutePath().normalize() + "/db/keyward;"), url);
    }

    @Test
    void aPostgresqlUrlActivatesPostgresqlAndDeactivatesH2() {
        SmallRyeConfig c = config(Map.of("quarkus.datasource.pg.jdbc.url", "jdbc:postgresql://db:5432/keyward"));
        assertEquals("true", c.getRawValue("quarkus.datasource.pg.active"));
        assertEquals("false", c.getRawValue("quarkus.datasource.h2.active"));
    }

    @Test
    void aRelativeDataDirectoryBecomesAnAbsoluteH2Path() {
        SmallRyeConfig c = config(Map.of("keyward.data-dir", "some/dir"));
        assertTrue(c.getRawValue("quarkus.datasource.h2.jdbc.url")
                .startsWith("jdbc:h2:file:" + Path.of("some/dir").toAbsolutePath().normalize() + "/db/keyward;"));
    }

    @Test
    void explicitSettingsWinOverTheSelection() {
        SmallRyeConfig c = config(Map.of("quarkus.datasource.h2.active", "false"));
        assertEquals("false", c.getRawValue("quarkus.datasource.h2.active"));
    }
}
