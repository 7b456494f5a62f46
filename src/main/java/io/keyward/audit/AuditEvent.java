package io.keyward.audit;

import java.time.Instant;

/**
 * One audited fact: who did what to which tenant and key, and how it ended. {@code detail} is a short,
 * caller-safe sentence; it never holds key material, plaintext or tokens.
 */
public record AuditEvent(long seq, String id, String tenantId, String keyId, String actor, String action,
        String outcome, String detail, String requestId, Instant createdAt) {
}
