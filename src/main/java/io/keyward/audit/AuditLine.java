package io.keyward.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.UncheckedIOException;

/**
 * An event as it leaves keyward, one JSON object: a line of {@code audit:export} and the body of a webhook
 * delivery. Every field is written (absent ones as null) and {@code createdAt} is exactly the text that is hashed,
 * so a receiver can re-verify the chain from these objects alone (docs/explanation/audit-trail.md).
 */
public record AuditLine(long seq, Long chainSeq, String prevHash, String hash, String id, String tenantId,
        String keyId, String actor, String action, String outcome, String detail, String requestId,
        String createdAt) {

    /** A plain mapper: strings and numbers only, nulls included; no configuration may change the bytes. */
    private static final ObjectMapper JSON = new ObjectMapper();

    public static AuditLine of(AuditEvent e) {
        return new AuditLine(e.seq(), e.chainSeq(), e.prevHash(), e.hash(), e.id(), e.tenantId(), e.keyId(),
                e.actor(), e.action(), e.outcome(), e.detail(), e.requestId(), AuditChain.time(e.createdAt()));
    }

    /** UTF-8 JSON, no trailing newline. */
    public byte[] json() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
