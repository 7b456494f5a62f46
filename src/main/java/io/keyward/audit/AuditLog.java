package io.keyward.audit;

import io.keyward.db.Database;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The audit trail: admin changes, key checks, revocations and every call to a customer's key manager (cached
 * encrypts and decrypts are not calls, and are not audited one by one). Each event is appended to its tenant's
 * hash chain (docs/explanation/audit-trail.md).
 */
@ApplicationScoped
public class AuditLog {
    private static final Logger LOG = Logger.getLogger(AuditLog.class);

    /**
     * An append that lost a race is retried whole: two first appends to a new chain both insert its head (unique
     * violation, 23505), or a lock wait ended in a timeout or deadlock (H2 HYT00/40001, PostgreSQL 40P01/40001/55P03).
     */
    private static final Set<String> RETRYABLE = Set.of("23505", "HYT00", "40001", "40P01", "55P03");
    private static final int MAX_ATTEMPTS = 8;

    private final Database db;
    private final WebhookDelivery webhooks;

    public AuditLog(Database db, WebhookDelivery webhooks) {
        this.db = db;
        this.webhooks = webhooks;
    }

    /** The stored head of a chain: the position and hash of its last event. */
    public record ChainHead(long lastSeq, String lastHash) {
    }

    public void record(Actor actor, String tenantId, String keyId, String action, String outcome, String detail) {
        AuditEvent written = append(actor, tenantId, keyId, action, outcome, detail);
        if (written != null) {
            // Only committed events leave keyward; a delivery problem never touches the trail.
            try {
                webhooks.submit(written);
            } catch (RuntimeException e) {
                LOG.errorf("audit webhook not queued: tenant=%s event=%s (%s)", tenantId, written.id(), e.getMessage());
            }
        }
    }

    /** The committed event, or null if it could not be written. */
    private AuditEvent append(Actor actor, String tenantId, String keyId, String action, String outcome,
            String detail) {
        String id = UUID.randomUUID().toString();
        String actorName = clip(actor.name(), 256);
        String clipped = clip(detail, 1000);
        for (int attempt = 1; ; attempt++) {
            try {
                // A fresh creation time per attempt keeps a chain's times in append order.
                Instant now = AuditChain.truncate(Instant.now());
                return db.inTransaction(c -> append(c, id, tenantId, keyId, actorName, action, outcome, clipped,
                        actor.requestId(), now));
            } catch (Database.DatabaseException e) {
                if (attempt < MAX_ATTEMPTS && RETRYABLE.contains(e.sqlState())) {
                    continue;
                }
                lost(tenantId, action, outcome, e);
                return null;
            } catch (RuntimeException e) {
                lost(tenantId, action, outcome, e);
                return null;
            }
        }
    }

    private static void lost(String tenantId, String action, String outcome, RuntimeException e) {
        // Buffering and fail-closed behaviour when the database is down arrive with scope 3 of the production
        // issue; until then a lost audit write is loud in the log, never silent.
        LOG.errorf("audit write failed: tenant=%s action=%s outcome=%s (%s)", tenantId, action, outcome,
                e.getMessage());
    }

    /**
     * Appends under the chain head's row lock: every writer of this chain, on any replica, waits here, so
     * positions are gapless and each event hashes its true predecessor.
     */
    private static AuditEvent append(Connection c, String id, String tenantId, String keyId, String actor, String action,
            String outcome, String detail, String requestId, Instant createdAt) throws SQLException {
        String chain = AuditChain.chainOf(tenantId);
        Optional<ChainHead> head = lockHead(c, chain);
        if (head.isEmpty()) {
            // The first event of this chain. A concurrent first append fails on the primary key and is retried.
            Database.update(c, "INSERT INTO audit_chain_head (chain_id, last_seq, last_hash) VALUES (?, 0, ?)", chain,
                    AuditChain.GENESIS);
        }
        long pos = head.map(ChainHead::lastSeq).orElse(0L) + 1;
        String prev = head.map(ChainHead::lastHash).orElse(AuditChain.GENESIS);
        String hash = AuditChain.hash(pos, prev, id, tenantId, keyId, actor, action, outcome, detail, requestId,
                createdAt);
        Database.update(c, "INSERT INTO audit_event (id, tenant_id, key_id, actor, action, outcome, detail, request_id,"
                + " created_at, chain_id, chain_seq, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                id, tenantId, keyId, actor, action, outcome, detail, requestId, createdAt, chain, pos, prev, hash);
        Database.update(c, "UPDATE audit_chain_head SET last_seq = ?, last_hash = ? WHERE chain_id = ?", pos, hash,
                chain);
        long seq = Database.query(c, "SELECT seq FROM audit_event WHERE id = ?", rs -> rs.getLong(1), id).get(0);
        return new AuditEvent(seq, id, tenantId, keyId, actor, action, outcome, detail, requestId, createdAt, pos, prev,
                hash);
    }

    private static Optional<ChainHead> lockHead(Connection c, String chain) throws SQLException {
        List<ChainHead> rows = Database.query(c, "SELECT last_seq, last_hash FROM audit_chain_head WHERE chain_id = ? "
                + "FOR UPDATE", AuditLog::head, chain);
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    /** The head of a tenant's chain ({@code null}: the global chain); empty before its first chained event. */
    public Optional<ChainHead> head(String tenantId) {
        return db.queryOne("SELECT last_seq, last_hash FROM audit_chain_head WHERE chain_id = ?", AuditLog::head,
                AuditChain.chainOf(tenantId));
    }

    /** A tenant's events, newest first, with sequence numbers below {@code beforeSeq} (exclusive). */
    public List<AuditEvent> list(String tenantId, long beforeSeq, int limit) {
        return db.query("SELECT * FROM audit_event WHERE tenant_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                AuditLog::row, tenantId, beforeSeq, limit);
    }

    /** A tenant's events in append order, with sequence numbers above {@code afterSeq} (exclusive). */
    public List<AuditEvent> ascending(String tenantId, long afterSeq, int limit) {
        return db.query("SELECT * FROM audit_event WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                AuditLog::row, tenantId, afterSeq, limit);
    }

    private static ChainHead head(ResultSet rs) throws SQLException {
        return new ChainHead(rs.getLong("last_seq"), rs.getString("last_hash"));
    }

    private static AuditEvent row(ResultSet rs) throws SQLException {
        long chainSeq = rs.getLong("chain_seq");
        Long position = rs.wasNull() ? null : chainSeq;
        return new AuditEvent(rs.getLong("seq"), rs.getString("id"), rs.getString("tenant_id"), rs.getString("key_id"),
                rs.getString("actor"), rs.getString("action"), rs.getString("outcome"), rs.getString("detail"),
                rs.getString("request_id"), Database.instant(rs, "created_at"), position, rs.getString("prev_hash"),
                rs.getString("hash"));
    }

    private static String clip(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }
}
