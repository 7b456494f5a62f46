package io.keyward.db;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The same Flyway migrations apply on the engine this run targets (H2 by default, PostgreSQL with -Ppostgresql). */
@QuarkusTest
class MigrationTest {
    @Inject
    Database db;

    @Test
    void theConfiguredEngineIsTheOneInUse() {
        String pgUrl = System.getProperty("quarkus.datasource.pg.jdbc.url", "");
        assertEquals(pgUrl.isBlank() ? Database.H2 : Database.POSTGRESQL, db.name());
    }

    @Test
    void everyMigrationAppliedSuccessfully() {
        List<String> failed = db.query("SELECT version FROM flyway_schema_history WHERE success = FALSE",
                rs -> rs.getString(1));
        List<String> applied = db.query("SELECT version FROM flyway_schema_history WHERE version IS NOT NULL "
                + "ORDER BY installed_rank", rs -> rs.getString(1));
        assertTrue(failed.isEmpty(), "failed migrations: " + failed);
        assertTrue(applied.contains("1"), "V1 applied: " + applied);
    }

    @Test
    void coreTablesExistAndAcceptRows() {
        for (String table : List.of("tenant", "tenant_key", "api_key", "audit_event")) {
            long n = db.queryOne("SELECT COUNT(*) FROM " + table, rs -> rs.getLong(1)).orElseThrow();
            assertTrue(n >= 0);
        }
        String id = "migration-" + System.nanoTime();
        db.update("INSERT INTO tenant (id, name, revoked, created_at, updated_at) VALUES (?, ?, FALSE, ?, ?)", id, "m",
                java.time.Instant.now(), java.time.Instant.now());
        assertEquals("m", db.queryOne("SELECT name FROM tenant WHERE id = ?", rs -> rs.getString(1), id).orElseThrow());
    }
}
