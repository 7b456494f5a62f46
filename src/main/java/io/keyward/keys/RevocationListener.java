package io.keyward.keys;

import io.keyward.config.KeywardConfig;
import io.keyward.db.Database;
import io.keyward.tenant.Tenant;
import io.keyward.tenant.TenantService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The receiving half of revocation across replicas: one thread per replica LISTENs on a dedicated PostgreSQL
 * connection and, for each notice, drops the tenant's snapshot and purges the DEKs concerned, so the next
 * request re-reads the state from the database. While the connection is down this replica may be missing
 * notices, so it trusts no tenant snapshot (every request reads the database) until it LISTENs again, and after
 * that re-reads each tenant once. An API key revoked on another replica is passed on as an {@link ApiKeyRevoked}
 * event (io.keyward.auth observes it; keys does not import auth). Not started on the embedded H2 default.
 */
@Singleton
public class RevocationListener {
    private static final Logger LOG = Logger.getLogger(RevocationListener.class);
    private static final int POLL_MILLIS = 500;

    private final Database db;
    private final RevocationFeed feed;
    private final TenantService tenants;
    private final DekCaches caches;
    private final Revocations revocations;
    private final KeywardConfig.Replicas config;
    private final Counter reconnects;
    private final Counter received;
    private final Event<ApiKeyRevoked> apiKeyRevoked;
    private volatile boolean listening;
    private volatile boolean stopping;
    private Thread thread;

    public RevocationListener(Database db, RevocationFeed feed, TenantService tenants, DekCaches caches,
            Revocations revocations, KeywardConfig config, MeterRegistry registry,
            Event<ApiKeyRevoked> apiKeyRevoked) {
        this.db = db;
        this.feed = feed;
        this.tenants = tenants;
        this.caches = caches;
        this.revocations = revocations;
        this.apiKeyRevoked = apiKeyRevoked;
        this.config = config.replicas();
        if (this.config.reconnectMinBackoff().isNegative() || this.config.reconnectMinBackoff().isZero()
                || this.config.reconnectMaxBackoff().compareTo(this.config.reconnectMinBackoff()) < 0
                || this.config.heartbeat().isNegative() || this.config.heartbeat().isZero()) {
            throw new IllegalArgumentException("keyward.replicas.*: reconnect-min-backoff and heartbeat must be > 0 and "
                    + "reconnect-max-backoff >= reconnect-min-backoff");
        }
        Gauge.builder("keyward.revocation.listener.up", this, l -> l.listening ? 1 : 0)
                .description("1 while this replica LISTENs for other replicas' revocations (always 1 on H2)")
                .register(registry);
        this.reconnects = Counter.builder("keyward.revocation.listener.connects")
                .description("Times the revocation listener (re)connected and LISTENed").register(registry);
        this.received = Counter.builder("keyward.revocation.notices")
                .description("Revocation notices received from other replicas").register(registry);
    }

    /** Another replica revoked API key {@code apiKeyId}: drop it from this replica's in-memory keys. */
    public record ApiKeyRevoked(String apiKeyId) {
    }

    void start(@Observes StartupEvent event) {
        if (db.embedded()) {
            listening = true; // one embedded instance: nobody else can revoke anything
            return;
        }
        tenants.distrustSnapshots();
        thread = new Thread(this::run, "keyward-revocation-listener");
        thread.setDaemon(true);
        thread.start();
    }

    void stop(@Observes ShutdownEvent event) {
        stopping = true; // the thread sees it within one poll and closes its connection
        if (thread != null) {
            thread.interrupt();
        }
    }

    /** Whether this replica hears every other replica's revocations right now. */
    public boolean listening() {
        return listening;
    }

    /** The {@code application_name} of the listener's connection, as {@code pg_stat_activity} shows it. */
    public String applicationName() {
        return "keyward-listener-" + feed.origin();
    }

    private void run() {
        long backoff = config.reconnectMinBackoff().toMillis();
        boolean warned = false;
        while (!stopping) {
            try (Connection c = db.openListenerConnection(applicationName())) {
                try (Statement st = c.createStatement()) {
                    st.execute("LISTEN " + feed.channel());
                }
                // Whatever changed before this moment is in the database; whatever changes after is notified.
                tenants.trustSnapshotsFromNow();
                revocations.resync();
                listening = true;
                reconnects.increment();
                LOG.infof("revocation listener on channel %s (%s)", feed.channel(), applicationName());
                warned = false;
                backoff = config.reconnectMinBackoff().toMillis();
                listen(c);
            } catch (SQLException | RuntimeException e) {
                lost();
                if (stopping) {
                    return;
                }
                if (!warned) {
                    LOG.warnf("revocation listener down (%s); every request re-reads its tenant until it is back",
                            e.getMessage());
                    warned = true;
                }
            }
            lost();
            if (!sleep(backoff)) {
                return;
            }
            backoff = Math.min(backoff * 2, config.reconnectMaxBackoff().toMillis());
        }
    }

    private void lost() {
        listening = false;
        tenants.distrustSnapshots();
    }

    private void listen(Connection c) throws SQLException {
        PGConnection pg = c.unwrap(PGConnection.class);
        long heartbeat = config.heartbeat().toNanos();
        long lastRoundTrip = System.nanoTime();
        while (!stopping) {
            PGNotification[] notes = pg.getNotifications(POLL_MILLIS);
            if (notes != null) {
                for (PGNotification n : notes) {
                    RevocationNotice.parse(n.getParameter()).ifPresent(this::apply);
                }
                lastRoundTrip = System.nanoTime();
            } else if (System.nanoTime() - lastRoundTrip > heartbeat) {
                try (Statement st = c.createStatement()) {
                    st.execute("SELECT 1");
                }
                lastRoundTrip = System.nanoTime();
            }
        }
    }

    void apply(RevocationNotice notice) {
        if (notice.origin().equals(feed.origin())) {
            return;
        }
        if (notice.kind() == RevocationNotice.Kind.API_KEY_REVOKED) {
            received.increment();
            try {
                apiKeyRevoked.fire(new ApiKeyRevoked(notice.keyId()));
            } catch (RuntimeException e) {
                // The periodic re-read of revoked keys (keyward.auth.api-key-refresh) still catches it.
                LOG.debugf("api key revocation notice: %s", e.getClass().getName());
            }
            return;
        }
        if (!Tenant.isValidId(notice.tenantId())) {
            return;
        }
        received.increment();
        tenants.forget(notice.tenantId());
        if (notice.keyId() != null) {
            caches.purge(notice.keyId());
        }
        try {
            if (notice.kind() == RevocationNotice.Kind.TENANT_RESTORED) {
                revocations.restoredElsewhere(notice.tenantId());
            } else if (notice.kind() == RevocationNotice.Kind.TENANT_REVOKED) {
                tenants.get(notice.tenantId()).keys().forEach(k -> caches.purge(k.id()));
            }
        } catch (RuntimeException e) {
            // The snapshot is dropped already: the next request re-reads the tenant, or fails as it would anyway.
            LOG.debugf("revocation notice for tenant %s: %s", notice.tenantId(), e.getMessage());
        }
        LOG.debugf("revocation notice: %s tenant=%s key=%s", notice.kind(), notice.tenantId(), notice.keyId());
    }

    private boolean sleep(long millis) {
        try {
            Thread.sleep(millis);
            return !stopping;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
