package io.keyward.auth;

/** What a caller may do. {@code admin} is everything; {@code app} is the data plane for its tenants. */
public enum Role {
    ADMIN("admin"), APP("app");

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
        throw new IllegalArgumentException("unknown role '" + s + "'; roles are admin, app");
    }
}
