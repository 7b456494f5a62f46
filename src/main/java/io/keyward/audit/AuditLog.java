package io.keyward.audit;

import io.keyward.db.Database;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * The audit trail: admin changes, key checks, revocations and every call to a customer's key manager (cached
 * encrypts and decrypts are not calls, and are not audited one by one).
 */
@ApplicationScoped
public class AuditLog {
    private static final Logger LOG = Logger.getLogger(AuditLog.class);

    private final Database db;

    public AuditLog(Database db) {
        this.db = db;
    }

    public void record(Actor actor, String tenantId, String keyId, String action, String outcome, String detail) {
        try {
            db.update("INSERT INTO audit_event (id, tenant_id, key_id, actor, action, outcome, detail, request_id, "
                    + "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", UUID.randomUUID().toString(), tenantId, keyId,
                    clip(actor.name(), 256), action, outcome, clip(detail, 1000), actor.requestId(), Instant.now());
        } catch (RuntimeException e) {
            // Buffering and fail-closed behaviour when the database is down arrive with the production issue;
            // until then a lost audit write is loud in the log, never silent.
            LOG.errorf("audit write failed: tenant=%s action=%s outcome=%s (%s)", tenantId, action, outcome,
                    e.getMessage());
        }
    }

    /** A tenant's events, newest first, with sequence numbers below {@code beforeSeq} (exclusive). */
    public List<AuditEvent> list(String tenantId, long beforeSeq, int limit) {
        return db.query("SELECT * FROM audit_event WHERE tenant_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                AuditLog::row, tenantId, beforeSeq, limit);
    }

    private static AuditEvent row(ResultSet rs) throws SQLException {
        return new AuditEvent(rs.getLong("seq"), rs.getString("id"), rs.getString("tenant_id"), rs.getString("key_id"),
                rs.getString("actor"), rs.getString("action"), rs.getString("outcome"), rs.getString("detail"),
                rs.getString("request_id"), Database.instant(rs, "created_at"));
    }

    private static String clip(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }
}
