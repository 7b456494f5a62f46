package io.keyward.provider.vault;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * How keyward logs in to the customer's Vault. Exactly one per key reference. {@link #toString()} never prints a
 * credential; {@link #fingerprint()} identifies the login for client caching without holding it in the cache key.
 */
sealed interface VaultAuth {

    /** A stable digest of everything that identifies this login (credentials included), for cache keys. */
    String fingerprint();

    /** A static client token given by the customer ({@code token} option). Keyward never renews or revokes it. */
    record StaticToken(String token) implements VaultAuth {
        @Override
        public String fingerprint() {
            return digest("token", token);
        }

        @Override
        public String toString() {
            return "StaticToken[redacted]";
        }
    }

    /**
     * AppRole ({@code roleId} + {@code secretId}): {@code POST auth/<mount>/login}, then the client token is cached
     * and renewed (https://developer.hashicorp.com/vault/api-docs/auth/approle#login-with-approle).
     */
    record AppRole(String mount, String roleId, String secretId) implements VaultAuth {
        @Override
        public String fingerprint() {
            return digest("approle", mount, roleId, secretId);
        }

        @Override
        public String toString() {
            return "AppRole[mount=" + mount + ", roleId=" + roleId + ", secretId=redacted]";
        }
    }

    /**
     * Kubernetes auth: the pod's service-account JWT, read from {@code jwtPath} at each login (it is rotated by the
     * kubelet), is exchanged at {@code POST auth/<mount>/login} for a client token
     * (https://developer.hashicorp.com/vault/api-docs/auth/kubernetes#login).
     */
    record Kubernetes(String mount, String role, Path jwtPath) implements VaultAuth {
        @Override
        public String fingerprint() {
            return digest("kubernetes", mount, role, jwtPath.toString());
        }
    }

    private static String digest(String... parts) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String p : parts) {
                byte[] b = p.getBytes(StandardCharsets.UTF_8);
                sha.update(java.nio.ByteBuffer.allocate(4).putInt(b.length).array());
                sha.update(b);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
