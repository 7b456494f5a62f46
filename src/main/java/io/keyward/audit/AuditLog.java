package io.keyward.audit;

import io.keyward.db.Database;
import jakarta.enterprise.context.ApplicationScoped;
import io.quarkus.scheduler.Scheduled;
import org.jboss.logging.Logger;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;

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
    private final AuditBuffer buffer;
    /** One flusher at a time, so buffered events are written in the order they happened. */
    private final ReentrantLock flushing = new ReentrantLock();
    /** How often a buffered event may fail other than by an SQL answer before it is counted lost. */
    static final int MAX_UNEXPECTED = 3;
    private final java.util.concurrent.ConcurrentHashMap<String, Integer> unexpectedFailures =
            new java.util.concurrent.ConcurrentHashMap<>();

    public AuditLog(Database db, WebhookDelivery webhooks, AuditBuffer buffer) {
        this.db = db;
        this.webhooks = webhooks;
        this.buffer = buffer;
    }

    /** The stored head of a chain: the position and hash of its last event. */
    public record ChainHead(long lastSeq, String lastHash) {
    }

    /**
     * Writes the event to its chain; while the database is unreachable, into the bounded buffer instead. Once events
     * are buffered, later ones queue behind them, so each chain keeps the order in which things happened.
     */
    public void record(Actor actor, String tenantId, String keyId, String action, String outcome, String detail) {
        AuditBuffer.Pending p = new AuditBuffer.Pending(UUID.randomUUID().toString(), actor, tenantId, keyId, action,
                outcome, clip(detail, 1000), AuditChain.truncate(Instant.now()));
        if (!buffer.isEmpty()) {
            // Behind the buffered events; the flusher writes them all in order once the database answers again
            // (no attempt here: every request would otherwise wait for a connection that cannot be had).
            buffer.add(p);
            return;
        }
        write(p, true);
    }

    /**
     * fail-closed with a full buffer: operations that would call a key manager are refused (503) until the database
     * is back and the buffer has drained below its size.
     */
    public boolean refusing() {
        return buffer.full();
    }

    /** Writes buffered events, oldest first, until the buffer is empty or the database fails again. */
    @Scheduled(every = "${keyward.audit.flush-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void flush() {
        if (buffer.isEmpty() || !flushing.tryLock()) {
            return;
        }
        try {
            int flushed = 0;
            for (AuditBuffer.Pending p = buffer.claim(); p != null; p = buffer.claim()) {
                boolean done = write(p, false);
                buffer.release(p, done);
                if (!done) {
                    break;
                }
                flushed++;
            }
            if (flushed > 0) {
                LOG.infof("audit buffer flushed: %d events written, %d still buffered", flushed, buffer.size());
            }
        } finally {
            flushing.unlock();
        }
    }

    /**
     * Appends {@code p}; true once it is written or given up for good. False: the database is unreachable, and
     * {@code p} was buffered if {@code live}, or stays at the head of the buffer if not.
     */
    private boolean write(AuditBuffer.Pending p, boolean live) {
        AuditEvent written;
        try {
            written = append(p, live);
        } catch (Database.DatabaseException e) {
            if (unreachable(e)) {
                if (live) {
                    LOG.warnf("audit write deferred, database unreachable (%s): tenant=%s action=%s", e.getMessage(),
                            p.tenantId(), p.action());
                    buffer.add(p);
                }
                return false;
            }
            buffer.lostOne(p.tenantId(), p.action(), p.outcome(), e.getMessage());
            return true;
        } catch (RuntimeException e) {
            // Not an SQL answer (seen once: a NullPointerException while the connection pool recovered from an
            // outage). Its stack trace, never event contents, says where. The event is not given up at once: a live
            // one goes to the buffer, a buffered one stays at its head, and only after MAX_UNEXPECTED failures is it
            // counted lost, so a transient fault loses nothing and a persistent one cannot block the buffer forever.
            LOG.error("audit write failed unexpectedly", e);
            if (live) {
                buffer.add(p);
                return false;
            }
            if (unexpectedFailures.merge(p.id(), 1, Integer::sum) < MAX_UNEXPECTED) {
                return false;
            }
            unexpectedFailures.remove(p.id());
            buffer.lostOne(p.tenantId(), p.action(), p.outcome(), e.getClass().getSimpleName());
            return true;
        }
        unexpectedFailures.remove(p.id());
        // Only committed events leave keyward; a delivery problem never touches the trail.
        try {
            webhooks.submit(written);
        } catch (RuntimeException e) {
            LOG.errorf("audit webhook not queued: tenant=%s event=%s (%s)", p.tenantId(), written.id(), e.getMessage());
        }
        return true;
    }

    /**
     * Whether the failure says the database could not be reached (connection exceptions, class 08; shutdown, 57P;
     * no connection from the pool, no state) rather than that this event can never be written (data or constraint
     * errors, classes 22 and 23, which buffering would only repeat forever).
     */
    static boolean unreachable(Database.DatabaseException e) {
        String state = e.sqlState();
        return state == null || !(state.startsWith("22") || state.startsWith("23") || state.startsWith("42"));
    }

    /** The committed event; lock races are retried whole. */
    private AuditEvent append(AuditBuffer.Pending p, boolean live) {
        String actorName = clip(p.actor().name(), 256);
        for (int attempt = 1; ; attempt++) {
            try {
                // A live event takes a fresh time per attempt, which keeps a chain's times in append order; a
                // buffered one keeps the time it happened.
                Instant at = live ? AuditChain.truncate(Instant.now()) : p.createdAt();
                return db.inTransaction(c -> append(c, p.id(), p.tenantId(), p.keyId(), actorName, p.action(),
                        p.outcome(), p.detail(), p.actor().requestId(), at));
            } catch (Database.DatabaseException e) {
                if (attempt < MAX_ATTEMPTS && RETRYABLE.contains(e.sqlState())) {
                    continue;
                }
                throw e;
            }
        }
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
