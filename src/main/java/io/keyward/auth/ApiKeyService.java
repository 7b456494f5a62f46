package io.keyward.auth;

import io.keyward.config.KeywardConfig;
import io.keyward.db.Database;
import io.keyward.error.ErrorCode;
import io.keyward.error.KeywardException;
import io.keyward.keys.RevocationFeed;
import io.keyward.keys.RevocationListener;
import io.keyward.tenant.Tenant;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * API keys. Tokens are 256 random bits, so a plain SHA-256 is a sound verifier (no slow hash needed: there is
 * nothing to brute-force); only the hash is stored. Keys are held in memory by hash so authenticating a request
 * costs no database round trip; the final comparison is constant-time.
 *
 * <p>Revocation: a revoked key keeps its row ({@code revoked_at}) and its id goes into {@code revokedIds}, which every
 * authentication checks, so neither the in-memory map nor the database lookup of an unknown token can admit it
 * again. Other replicas hear of it through the revocation NOTIFY ({@link RevocationFeed}) when it commits, and every
 * replica re-reads the revoked ids every {@code keyward.auth.api-key-refresh} in case a notice was missed.
 */
@Singleton
public class ApiKeyService {
    private static final Logger LOG = Logger.getLogger(ApiKeyService.class);
    static final String TOKEN_PREFIX = "kw_";
    public static final String BOOTSTRAP_FILE = "bootstrap-token";
    /** What an API key id can look like ({@code ak_} + hex, {@code ak_bootstrap_} + hex); anything else is unknown. */
    private static final Pattern ID = Pattern.compile("ak_[a-z0-9_]{1,29}");

    private final Database db;
    private final KeywardConfig config;
    private final RevocationFeed feed;
    private final SecureRandom random = new SecureRandom();
    /** Live keys by token hash. */
    private final ConcurrentHashMap<String, ApiKey> byHash = new ConcurrentHashMap<>();
    /** Ids of every key known to be revoked; only ever grows (a revocation is final). */
    private final Set<String> revokedIds = ConcurrentHashMap.newKeySet();
    private final com.github.benmanes.caffeine.cache.Cache<String, Boolean> recentMisses =
            com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(10_000)
                    .expireAfterWrite(java.time.Duration.ofSeconds(5)).build();
    private final LookupBudget lookupBudget = new LookupBudget(50);

    public ApiKeyService(Database db, KeywardConfig config, RevocationFeed feed) {
        this.db = db;
        this.config = config;
        this.feed = feed;
    }

    /** A new key and its token; the token is returned once and never stored. */
    public record Issued(ApiKey key, String token) {
        @Override
        public String toString() {
            return "Issued[" + key + ", token=redacted]";
        }
    }

    void onStart(@Observes StartupEvent event) {
        startUp();
    }

    /** Loads every key and makes the bootstrap key if needed: what each start of a replica does. */
    void startUp() {
        reload();
        bootstrap();
    }

    public Issued create(String name, List<String> roleNames, List<String> tenantIds) {
        if (name == null || name.isBlank() || name.length() > 256) {
            throw KeywardException.of(ErrorCode.INVALID_REQUEST, "name is required, 1 to 256 characters");
        }
        if (roleNames == null || roleNames.isEmpty()) {
            throw KeywardException.of(ErrorCode.INVALID_REQUEST, "roles must list at least one of: admin, tenant-admin, app");
        }
        Set<Role> roles = new LinkedHashSet<>();
        for (String r : roleNames) {
            try {
                roles.add(Role.fromWire(r));
            } catch (IllegalArgumentException e) {
                throw KeywardException.of(ErrorCode.INVALID_REQUEST, e.getMessage());
            }
        }
        Set<String> tenants = new LinkedHashSet<>(tenantIds == null ? List.of() : tenantIds);
        for (String t : tenants) {
            if (!Caller.ALL_TENANTS.equals(t) && !Tenant.isValidId(t)) {
                throw KeywardException.of(ErrorCode.INVALID_REQUEST,
                        "tenants must be tenant ids (^[a-z0-9][a-z0-9-]{1,62}$) or \"*\"");
            }
        }
        if ((roles.contains(Role.APP) || roles.contains(Role.TENANT_ADMIN)) && !roles.contains(Role.ADMIN)
                && tenants.isEmpty()) {
            throw KeywardException.of(ErrorCode.INVALID_REQUEST,
                    "an app or tenant-admin key must list its tenants (or \"*\")");
        }
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        String id = "ak_" + randomId();
        String token = TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        Arrays.fill(secret, (byte) 0);
        ApiKey key = new ApiKey(id, name.strip(), hash(token), roles, tenants, Instant.now(), null);
        insert(key);
        return new Issued(key, token);
    }

    /** The caller a bearer token stands for, if any. */
    public Optional<Caller> authenticate(String token) {
        if (token == null || token.isEmpty() || token.length() > 512) {
            return Optional.empty();
        }
        String h = hash(token);
        ApiKey key = byHash.get(h);
        if (key == null && token.startsWith(TOKEN_PREFIX)) {
            key = createdElsewhere(h);
        }
        if (key == null || revokedIds.contains(key.id())
                || !MessageDigest.isEqual(h.getBytes(StandardCharsets.US_ASCII),
                        key.tokenHash().getBytes(StandardCharsets.US_ASCII))) {
            return Optional.empty();
        }
        return Optional.of(key.caller());
    }

    /**
     * A key another replica created after this one loaded its keys: looked up by hash in the database. Misses are
     * remembered for a few seconds and the lookups are rate-limited, so a flood of made-up tokens cannot turn into
     * a flood of queries; a database that cannot answer means "not known", never an error.
     */
    private ApiKey createdElsewhere(String hash) {
        if (recentMisses.getIfPresent(hash) != null || !lookupBudget.tryAcquire()) {
            return null;
        }
        try {
            List<ApiKey> found = db.query("SELECT * FROM api_key WHERE token_hash = ? AND revoked_at IS NULL",
                    ApiKeyService::row, hash);
            if (found.isEmpty()) {
                recentMisses.put(hash, Boolean.TRUE);
                return null;
            }
            ApiKey key = found.get(0);
            byHash.put(hash, key);
            if (revokedIds.contains(key.id())) {
                // Revoked between the read and the put: authenticate refuses it anyway; don't keep it either.
                byHash.remove(hash, key);
                return null;
            }
            return key;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** At most {@code perSecond} database lookups of unknown tokens per second on this replica. */
    static final class LookupBudget {
        private final int perSecond;
        private long window;
        private int used;

        LookupBudget(int perSecond) {
            this.perSecond = perSecond;
        }

        synchronized boolean tryAcquire() {
            long now = System.nanoTime() / 1_000_000_000L;
            if (now != window) {
                window = now;
                used = 0;
            }
            return used++ < perSecond;
        }
    }

    /** Every key, revoked ones included, oldest first. */
    public List<ApiKey> list() {
        return db.query("SELECT * FROM api_key ORDER BY created_at, id", ApiKeyService::row);
    }

    /** A revocation's result: the key as it now stands, and whether it was revoked before this call. */
    public record Revocation(ApiKey key, boolean alreadyRevoked) {
    }

    /**
     * Revokes key {@code id} for good: its row is kept with {@code revoked_at}, this replica refuses its token from
     * now on, and every other replica is told in the same transaction. Revoking a revoked key changes nothing.
     * {@code caller} may not revoke its own key when that is the last live admin key (nobody could administer
     * keyward through an API key afterwards).
     */
    public Revocation revoke(String id, Caller caller) {
        if (id == null || !ID.matcher(id).matches()) {
            throw notFound();
        }
        Revocation r = feed.publishApiKeyRevoked(id, () -> db.inTransaction(c -> revokeRow(c, id, caller)));
        forget(id);
        return r;
    }

    private Revocation revokeRow(Connection c, String id, Caller caller) throws SQLException {
        // Locks every live key, in id order (no deadlock between two revocations): of two admins revoking their own
        // keys at once, the second sees the first's key as revoked once it gets the lock, so one admin key survives.
        List<ApiKey> live = Database.query(c, "SELECT * FROM api_key WHERE revoked_at IS NULL ORDER BY id FOR UPDATE",
                ApiKeyService::row);
        Optional<ApiKey> target = live.stream().filter(k -> k.id().equals(id)).findFirst();
        if (target.isEmpty()) {
            List<ApiKey> revoked = Database.query(c, "SELECT * FROM api_key WHERE id = ?", ApiKeyService::row, id);
            if (revoked.isEmpty()) {
                throw notFound();
            }
            return new Revocation(revoked.get(0), true);
        }
        ApiKey key = target.get();
        if (caller.isApiKey(id) && key.isAdmin() && live.stream().filter(ApiKey::isAdmin).count() == 1) {
            throw KeywardException.of(ErrorCode.LAST_ADMIN_KEY, "API key " + id + " is the request's own key and the"
                    + " last admin API key that is not revoked; create another admin key first");
        }
        Instant now = Instant.now();
        Database.update(c, "UPDATE api_key SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", now, id);
        return new Revocation(key.revokedAt(now), false);
    }

    private static KeywardException notFound() {
        return KeywardException.of(ErrorCode.KEY_NOT_FOUND, "no API key with that id");
    }

    /** From now on this replica refuses key {@code id}'s token. */
    private void forget(String id) {
        revokedIds.add(id);
        byHash.values().removeIf(k -> k.id().equals(id));
    }

    /** Another replica revoked a key (its NOTIFY, through the {@link RevocationListener}). */
    void revokedElsewhere(@Observes RevocationListener.ApiKeyRevoked event) {
        if (event.apiKeyId() != null) {
            forget(event.apiKeyId());
        }
    }

    /**
     * Re-reads which keys are revoked: bounds how long a key revoked elsewhere stays usable here when its notice was
     * missed (listener down) or its row was changed by hand. A database that cannot answer is tried again next time.
     */
    @Scheduled(every = "${keyward.auth.api-key-refresh:10s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void refreshRevoked() {
        List<String> ids;
        try {
            ids = db.query("SELECT id FROM api_key WHERE revoked_at IS NOT NULL", rs -> rs.getString(1));
        } catch (RuntimeException e) {
            LOG.debugf("revoked API keys not re-read: %s", e.getMessage());
            return;
        }
        revokedIds.addAll(ids);
        byHash.values().removeIf(k -> revokedIds.contains(k.id()));
    }

    private void reload() {
        List<ApiKey> all = list();
        Map<String, ApiKey> fresh = all.stream().filter(k -> !k.revoked())
                .collect(Collectors.toMap(ApiKey::tokenHash, k -> k));
        all.stream().filter(ApiKey::revoked).forEach(k -> revokedIds.add(k.id()));
        byHash.clear();
        byHash.putAll(fresh);
    }

    /**
     * First start: KEYWARD_BOOTSTRAP_TOKEN becomes an admin key; without it a random admin token is written to
     * {@code <data-dir>/bootstrap-token} (owner-only) when no live admin key exists. The log names the file, never
     * the token. A revoked bootstrap key stays revoked: the same KEYWARD_BOOTSTRAP_TOKEN never makes it live again,
     * a new value makes a new key.
     */
    private void bootstrap() {
        Optional<String> configured = config.bootstrapToken().filter(s -> !s.isBlank());
        if (configured.isPresent()) {
            String token = configured.get();
            List<ApiKey> existing = db.query("SELECT * FROM api_key WHERE token_hash = ?", ApiKeyService::row,
                    hash(token));
            if (existing.isEmpty()) {
                insert(new ApiKey("ak_bootstrap_" + randomId(), "bootstrap", hash(token), Set.of(Role.ADMIN),
                        Set.of(Caller.ALL_TENANTS), Instant.now(), null));
                LOG.info("bootstrap admin API key created from KEYWARD_BOOTSTRAP_TOKEN");
            } else if (existing.get(0).revoked()) {
                LOG.warnf("the API key made from KEYWARD_BOOTSTRAP_TOKEN (%s) is revoked and stays revoked; to get a"
                        + " new bootstrap admin key, set KEYWARD_BOOTSTRAP_TOKEN to a new value", existing.get(0).id());
            }
            return;
        }
        boolean anyAdmin = byHash.values().stream().anyMatch(ApiKey::isAdmin);
        if (anyAdmin) {
            return;
        }
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        String token = TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        Arrays.fill(secret, (byte) 0);
        Path file = Path.of(config.dataDir()).resolve(BOOTSTRAP_FILE).toAbsolutePath();
        try {
            Files.createDirectories(file.getParent());
            Files.deleteIfExists(file);
            Files.createFile(file);
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // Non-POSIX file system: the data directory's ACL applies.
            }
            Files.writeString(file, token + "\n", StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the bootstrap token file " + file, e);
        }
        insert(new ApiKey("ak_bootstrap_" + randomId(), "bootstrap", hash(token), Set.of(Role.ADMIN),
                Set.of(Caller.ALL_TENANTS), Instant.now(), null));
        LOG.infof("bootstrap admin API key created; its token is in %s (readable by this user only)", file);
    }

    private void insert(ApiKey key) {
        db.update("INSERT INTO api_key (id, name, token_hash, roles, tenants, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                key.id(), key.name(), key.tokenHash(),
                key.roles().stream().map(Role::wire).collect(Collectors.joining(",")),
                String.join(",", key.tenants()), key.createdAt());
        byHash.put(key.tokenHash(), key);
    }

    private static ApiKey row(ResultSet rs) throws SQLException {
        Set<Role> roles = new LinkedHashSet<>();
        for (String r : rs.getString("roles").split(",")) {
            if (!r.isEmpty()) {
                roles.add(Role.fromWire(r));
            }
        }
        Set<String> tenants = new LinkedHashSet<>();
        for (String t : rs.getString("tenants").split(",")) {
            if (!t.isEmpty()) {
                tenants.add(t);
            }
        }
        return new ApiKey(rs.getString("id"), rs.getString("name"), rs.getString("token_hash"), roles, tenants,
                Database.instant(rs, "created_at"), Database.instant(rs, "revoked_at"));
    }

    private String randomId() {
        byte[] b = new byte[8];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    static String hash(String token) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
