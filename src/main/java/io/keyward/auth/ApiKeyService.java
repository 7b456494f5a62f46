package io.keyward.auth;

import io.keyward.config.KeywardConfig;
import io.keyward.db.Database;
import io.keyward.error.ErrorCode;
import io.keyward.error.KeywardException;
import io.keyward.tenant.Tenant;
import io.quarkus.runtime.StartupEvent;
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
import java.util.stream.Collectors;

/**
 * API keys. Tokens are 256 random bits, so a plain SHA-256 is a sound verifier (no slow hash needed: there is
 * nothing to brute-force); only the hash is stored. Keys are held in memory by hash so authenticating a request
 * costs no database round trip; the final comparison is constant-time.
 */
@Singleton
public class ApiKeyService {
    private static final Logger LOG = Logger.getLogger(ApiKeyService.class);
    static final String TOKEN_PREFIX = "kw_";
    public static final String BOOTSTRAP_FILE = "bootstrap-token";

    private final Database db;
    private final KeywardConfig config;
    private final SecureRandom random = new SecureRandom();
    private final ConcurrentHashMap<String, ApiKey> byHash = new ConcurrentHashMap<>();
    private final com.github.benmanes.caffeine.cache.Cache<String, Boolean> recentMisses =
            com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(10_000)
                    .expireAfterWrite(java.time.Duration.ofSeconds(5)).build();
    private final LookupBudget lookupBudget = new LookupBudget(50);

    public ApiKeyService(Database db, KeywardConfig config) {
        this.db = db;
        this.config = config;
    }

    /** A new key and its token; the token is returned once and never stored. */
    public record Issued(ApiKey key, String token) {
        @Override
        public String toString() {
            return "Issued[" + key + ", token=redacted]";
        }
    }

    void onStart(@Observes StartupEvent event) {
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
        ApiKey key = new ApiKey(id, name.strip(), hash(token), roles, tenants, Instant.now());
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
        if (key == null || !MessageDigest.isEqual(h.getBytes(StandardCharsets.US_ASCII),
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
            List<ApiKey> found = db.query("SELECT * FROM api_key WHERE token_hash = ?", ApiKeyService::row, hash);
            if (found.isEmpty()) {
                recentMisses.put(hash, Boolean.TRUE);
                return null;
            }
            byHash.put(hash, found.get(0));
            return found.get(0);
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

    public List<ApiKey> list() {
        return db.query("SELECT * FROM api_key ORDER BY created_at, id", ApiKeyService::row);
    }

    private void reload() {
        Map<String, ApiKey> fresh = list().stream().collect(Collectors.toMap(ApiKey::tokenHash, k -> k));
        byHash.clear();
        byHash.putAll(fresh);
    }

    /**
     * First start: KEYWARD_BOOTSTRAP_TOKEN becomes an admin key; without it a random admin token is written to
     * {@code <data-dir>/bootstrap-token} (owner-only). The log names the file, never the token.
     */
    private void bootstrap() {
        Optional<String> configured = config.bootstrapToken().filter(s -> !s.isBlank());
        if (configured.isPresent()) {
            String token = configured.get();
            if (!byHash.containsKey(hash(token))) {
                insert(new ApiKey("ak_bootstrap_" + randomId(), "bootstrap", hash(token), Set.of(Role.ADMIN),
                        Set.of(Caller.ALL_TENANTS), Instant.now()));
                LOG.info("bootstrap admin API key created from KEYWARD_BOOTSTRAP_TOKEN");
            }
            return;
        }
        boolean anyAdmin = byHash.values().stream().anyMatch(k -> k.roles().contains(Role.ADMIN));
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
                Set.of(Caller.ALL_TENANTS), Instant.now()));
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
                Database.instant(rs, "created_at"));
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
