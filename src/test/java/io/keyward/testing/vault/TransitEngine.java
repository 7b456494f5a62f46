package io.keyward.testing.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyward.testing.vault.VaultBackend.Reply;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * One Transit mount: named keys with versions and real AES-GCM, answering the paths of the Transit API
 * (https://developer.hashicorp.com/vault/api-docs/secret/transit) with Vault's status codes and error messages:
 * {@code keys/:name} (create, read, delete), {@code keys/:name/config}, {@code keys/:name/rotate},
 * {@code encrypt/:name}, {@code decrypt/:name}. Ciphertexts are {@code vault:v<n>:base64(nonce || ciphertext || tag)}
 * like Vault's, and {@code associated_data} is the GCM additional data.
 */
final class TransitEngine {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<String, Key> keys = new HashMap<>();

    /** A Transit key ring. Non-AES types exist so tests can show that keyward refuses them. */
    static final class Key {
        final String type;
        final boolean derived;
        final TreeMap<Integer, byte[]> versions = new TreeMap<>();
        final Map<Integer, Instant> created = new TreeMap<>();
        int minDecryptionVersion = 1;
        boolean deletionAllowed;

        Key(String type, boolean derived) {
            this.type = type;
            this.derived = derived;
            rotate();
        }

        void rotate() {
            int bytes = type.equals("aes128-gcm96") ? 16 : 32;
            byte[] material = new byte[bytes];
            RANDOM.nextBytes(material);
            int next = versions.isEmpty() ? 1 : versions.lastKey() + 1;
            versions.put(next, material);
            created.put(next, Instant.now());
        }

        int latest() {
            return versions.lastKey();
        }

        boolean aes() {
            return type.equals("aes256-gcm96") || type.equals("aes128-gcm96");
        }
    }

    boolean exists(String name) {
        return keys.containsKey(name);
    }

    /** Routes a request relative to the mount ({@code encrypt/k}, {@code keys/k/config}...). */
    Reply handle(String method, String rest, JsonNode body) {
        String[] parts = rest.split("/");
        if (parts.length == 2 && parts[0].equals("encrypt") && method.equals("POST")) {
            return encrypt(parts[1], body);
        }
        if (parts.length == 2 && parts[0].equals("decrypt") && method.equals("POST")) {
            return decrypt(parts[1], body);
        }
        if (parts.length == 2 && parts[0].equals("keys")) {
            switch (method) {
                case "GET":
                    return read(parts[1]);
                case "POST":
                    return create(parts[1], body);
                case "DELETE":
                    return delete(parts[1]);
                default:
                    return Reply.error(405, "unsupported operation");
            }
        }
        if (parts.length == 3 && parts[0].equals("keys") && method.equals("POST")) {
            Key key = keys.get(parts[1]);
            if (key == null) {
                return Reply.error(400, "no existing key named " + parts[1] + " could be found");
            }
            if (parts[2].equals("rotate")) {
                key.rotate();
                return Reply.noContent();
            }
            if (parts[2].equals("config")) {
                return configure(key, body);
            }
        }
        return Reply.error(404, "no handler for route \"" + rest + "\". route entry not found.");
    }

    private Reply create(String name, JsonNode body) {
        if (!keys.containsKey(name)) {
            keys.put(name, new Key(body.path("type").asText("aes256-gcm96"), body.path("derived").asBoolean(false)));
        }
        return Reply.noContent();
    }

    private Reply read(String name) {
        Key key = keys.get(name);
        if (key == null) {
            // A nil response to a read is a 404 with an empty errors list.
            return Reply.error(404);
        }
        ObjectNode data = Reply.JSON.createObjectNode();
        data.put("name", name);
        data.put("type", key.type);
        data.put("derived", key.derived);
        data.put("convergent_encryption", false);
        data.put("deletion_allowed", key.deletionAllowed);
        data.put("exportable", false);
        data.put("latest_version", key.latest());
        data.put("min_available_version", 0);
        data.put("min_decryption_version", key.minDecryptionVersion);
        data.put("min_encryption_version", 0);
        data.put("supports_encryption", key.aes());
        data.put("supports_decryption", key.aes());
        data.put("supports_derivation", key.aes());
        data.put("supports_signing", false);
        ObjectNode versions = data.putObject("keys");
        key.created.forEach((v, t) -> versions.put(Integer.toString(v), t.getEpochSecond()));
        return Reply.data(data);
    }

    private Reply delete(String name) {
        Key key = keys.get(name);
        if (key != null && !key.deletionAllowed) {
            return Reply.error(400, "deletion is not allowed for this key");
        }
        keys.remove(name);
        return Reply.noContent();
    }

    private Reply configure(Key key, JsonNode body) {
        if (body.has("deletion_allowed")) {
            key.deletionAllowed = body.path("deletion_allowed").asBoolean();
        }
        if (body.has("min_decryption_version")) {
            int min = body.path("min_decryption_version").asInt();
            if (min > key.latest()) {
                return Reply.error(400, "cannot set min decryption version of " + min + ", latest key version is "
                        + key.latest());
            }
            key.minDecryptionVersion = Math.max(1, min);
        }
        return Reply.noContent();
    }

    /** An encrypt of a missing key is an upsert; the ACL check already asked for "create" in that case. */
    private Reply encrypt(String name, JsonNode body) {
        Key key = keys.computeIfAbsent(name, n -> new Key(body.path("type").asText("aes256-gcm96"), false));
        byte[] plaintext;
        byte[] aad;
        try {
            plaintext = Base64.getDecoder().decode(body.path("plaintext").asText(""));
            aad = Base64.getDecoder().decode(body.path("associated_data").asText(""));
        } catch (IllegalArgumentException e) {
            return Reply.error(400, "failed to base64-decode plaintext");
        }
        Reply refused = usable(key, body);
        if (refused != null) {
            return refused;
        }
        int version = key.latest();
        try {
            byte[] nonce = new byte[12];
            RANDOM.nextBytes(nonce);
            byte[] sealed = gcm(Cipher.ENCRYPT_MODE, key.versions.get(version), nonce, aad).doFinal(plaintext);
            byte[] out = new byte[nonce.length + sealed.length];
            System.arraycopy(nonce, 0, out, 0, nonce.length);
            System.arraycopy(sealed, 0, out, nonce.length, sealed.length);
            ObjectNode data = Reply.JSON.createObjectNode();
            data.put("ciphertext", "vault:v" + version + ":" + Base64.getEncoder().encodeToString(out));
            data.put("key_version", version);
            return Reply.data(data);
        } catch (GeneralSecurityException e) {
            return Reply.error(500, "internal error");
        }
    }

    private Reply decrypt(String name, JsonNode body) {
        Key key = keys.get(name);
        String ciphertext = body.path("ciphertext").asText("");
        if (ciphertext.isEmpty()) {
            return Reply.error(400, "missing ciphertext to decrypt");
        }
        if (key == null) {
            return Reply.error(400, "encryption key not found");
        }
        Reply refused = usable(key, body);
        if (refused != null) {
            return refused;
        }
        // The checks and messages of keysutil.Policy.Decrypt.
        if (!ciphertext.startsWith("vault:")) {
            return Reply.error(400, "invalid ciphertext: no prefix");
        }
        String[] fields = ciphertext.substring("vault:".length()).split(":", 2);
        if (fields.length != 2 || !fields[0].startsWith("v")) {
            return Reply.error(400, "invalid ciphertext: wrong number of fields");
        }
        int version;
        try {
            version = Integer.parseInt(fields[0].substring(1));
        } catch (NumberFormatException e) {
            return Reply.error(400, "invalid ciphertext: version number could not be decoded");
        }
        if (version < key.minDecryptionVersion) {
            return Reply.error(400, "ciphertext or signature version is disallowed by policy (too old)");
        }
        if (!key.versions.containsKey(version)) {
            return Reply.error(400, "invalid key version");
        }
        byte[] raw;
        byte[] aad;
        try {
            raw = Base64.getDecoder().decode(fields[1]);
            aad = Base64.getDecoder().decode(body.path("associated_data").asText(""));
        } catch (IllegalArgumentException e) {
            return Reply.error(400, "invalid ciphertext: could not decode base64");
        }
        if (raw.length < 12 + 16) {
            return Reply.error(400, "invalid ciphertext: too short");
        }
        try {
            byte[] nonce = java.util.Arrays.copyOf(raw, 12);
            byte[] plaintext = gcm(Cipher.DECRYPT_MODE, key.versions.get(version), nonce, aad)
                    .doFinal(raw, 12, raw.length - 12);
            ObjectNode data = Reply.JSON.createObjectNode();
            data.put("plaintext", Base64.getEncoder().encodeToString(plaintext));
            return Reply.data(data);
        } catch (GeneralSecurityException e) {
            return Reply.error(400, "cipher: message authentication failed");
        }
    }

    private static Reply usable(Key key, JsonNode body) {
        if (key.derived && body.path("context").asText("").isEmpty()) {
            return Reply.error(400, "missing 'context' for key derivation; the key was created using a derived key, "
                    + "which means additional, per-request information must be included in order to perform "
                    + "operations with the key");
        }
        if (!key.aes()) {
            return Reply.error(400, "key type " + key.type + " does not support encryption");
        }
        return null;
    }

    private static Cipher gcm(int mode, byte[] key, byte[] nonce, byte[] aad) throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
        if (aad.length > 0) {
            c.updateAAD(aad);
        }
        return c;
    }
}
