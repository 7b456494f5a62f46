package io.keyward.auth;

import io.quarkus.oidc.AccessTokenCredential;
import io.quarkus.oidc.TenantIdentityProvider;
import io.quarkus.oidc.runtime.OidcJwtCallerPrincipal;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.json.JsonString;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * OIDC bearer JWTs. quarkus-oidc verifies signature, issuer, audience and expiry (its default tenant, configured
 * under {@code quarkus.oidc.*}); this class maps the verified claims onto keyward roles and tenant scope. A bearer
 * token that is not a JWT is an API key and never reaches quarkus-oidc.
 */
@Singleton
public class OidcAuthenticator {
    private static final Logger LOG = Logger.getLogger(OidcAuthenticator.class);
    // A compact JWS: three base64url segments (RFC 7515 §7.1). API keys (kw_...) contain no dot.
    private static final Pattern COMPACT_JWS = Pattern.compile("^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$");
    private static final Pattern LIST_SEPARATOR = Pattern.compile("[\\s,]+");

    private final OidcConfig config;
    private final Instance<TenantIdentityProvider> identities;

    public OidcAuthenticator(OidcConfig config, Instance<TenantIdentityProvider> identities) {
        this.config = config;
        this.identities = identities;
    }

    void onStart(@Observes StartupEvent event) {
        for (String role : config.roleMap().values()) {
            Role.fromWire(role);
        }
        if (!config.enabled()) {
            return;
        }
        // quarkus-oidc checks the audience only when one is configured; without it any token the identity
        // provider issued for any application would be accepted here.
        var mp = ConfigProvider.getConfig();
        if (mp.getOptionalValue("quarkus.oidc.token.audience", String.class).isEmpty()) {
            throw new IllegalStateException("keyward.oidc.enabled needs quarkus.oidc.token.audience");
        }
        // With a configured public key there is no discovery document, so no issuer to check unless one is set.
        if (mp.getOptionalValue("quarkus.oidc.public-key", String.class).isPresent()
                && mp.getOptionalValue("quarkus.oidc.token.issuer", String.class).isEmpty()) {
            throw new IllegalStateException("quarkus.oidc.public-key needs quarkus.oidc.token.issuer");
        }
        LOG.infof("OIDC bearer tokens accepted; roles from claim '%s', tenants from claim '%s'",
                config.rolesClaim(), config.tenantsClaim());
    }

    public boolean enabled() {
        return config.enabled();
    }

    /** Is this bearer token a JWT (to be verified here) rather than an API key? */
    public static boolean looksLikeJwt(String token) {
        return token.length() <= 16384 && COMPACT_JWS.matcher(token).matches();
    }

    /** The caller a verified JWT stands for; empty when the token is not valid (signature, iss, aud, exp). */
    public Uni<Optional<Caller>> authenticate(String token) {
        if (!config.enabled()) {
            return Uni.createFrom().item(Optional.empty());
        }
        return identities.get().authenticate(new AccessTokenCredential(token))
                .map(this::caller)
                .onFailure().recoverWithItem(e -> {
                    // The exception's message can quote the token's claims: its type is enough to go on.
                    LOG.debugf("OIDC bearer token refused (%s)", e.getClass().getSimpleName());
                    return Optional.empty();
                });
    }

    private Optional<Caller> caller(SecurityIdentity identity) {
        if (identity == null || identity.isAnonymous()
                || !(identity.getPrincipal() instanceof OidcJwtCallerPrincipal jwt)) {
            return Optional.empty();
        }
        Map<String, Object> claims = jwt.getClaims().getClaimsMap();
        Set<Role> roles = new LinkedHashSet<>();
        for (String value : values(claims, config.rolesClaim())) {
            String wire = config.roleMap().getOrDefault(value, value);
            for (Role r : Role.values()) {
                if (r.wire().equals(wire)) {
                    roles.add(r);
                }
            }
        }
        Set<String> tenants = new LinkedHashSet<>(values(claims, config.tenantsClaim()));
        String iss = String.valueOf(jwt.getIssuer());
        String sub = String.valueOf(jwt.getSubject());
        String preferred = string(claims.get("preferred_username"));
        String name = preferred == null ? sub : preferred;
        return Optional.of(new Caller(iss + "#" + sub, name, roles, tenants, "oidc:" + sub));
    }

    /** A claim's values: an exact top-level name first, else a dotted path through nested objects. */
    static List<String> values(Map<String, ?> claims, String claim) {
        Object v = claims.get(claim);
        if (v == null && claim.contains(".")) {
            Object node = claims;
            for (String part : claim.split("\\.")) {
                node = node instanceof Map<?, ?> m ? m.get(part) : null;
            }
            v = node;
        }
        if (v instanceof Collection<?> c) {
            return c.stream().map(OidcAuthenticator::string).filter(x -> x != null && !x.isEmpty()).toList();
        }
        String s = string(v);
        return s == null ? List.of() : LIST_SEPARATOR.splitAsStream(s).filter(x -> !x.isEmpty()).toList();
    }

    /** quarkus-oidc hands claims over as JSON-P values (JsonObject is a Map, JsonArray a List). */
    private static String string(Object v) {
        if (v instanceof JsonString js) {
            return js.getString().strip();
        }
        return v instanceof String s ? s.strip() : null;
    }
}
