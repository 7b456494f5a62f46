package io.keyward.provider.vault;

import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.json.Json;
import io.github.jopenlibs.vault.json.JsonValue;

import javax.net.ssl.SSLHandshakeException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Vault answers to keyward's vocabulary. Sources, cited next to each rule:
 * <ul>
 * <li>[API] Vault HTTP API, "HTTP status codes" and "Error response" (errors are {@code {"errors":[...]}} for every
 * status >= 400): https://developer.hashicorp.com/vault/api-docs#http-status-codes</li>
 * <li>[TRANSIT] Transit secrets engine API: https://developer.hashicorp.com/vault/api-docs/secret/transit, and its
 * handlers builtin/logical/transit/path_decrypt.go / path_encrypt.go in hashicorp/vault</li>
 * <li>[QUOTAS] Resource quotas (429 "rate limit quota exceeded"):
 * https://developer.hashicorp.com/vault/docs/concepts/resource-quotas</li>
 * </ul>
 * Rule of safety: nothing derived from the wrapped bytes an API caller submits may ever become "revoked" (anyone could
 * cut a tenant off with garbage). Only the request path (key, mount, token) decides revocation.
 */
final class VaultErrorMapping {

    enum Operation {
        ENCRYPT("encrypt"), DECRYPT("decrypt"), READ_KEY("read key"), LOGIN("login");

        final String label;

        Operation(String label) {
            this.label = label;
        }
    }

    private VaultErrorMapping() {
    }

    /** Translates a non-success HTTP answer. */
    static VaultFailure fromStatus(Operation op, int status, List<String> errors, VaultTransitKey key) {
        String where = "'" + key.mount() + "/" + key.name() + "' at " + key.address();
        String detail = errors.isEmpty() ? "HTTP " + status : "HTTP " + status + ": " + String.join("; ", errors);
        if (op == Operation.LOGIN) {
            return fromLoginStatus(status, detail, key);
        }
        // [TRANSIT] decrypt/encrypt of a key that does not exist (deleted): 400 "encryption key not found"
        // (ErrorResponse + logical.ErrInvalidRequest in path_decrypt.go). The key name comes from keyward's stored
        // reference, never from the ciphertext, so this is safe to treat as revoked.
        if (status == 400 && mentions(errors, "encryption key not found")) {
            return VaultFailure.revoked("Transit key " + where + " does not exist (deleted?) (" + detail + ")");
        }
        switch (status) {
            case 400:
                if (op == Operation.DECRYPT && !keyConfiguration(errors)) {
                    // [TRANSIT] a tampered, truncated or foreign ciphertext, or other associated data: 400 with
                    // "cipher: message authentication failed", "invalid ciphertext: ...", "invalid key version",
                    // "ciphertext or signature version is disallowed by policy (too old)". All come from the bytes.
                    return VaultFailure.invalidWrappedKey("Vault could not decrypt the wrapped key with " + where
                            + " (" + detail + ")");
                }
                // [API] 400 "Invalid request, missing or invalid data": wrong key type, derived key needing a
                // context, associated_data not supported by the key type.
                return VaultFailure.misconfigured("Vault refused to " + op.label + " with " + where + " (" + detail
                        + "); keyward needs a non-derived aes256-gcm96, aes128-gcm96 or chacha20-poly1305 key");
            case 401:
            case 403:
                // [API] 403 "Forbidden, your authentication details are either incorrect, you don't have access to
                // this feature": the policy no longer grants (or explicitly denies) the key, or the token was
                // revoked. Also how an encrypt of a deleted key answers when only "update" is granted: the upsert
                // needs "create" ([TRANSIT] Encrypt data: "If the user only has update capability and the key does
                // not exist, an error will be returned").
                return VaultFailure.denied("Vault denied keyward's " + op.label + " on " + where + " (" + detail
                        + "): the policy no longer grants it or keyward's token was revoked");
            case 404:
                // [API] 404 "Invalid path... the path truly doesn't exist": the key (read) or the mount is gone.
                return VaultFailure.revoked(op == Operation.READ_KEY
                        ? "Transit key " + where + " does not exist (deleted?) (" + detail + ")"
                        : "no Transit mount '" + key.mount() + "' at " + key.address() + " (" + detail + ")");
            case 412:
                // [API] 412 "Should be retried, perhaps with a little backoff" (Enterprise eventual consistency).
                return VaultFailure.unavailable("Vault at " + key.address() + " is not consistent yet (" + detail
                        + ")");
            case 429:
                // [QUOTAS] rate limit quota exceeded: retried with backoff, then unavailable.
                return VaultFailure.unavailable("Vault at " + key.address() + " is throttling keyward (" + detail
                        + ")");
            default:
                return fromOtherStatus(op, status, detail, key, where);
        }
    }

    private static VaultFailure fromOtherStatus(Operation op, int status, String detail, VaultTransitKey key,
            String where) {
        if (status == 503) {
            // [API] 503 "Vault is down for maintenance or is currently sealed. Try again later."
            return VaultFailure.unavailable("Vault at " + key.address() + " is sealed or in maintenance (" + detail
                    + ")");
        }
        if (status >= 500) {
            // [API] 500 internal error "try again later", 502 upstream error, 501 not initialized.
            return VaultFailure.unavailable("Vault at " + key.address() + " failed to " + op.label + " (" + detail
                    + ")");
        }
        // [API] 405 unsupported operation and any other 4xx: not something a retry or the customer's key state
        // explains.
        return VaultFailure.misconfigured("Vault refused to " + op.label + " with " + where + " (" + detail + ")");
    }

    private static VaultFailure fromLoginStatus(int status, String detail, VaultTransitKey key) {
        String method = describe(key.auth());
        if (status == 400 || status == 401 || status == 403) {
            // AppRole answers 400 "invalid role or secret ID" for an unknown, expired or destroyed secret ID, and
            // Kubernetes auth 403 "permission denied" for a service account the role no longer binds
            // (https://developer.hashicorp.com/vault/api-docs/auth/approle#login-with-approle): the customer
            // withdrew keyward's credentials.
            return VaultFailure.revoked("Vault refused keyward's " + method + " login (" + detail
                    + "): the credentials are invalid, expired or were revoked");
        }
        if (status == 404) {
            return VaultFailure.misconfigured("no auth method mounted for keyward's " + method + " login at "
                    + key.address() + " (" + detail + "); check 'authMount'");
        }
        if (status == 412 || status == 429 || status >= 500) {
            return VaultFailure.unavailable("Vault at " + key.address() + " could not log keyward in (" + detail
                    + ")");
        }
        return VaultFailure.misconfigured("Vault refused keyward's " + method + " login (" + detail + ")");
    }

    /**
     * Translates a driver exception. A status above 0 is an HTTP answer the driver turned into an exception (5xx, or
     * any non-200 login); 0 means no answer at all: the cause says why.
     */
    static VaultFailure fromException(Operation op, VaultException e, VaultTransitKey key) {
        if (e.getHttpStatusCode() > 0) {
            return fromStatus(op, e.getHttpStatusCode(), errorsInMessage(e.getMessage()), key);
        }
        // The JDK client's exception may sit under the driver's RestException and a generic IOException: look at the
        // whole chain, most specific cause first.
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = e; t != null && chain.size() < 16; t = t.getCause()) {
            chain.add(t);
        }
        if (has(chain, InterruptedException.class)) {
            Thread.currentThread().interrupt();
            return VaultFailure.unavailableNoRetry("interrupted while calling Vault at " + key.address());
        }
        if (has(chain, HttpTimeoutException.class)) {
            return VaultFailure.unavailable("no answer from Vault at " + key.address() + " in time");
        }
        if (has(chain, SSLHandshakeException.class)) {
            // A certificate the JDK does not trust, or a host name mismatch: a retry gives the same answer.
            return VaultFailure.misconfigured("TLS handshake with " + key.address() + " failed: certificate not "
                    + "trusted or not issued for this host (set 'caCertificate' for a private CA)");
        }
        if (has(chain, ConnectException.class)) {
            return VaultFailure.unavailable("cannot connect to Vault at " + key.address()
                    + " (connection refused or unreachable)");
        }
        if (has(chain, UnknownHostException.class)) {
            return VaultFailure.unavailable("cannot resolve the host of " + key.address());
        }
        for (Throwable t : chain) {
            if (t instanceof IOException) {
                return VaultFailure.unavailable("connection to Vault at " + key.address() + " failed ("
                        + t.getClass().getSimpleName() + ")");
            }
        }
        return VaultFailure.unavailable("calling Vault at " + key.address() + " failed (" + op.label + ")");
    }

    private static boolean has(List<Throwable> chain, Class<? extends Throwable> type) {
        for (Throwable t : chain) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /** The driver puts the answer body in its message ("...\nResponse body: {...}"); only its errors are kept. */
    private static List<String> errorsInMessage(String message) {
        String marker = "Response body: ";
        int at = message == null ? -1 : message.indexOf(marker);
        return at < 0 ? List.of()
                : errors(message.substring(at + marker.length()).getBytes(StandardCharsets.UTF_8));
    }

    /** The {@code errors} array of a Vault error body, each trimmed to a short printable line. */
    static List<String> errors(byte[] body) {
        List<String> out = new ArrayList<>();
        if (body == null || body.length == 0) {
            return out;
        }
        try {
            JsonValue errors = Json.parse(new String(body, StandardCharsets.UTF_8)).asObject().get("errors");
            if (errors != null && errors.isArray()) {
                for (JsonValue v : errors.asArray()) {
                    if (v.isString()) {
                        String s = clean(v.asString());
                        if (!s.isEmpty()) {
                            out.add(s);
                        }
                    }
                    if (out.size() == 3) {
                        break;
                    }
                }
            }
        } catch (RuntimeException notJson) {
            // A proxy's HTML page, say: the status alone will do.
        }
        return out;
    }

    /**
     * Vault wraps handler errors as "1 error occurred:\n\t* permission denied\n\n" (hashicorp/go-multierror); keep
     * the message, drop the wrapper, keep it short and printable.
     */
    static String clean(String raw) {
        String s = raw;
        int star = s.indexOf("* ");
        if (s.contains("error occurred") || s.contains("errors occurred")) {
            s = star >= 0 ? s.substring(star + 2) : s;
        }
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (b.length() >= 160) {
                b.append("...");
                break;
            }
            b.append(c >= 0x20 && c < 0x7f ? c : ' ');
        }
        return b.toString().replaceAll("\\s+", " ").trim();
    }

    private static boolean mentions(List<String> errors, String text) {
        for (String e : errors) {
            if (e.toLowerCase(Locale.ROOT).contains(text)) {
                return true;
            }
        }
        return false;
    }

    /** Decrypt errors that are about the key's configuration rather than the ciphertext. */
    private static boolean keyConfiguration(List<String> errors) {
        return mentions(errors, "context") || mentions(errors, "derivation") || mentions(errors, "convergent")
                || mentions(errors, "associated_data") || mentions(errors, "associated data")
                || mentions(errors, "aead") || mentions(errors, "key type");
    }

    static String describe(VaultAuth auth) {
        if (auth instanceof VaultAuth.AppRole a) {
            return "AppRole (auth/" + a.mount() + ")";
        }
        if (auth instanceof VaultAuth.Kubernetes k) {
            return "Kubernetes (auth/" + k.mount() + ", role " + k.role() + ")";
        }
        return "token";
    }
}
