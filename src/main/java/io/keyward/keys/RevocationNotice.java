package io.keyward.keys;

import java.util.Optional;

/**
 * What one replica tells the others over PostgreSQL NOTIFY when a tenant's revocation state changes, or an API key
 * is revoked: small on purpose (NOTIFY payloads stay under 8000 bytes), and only a pointer: receivers re-read the
 * state itself from the database. Wire form {@code v1;kind;tenant;key-or-empty;origin}. An API key belongs to no
 * tenant: {@code v1;api-key-revoked;;<api key id>;origin} (a replica older than that kind ignores it, as it
 * ignores every kind it does not know).
 */
record RevocationNotice(Kind kind, String tenantId, String keyId, String origin) {
    enum Kind {
        TENANT_REVOKED("tenant-revoked"), KEY_REVOKED("key-revoked"), KEY_RETIRED("key-retired"),
        TENANT_RESTORED("tenant-restored"), API_KEY_REVOKED("api-key-revoked");

        final String wire;

        Kind(String wire) {
            this.wire = wire;
        }

        static Optional<Kind> of(String wire) {
            for (Kind k : values()) {
                if (k.wire.equals(wire)) {
                    return Optional.of(k);
                }
            }
            return Optional.empty();
        }
    }

    String encode() {
        return "v1;" + kind.wire + ";" + (tenantId == null ? "" : tenantId) + ";" + (keyId == null ? "" : keyId) + ";"
                + origin;
    }

    /** Empty for anything this version does not understand (a newer replica's notice, say). */
    static Optional<RevocationNotice> parse(String payload) {
        if (payload == null) {
            return Optional.empty();
        }
        String[] f = payload.split(";", -1);
        if (f.length != 5 || !"v1".equals(f[0])) {
            return Optional.empty();
        }
        Optional<Kind> kind = Kind.of(f[1]);
        if (kind.isEmpty() || (kind.get() == Kind.API_KEY_REVOKED ? f[3].isEmpty() : f[2].isEmpty())) {
            return Optional.empty();
        }
        return Optional.of(new RevocationNotice(kind.get(), f[2].isEmpty() ? null : f[2], f[3].isEmpty() ? null : f[3],
                f[4]));
    }
}
