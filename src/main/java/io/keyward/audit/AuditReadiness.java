package io.keyward.audit;

import io.keyward.db.Database;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * {@code /q/health/ready}, check {@code keyward-database}: whether the database answers, and the audit events
 * waiting for it. It stays UP while the database is unreachable: cached data-plane requests are still served
 * (docs/explanation/revocation.md, "Failure modes"), and taking every replica out of its Service on a database blip
 * would turn the blip into an outage. Operators read the details here and in the metrics.
 */
@Readiness
@ApplicationScoped
public class AuditReadiness implements HealthCheck {
    private final Database db;
    private final AuditBuffer buffer;

    public AuditReadiness(Database db, AuditBuffer buffer) {
        this.db = db;
        this.buffer = buffer;
    }

    @Override
    public HealthCheckResponse call() {
        boolean up;
        try {
            up = db.queryOne("SELECT 1", rs -> rs.getInt(1)).isPresent();
        } catch (RuntimeException e) {
            up = false;
        }
        return HealthCheckResponse.named("keyward-database").up()
                .withData("database", up ? "reachable" : "unreachable")
                .withData("auditBuffered", buffer.size())
                .withData("auditRefusingKeyCalls", buffer.full())
                .build();
    }
}
