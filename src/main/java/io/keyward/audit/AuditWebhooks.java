package io.keyward.audit;

import io.keyward.db.Database;
import io.keyward.error.ErrorCode;
import io.keyward.error.KeywardException;
import io.keyward.seal.SecretSealer;
import jakarta.enterprise.context.ApplicationScoped;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** Each tenant's optional audit webhook: where its events go and the sealed secret that signs them. */
@ApplicationScoped
public class AuditWebhooks {
    static final int MAX_URL = 2048;
    /** HMAC-SHA256 keys shorter than 16 bytes are guessable; longer than 1 KiB is a mistake, not a key. */
    static final int MIN_SECRET = 16;
    static final int MAX_SECRET = 1024;

    private final Database db;
    private final SecretSealer sealer;

    public AuditWebhooks(Database db, SecretSealer sealer) {
        this.db = db;
        this.sealer = sealer;
    }

    /** A configured webhook as the API may show it: never the secret. */
    public record Webhook(String tenantId, String url, Instant updatedAt) {
    }

    /** Where one tenant's events go now, with the unsealed signing secret. */
    public record Target(String url, byte[] secret) {
        @Override
        public String toString() {
            return "Target[url=" + url + ", secret=<redacted>]";
        }
    }

    /** Creates or replaces the tenant's webhook (the tenant must exist). */
    public Webhook set(String tenantId, String url, String secret) {
        URI uri = validUrl(url);
        byte[] key = validSecret(secret);
        String sealed;
        try {
            sealed = sealer.seal(key, boundTo(tenantId));
        } finally {
            Arrays.fill(key, (byte) 0);
        }
        Instant now = Instant.now();
        String u = uri.toString();
        // Replace, or insert the first one; a concurrent first PUT loses on the primary key and replaces instead.
        for (int attempt = 0; ; attempt++) {
            try {
                int n = db.update("UPDATE audit_webhook SET url = ?, secret_sealed = ?, updated_at = ? WHERE tenant_id = ?",
                        u, sealed, now, tenantId);
                if (n == 0) {
                    db.update("INSERT INTO audit_webhook (tenant_id, url, secret_sealed, updated_at) VALUES (?, ?, ?, ?)",
                            tenantId, u, sealed, now);
                }
                return new Webhook(tenantId, u, now);
            } catch (Database.DatabaseException e) {
                if (attempt > 0 || !e.isUniqueViolation()) {
                    throw e;
                }
            }
        }
    }

    /** @return whether there was one */
    public boolean delete(String tenantId) {
        return db.update("DELETE FROM audit_webhook WHERE tenant_id = ?", tenantId) > 0;
    }

    /** The delivery target for a tenant's next event, if it has a webhook. */
    Optional<Target> target(String tenantId) {
        return db.queryOne("SELECT url, secret_sealed FROM audit_webhook WHERE tenant_id = ?",
                rs -> new Target(rs.getString(1), sealer.unseal(rs.getString(2), boundTo(tenantId))), tenantId);
    }

    private static String boundTo(String tenantId) {
        return "audit-webhook:" + tenantId;
    }

    /**
     * An absolute http(s) URL with a host and no user info (credentials belong in the secret, not in a URL that
     * is stored in clear and shown back). Plain http is allowed: receivers on a private network or the loopback
     * are common, and the signature, not the transport, proves the sender.
     */
    static URI validUrl(String url) {
        if (url == null || url.isBlank() || url.length() > MAX_URL) {
            throw invalid("url is required, at most " + MAX_URL + " characters");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw invalid("url is not a valid URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http") || uri.getHost() == null || uri.getRawUserInfo() != null
                || uri.getRawFragment() != null) {
            throw invalid("url must be an absolute http or https URL with a host, no user info and no fragment");
        }
        return uri;
    }

    private static byte[] validSecret(String secret) {
        byte[] b = secret == null ? new byte[0] : secret.getBytes(StandardCharsets.UTF_8);
        if (b.length < MIN_SECRET || b.length > MAX_SECRET) {
            throw invalid("secret is required, " + MIN_SECRET + " to " + MAX_SECRET + " bytes (UTF-8)");
        }
        return b;
    }

    private static KeywardException invalid(String message) {
        return KeywardException.of(ErrorCode.INVALID_REQUEST, message);
    }
}
