package io.keyward.api;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Request and response bodies of the /v1 API (docs/reference/api.md). Binary values are standard base64. */
public final class Dto {
    private Dto() {
    }

    public record CreateApiKey(String name, List<String> roles, List<String> tenants) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ApiKeyView(String id, String name, List<String> roles, Set<String> tenants, Instant createdAt,
            Instant revokedAt, String token) {
        @Override
        public String toString() {
            return "ApiKeyView[id=" + id + ", token=redacted]";
        }
    }

    public record CreateLocalKey(String name) {
    }

    public record LocalKeyView(String name, String keyUri, String state, Instant createdAt) {
    }

    public record CreateTenant(String id, String name) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TenantView(String id, String name, String state, String primaryKeyId, String revokedReason,
            Instant revokedAt, Instant createdAt, List<TenantKeyView> keys) {
    }

    public record AttachKey(String provider, String keyUri, Map<String, String> options) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TenantKeyView(String id, String provider, String keyUri, Map<String, String> options,
            Set<String> secretOptions, String state, String health, String healthDetail, Instant healthCheckedAt,
            Instant createdAt) {
    }

    public record CheckView(String status, String detail, long latencyMs) {
    }

    public record Revoke(String reason) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record AuditView(String id, Instant time, String tenantId, String keyId, String actor, String action,
            String outcome, String detail, String requestId) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Page<T>(List<T> items, String nextCursor) {
    }

    public record Items<T>(List<T> items) {
    }

    public record Encrypt(String plaintext, Map<String, String> context) {
        @Override
        public String toString() {
            return "Encrypt[redacted]";
        }
    }

    public record Ciphertext(String ciphertext, String keyId) {
    }

    public record Decrypt(String ciphertext, Map<String, String> context) {
    }

    public record Plaintext(String plaintext) {
        @Override
        public String toString() {
            return "Plaintext[redacted]";
        }
    }

    public record BatchItem(String id, String plaintext, String ciphertext, Map<String, String> context) {
        @Override
        public String toString() {
            return "BatchItem[id=" + id + ", redacted]";
        }
    }

    public record Batch(List<BatchItem> items) {
    }

    public record ItemError(String code, String detail) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record BatchResult(String id, String ciphertext, String keyId, String plaintext, ItemError error) {
        @Override
        public String toString() {
            return "BatchResult[id=" + id + ", redacted]";
        }
    }

    public record DataKeyRequest(Map<String, String> context) {
    }

    public record DataKeyView(String plaintextKey, String wrappedKey, String keyId) {
        @Override
        public String toString() {
            return "DataKeyView[keyId=" + keyId + ", redacted]";
        }
    }

    public record UnwrapDataKey(String wrappedKey, Map<String, String> context) {
    }

    public record PlaintextKey(String plaintextKey) {
        @Override
        public String toString() {
            return "PlaintextKey[redacted]";
        }
    }

    /** Body of {@code :retire}, optional: {@code force} retires a key used within the retire window. */
    public record Retire(Boolean force) {
    }
}
