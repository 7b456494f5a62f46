package io.keyward.keys;

import io.keyward.db.Database;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Says in {@code /q/health/ready} whether this replica hears other replicas' revocations. Stays UP when the
 * listener is down: the replica is still correct then (it re-reads every tenant from the database), only
 * slower, and taking every replica out of service when PostgreSQL blips would turn a blip into an outage.
 */
@Readiness
@Singleton
public class RevocationListenerHealth implements HealthCheck {
    private final RevocationListener listener;
    private final Database db;

    public RevocationListenerHealth(RevocationListener listener, Database db) {
        this.listener = listener;
        this.db = db;
    }

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named("keyward revocation listener").up();
        if (db.embedded()) {
            return b.withData("listener", "not needed (embedded H2, one instance)").build();
        }
        return b.withData("listener", listener.listening() ? "up" : "down")
                .withData("applicationName", listener.applicationName()).build();
    }
}
