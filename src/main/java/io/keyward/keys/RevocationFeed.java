package io.keyward.keys;

import io.keyward.config.KeywardConfig;
import io.keyward.db.Database;
import io.keyward.tenant.TenantService;
import jakarta.inject.Singleton;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The sending half of revocation across replicas: each change of a tenant's revocation state (kill switch, a key
 * found revoked, a retire, a restore) is written together with a NOTIFY in one transaction, so every replica's
 * {@link RevocationListener} hears of it exactly when it commits. API key revocations travel the same way (an API
 * key belongs to no tenant). A no-op on the embedded H2 default.
 */
@Singleton
public class RevocationFeed {
    private static final Pattern CHANNEL = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private final Database db;
    private final TenantService tenants;
    private final String channel;
    /** This replica's id: its own notices are not applied twice, and it names the listener connection. */
    private final String origin;

    public RevocationFeed(Database db, TenantService tenants, KeywardConfig config) {
        this.db = db;
        this.tenants = tenants;
        this.channel = config.replicas().channel();
        if (!CHANNEL.matcher(channel).matches()) {
            throw new IllegalArgumentException("keyward.replicas.channel must match " + CHANNEL.pattern());
        }
        byte[] id = new byte[6];
        new SecureRandom().nextBytes(id);
        this.origin = HexFormat.of().formatHex(id);
    }

    String channel() {
        return channel;
    }

    String origin() {
        return origin;
    }

    /** Runs {@code change} and tells every other replica about it in the same transaction. */
    <T> T publish(RevocationNotice.Kind kind, String tenantId, String keyId, Supplier<T> change) {
        try {
            return db.inTransactionWithNotify(channel, new RevocationNotice(kind, tenantId, keyId, origin).encode(),
                    change);
        } catch (RuntimeException e) {
            // The snapshot taken inside the transaction may show a change that rolled back.
            tenants.forget(tenantId);
            throw e;
        }
    }

    /**
     * Runs {@code change} (marking API key {@code apiKeyId} revoked) and tells every other replica about it in the
     * same transaction: each drops the key from its in-memory map when the change commits.
     */
    public <T> T publishApiKeyRevoked(String apiKeyId, Supplier<T> change) {
        return db.inTransactionWithNotify(channel,
                new RevocationNotice(RevocationNotice.Kind.API_KEY_REVOKED, null, apiKeyId, origin).encode(), change);
    }
}
