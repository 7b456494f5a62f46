package io.keyward.audit;

import java.time.Instant;

/**
 * One audited fact: who did what to which tenant and key, and how it ended. {@code detail} is a short,
 * caller-safe sentence; it never holds key material, plaintext or tokens.
 *
 * @param seq       the row's global, ever-increasing sequence number (the order events were appended in)
 * @param chainSeq  the event's position in its chain (1, 2, ...); null on rows written before chaining began
 * @param prevHash  the hash of the previous event of the chain ({@link AuditChain#GENESIS} for the first); null
 *                  when unchained
 * @param hash      {@link AuditChain#hash(AuditEvent)} as written; null when unchained
 */
public record AuditEvent(long seq, String id, String tenantId, String keyId, String actor, String action,
        String outcome, String detail, String requestId, Instant createdAt, Long chainSeq, String prevHash,
        String hash) {

    /** Written before the hash chain existed (migration V3). */
    public boolean unchained() {
        return chainSeq == null && prevHash == null && hash == null;
    }
}
