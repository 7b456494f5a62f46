package io.keyward.audit;

import io.keyward.db.Database;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * {@code /q/health/ready}: DOWN while the database is unreachable, with the number of audit events waiting for it.
 * Cached data-plane requests are still served meanwhile (docs/explanation/revocation.md, "Failure modes"); the
 * check tells operators, and a load balancer that honours it prefers replicas that can also take admin writes.
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
        return HealthCheckResponse.named("keyward-database").status(up)
                .withData("database", up ? "reachable" : "unreachable")
                .withData("auditBuffered", buffer.size())
                .withData("auditRefusingKeyCalls", buffer.full())
                .build();
    }
}
