package io.keyward.audit;

import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.Optional;

/**
 * Recomputes a tenant's chain page by page (constant memory) in append order and stops at the first event whose
 * position, link to its predecessor or own hash does not check out.
 */
@ApplicationScoped
public class AuditVerifier {
    static final int PAGE = 500;

    private final AuditLog log;

    public AuditVerifier(AuditLog log) {
        this.log = log;
    }

    public ChainVerification verify(String tenantId) {
        // The head is read before the rows: an event appended meanwhile only makes the scan longer, while one
        // removed from the tail makes the rows end before the head.
        Optional<AuditLog.ChainHead> head = log.head(tenantId);
        long expected = 1;
        String prev = AuditChain.GENESIS;
        long unchained = 0;
        long after = 0;
        AuditEvent last = null;
        while (true) {
            List<AuditEvent> page = log.ascending(tenantId, after, PAGE);
            for (AuditEvent e : page) {
                if (e.unchained() && expected == 1) {
                    unchained++;
                    continue;
                }
                String reason = check(e, expected, prev, head);
                if (reason != null) {
                    return broken(expected - 1, unchained, e.seq(), e.chainSeq(), e.id(), reason);
                }
                prev = e.hash();
                expected++;
                last = e;
            }
            if (page.size() < PAGE) {
                break;
            }
            after = page.get(page.size() - 1).seq();
        }
        long verified = expected - 1;
        if (head.isPresent() && head.get().lastSeq() > verified) {
            return broken(verified, unchained, null, verified + 1, null, "missing: the chain head records "
                    + head.get().lastSeq() + " events, the trail ends after " + verified);
        }
        if (head.isEmpty() && last != null) {
            return broken(verified, unchained, last.seq(), last.chainSeq(), last.id(), "head missing: the chain has "
                    + "events but no head");
        }
        return new ChainVerification(verified, true, null, unchained);
    }

    /** Why {@code e} does not continue the chain at position {@code expected} after {@code prev}; null if it does. */
    private static String check(AuditEvent e, long expected, String prev, Optional<AuditLog.ChainHead> head) {
        if (e.chainSeq() == null || e.prevHash() == null || e.hash() == null) {
            return "unhashed: an event without hash fields inside the chain";
        }
        // The event's own hash first: an edited row (its position included) is named as edited, not as a gap.
        if (!AuditChain.hash(e).equals(e.hash())) {
            return "hash: the event's contents do not match its hash";
        }
        if (e.chainSeq() != expected) {
            return e.chainSeq() > expected
                    ? "missing: position " + e.chainSeq() + " follows " + (expected - 1) + "; events were removed or moved"
                    : "out of order: position " + e.chainSeq() + " where " + expected + " was expected";
        }
        if (!e.prevHash().equals(prev)) {
            return "link: prevHash is not the hash of the preceding event";
        }
        if (head.isPresent() && head.get().lastSeq() == expected && !head.get().lastHash().equals(e.hash())) {
            return "head: the chain head records another hash for this event";
        }
        return null;
    }

    private static ChainVerification broken(long verified, long unchained, Long seq, Long chainSeq, String id,
            String reason) {
        return new ChainVerification(verified, false, new ChainVerification.BrokenLink(seq, chainSeq, id, reason),
                unchained);
    }
}
