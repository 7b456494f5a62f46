package io.keyward.auth;

/**
 * What a caller may do. {@code admin} is everything; {@code tenant-admin} manages keys, reads the audit trail and
 * revokes/restores its own tenants; {@code app} is the data plane for its tenants.
 */
public enum Role {
    ADMIN("admin"), TENANT_ADMIN("tenant-admin"), APP("app");

    private final String wire;

    Role(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    public static Role fromWire(String s) {
        for (Role r : values()) {
            if (r.wire.equals(s)) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown role '" + s + "'; roles are admin, tenant-admin, app");
    }
}
