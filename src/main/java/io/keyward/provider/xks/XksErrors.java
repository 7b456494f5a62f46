package io.keyward.provider.xks;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Translates XKS proxy answers and transport failures into keyward's vocabulary. The error names and statuses are the
 * table in the XKS proxy API specification, section "Error codes" (aws/aws-kms-xksproxy-api-spec,
 * xks_proxy_api_spec.md): a JSON body {@code {"errorName": ..., "errorMessage": ...}} with the status listed there.
 * The name decides; the status is used only when the body names nothing keyward knows.
 */
final class XksErrors {

    /** The XKS API an attempt called, for messages. */
    enum Operation {
        METADATA("read the metadata of"), ENCRYPT("encrypt with"), DECRYPT("decrypt with"),
        HEALTH("check the health of the proxy for");

        final String label;

        Operation(String label) {
            this.label = label;
        }
    }

    private XksErrors() {
    }

    /**
     * An HTTP answer other than 200. {@code errorMessage} is the proxy's raw text: it is shown (cut to short printable
     * ASCII) because it helps the customer, but only after every occurrence of {@code secrets} (the credentials
     * keyward signed or authenticated this request with) is blanked out, since a careless proxy may echo what it was
     * given, and this message reaches the tenant's administrator, keyward's audit trail and its logs.
     */
    static XksFailure fromAnswer(Operation op, int status, String errorName, String errorMessage, XksKeyReference key,
            Collection<String> secrets) {
        String where = key.keyUri();
        String message = printable(redact(errorMessage, secrets));
        String name = redact(errorName, secrets);
        String detail = errorName == null ? "HTTP " + status
                : name + (message == null || message.isEmpty() ? "" : ": " + message);
        if (errorName != null) {
            switch (errorName) {
                // The four revoked-class names below describe the key, but on DECRYPT they answer a request that
                // carries the caller's wrapped key (ciphertextMetadata, IV, tag, ciphertext are attacker-chosen): a
                // key-versioning proxy may well say KeyNotFoundException for a key version it does not know. So on
                // DECRYPT they are only a suspicion, and XksProvider#unwrap confirms them with a metadata call (no
                // caller input) before anything is marked revoked. On METADATA, ENCRYPT and HEALTH no caller input
                // is sent, so the proxy's word stands.
                case "InvalidStateException":
                    // 400 "the specified external key or key store is disabled, deactivated or blocked"
                    return XksFailure.revoked("external key " + where + " is disabled at the XKS proxy (" + detail
                            + ")");
                case "KeyNotFoundException":
                    // 404 "the specified external key is not found"
                    return XksFailure.revoked("external key " + where + " was not found at the XKS proxy (deleted?) ("
                            + detail + ")");
                case "InvalidKeyUsageException":
                    // 400 "the specified key does not support the requested operation"
                    return XksFailure.revoked("external key " + where + " no longer allows keyward to " + op.label
                            + " it (" + detail + ")");
                case "AccessDeniedException":
                case "AuthorizationException":
                    // 403 "the operation is not authorized based on request metadata". In the spec this is a verdict
                    // on one request (secondary authorization reads requestMetadata: caller, operation, request id),
                    // not a key state, so strictly it says nothing about the next request. Keyward still reads it as
                    // a revocation, because it is the switch the XKS API gives a customer to cut keyward off without
                    // touching the key (docs/how-to/xks-proxy.md, "Cutting keyward off"), and a customer who pulls
                    // it must see keyward stop. The price, documented there: a rule that denies one keyward caller
                    // revokes the whole tenant key, so customers are told to match keyward as a whole. On DECRYPT it
                    // counts only once a metadata call is denied too (see above). (Issue 4 calls it
                    // AuthorizationException; the spec's name is AccessDeniedException. Both are read.)
                    return XksFailure.revoked("the XKS proxy denied keyward access to " + where + " (" + detail + ")");
                case "AuthenticationFailedException":
                    // 401 "invalid AWS SigV4 signature": wrong access key id, secret or region. Keyward cannot tell a
                    // typo from a withdrawn credential, so it is a configuration error, never a revocation.
                    return XksFailure.misconfigured("authentication failed: the XKS proxy at " + key.authority()
                            + " rejected keyward's SigV4 signature (" + detail + "); check accessKeyId, "
                            + "secretAccessKey and region");
                case "InvalidCiphertextException":
                    // 400 "the specified ciphertext, initialization vector, additional authenticated data or
                    // authentication tag is corrupted, missing, or otherwise invalid" (Decrypt only)
                    return op == Operation.DECRYPT
                            ? XksFailure.invalidWrappedKey("the XKS proxy could not authenticate the wrapped key for "
                                    + where)
                            : XksFailure.misconfigured("the XKS proxy refused to " + op.label + " " + where + " ("
                                    + detail + ")");
                case "ValidationException":
                    return XksFailure.misconfigured("the XKS proxy refused keyward's request to " + op.label + " "
                            + where + " as invalid (" + detail + ")");
                case "InvalidUriPathException":
                    return XksFailure.misconfigured("the XKS proxy at " + key.authority() + " does not serve "
                            + key.baseUri() + " (" + detail + "); check the uri path prefix");
                case "UnsupportedOperationException":
                    return XksFailure.misconfigured("the XKS proxy does not support the request to " + op.label + " "
                            + where + " (" + detail + ")");
                case "ThrottlingException":
                    return XksFailure.unavailable("the XKS proxy is throttling keyward (" + detail + ")");
                case "DependencyTimeoutException":
                    return XksFailure.unavailable("the XKS proxy timed out reaching its key manager (" + detail + ")");
                case "InternalException":
                    return XksFailure.unavailable("the XKS proxy failed to " + op.label + " " + where + " (" + detail
                            + ")");
                default:
                    break;
            }
        }
        return fromStatus(op, status, detail, key);
    }

    /**
     * No (known) error name: the spec's statuses, and plain HTTP sense for anything in front of the proxy. Never
     * revoked: only an error name of the spec can say the key is gone.
     */
    private static XksFailure fromStatus(Operation op, int status, String detail, XksKeyReference key) {
        if (status == 429 || status == 408 || (status >= 500 && status != 501)) {
            return XksFailure.unavailable("the XKS proxy at " + key.authority() + " could not " + op.label + " "
                    + key.keyUri() + " (" + detail + ")");
        }
        if (status == 401) {
            return XksFailure.misconfigured("authentication failed: the XKS proxy at " + key.authority()
                    + " refused keyward's credentials (" + detail + ")");
        }
        if (status == 403) {
            // A 403 that names no XKS error is not the proxy's secondary authorization speaking: it is what a WAF, load
            // balancer or reverse proxy in front of it answers. Never a revocation (that would cut the tenant off,
            // sticky until :restore, on the word of a box that knows nothing about the key); another attempt would
            // most likely meet the same rule, so it is a configuration problem to fix in front of the proxy.
            return XksFailure.misconfigured("the XKS proxy at " + key.authority() + " answered 403 for "
                    + key.keyUri() + " without an XKS error name (" + detail + "): something in front of the proxy "
                    + "(firewall, load balancer) refused the request; not treated as a revocation");
        }
        if (status == 404 && op != Operation.HEALTH) {
            // Without an error name a 404 may be a wrong path as well as a missing key: not proof of revocation.
            return XksFailure.misconfigured("the XKS proxy at " + key.authority() + " answered 404 for "
                    + key.keyUri() + " without an XKS error name; check the uri path prefix and key id");
        }
        return XksFailure.misconfigured("the XKS proxy refused to " + op.label + " " + key.keyUri() + " (" + detail
                + ")");
    }

    /** No answer: the exception of the JDK client, most specific cause first. */
    static XksFailure fromException(Throwable e, XksKeyReference key) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = e; t != null && chain.size() < 16; t = t.getCause()) {
            chain.add(t);
        }
        if (has(chain, InterruptedException.class)) {
            Thread.currentThread().interrupt();
            return XksFailure.unavailableNoRetry("interrupted while calling the XKS proxy at " + key.authority());
        }
        if (has(chain, XksClient.ResponseTooLargeException.class)) {
            // A hostile or broken host streaming without end: cut off at the cap. The same host would do it again, so
            // no retry within the call; transient for keyward (the key itself is not in question).
            return XksFailure.unavailableNoRetry("the XKS proxy at " + key.authority() + " sent an answer over "
                    + XksClient.MAX_RESPONSE + " bytes (an XKS answer is a few KiB): not read further");
        }
        if (has(chain, HttpConnectTimeoutException.class)) {
            return XksFailure.unavailable("cannot connect to the XKS proxy at " + key.authority() + " in time");
        }
        if (has(chain, HttpTimeoutException.class)) {
            return XksFailure.unavailable("no answer from the XKS proxy at " + key.authority() + " in time");
        }
        if (has(chain, SSLHandshakeException.class)) {
            // The host answered but its certificate is not trusted, not issued for this name, or it refused the
            // client certificate: a retry gives the same answer.
            return XksFailure.misconfigured("TLS handshake with the XKS proxy at " + key.authority() + " failed: "
                    + "certificate not trusted or not issued for this host, or client certificate refused (set "
                    + "'caCertificate' for a private CA, 'clientCertificate' and 'clientKey' for mutual TLS)");
        }
        if (has(chain, ConnectException.class)) {
            return XksFailure.unavailable("cannot connect to the XKS proxy at " + key.authority()
                    + " (connection refused or unreachable)");
        }
        if (has(chain, UnknownHostException.class)) {
            return XksFailure.unavailable("cannot resolve the XKS proxy host " + key.host());
        }
        if (has(chain, SSLException.class)) {
            return XksFailure.unavailable("TLS connection to the XKS proxy at " + key.authority() + " failed");
        }
        for (Throwable t : chain) {
            if (t instanceof IOException) {
                // Includes a proxy that wants a client certificate keyward did not present: in TLS 1.3 the server
                // checks it after the client's handshake is done, and the client sees only the connection closing
                // with no answer, as from a proxy that crashed. Hence unavailable, with a hint when no client
                // certificate is configured.
                return XksFailure.unavailable("connection to the XKS proxy at " + key.authority() + " failed ("
                        + t.getClass().getSimpleName() + ")" + (key.clientCertPem() == null
                                ? "; if the proxy requires mutual TLS, set 'clientCertificate' and 'clientKey'" : ""));
            }
        }
        return XksFailure.unavailable("calling the XKS proxy at " + key.authority() + " failed ("
                + e.getClass().getSimpleName() + ")");
    }

    private static boolean has(List<Throwable> chain, Class<? extends Throwable> type) {
        for (Throwable t : chain) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Blanks out every occurrence of each secret (whole values, and each line of a multi-line value such as a PEM
     * key) in {@code raw}. Runs before {@link #printable} cuts the text, so a secret straddling the cut cannot leave
     * its beginning behind.
     */
    static String redact(String raw, Collection<String> secrets) {
        if (raw == null || secrets == null) {
            return raw;
        }
        String out = raw;
        for (String secret : secrets) {
            if (secret == null || secret.isBlank()) {
                continue;
            }
            out = out.replace(secret, "[redacted]");
            for (String line : secret.split("\\R")) {
                String t = line.strip();
                if (t.length() >= 16 && !t.startsWith("-----")) {
                    out = out.replace(t, "[redacted]");
                }
            }
        }
        return out;
    }

    /** The spec's errorMessage is printable ASCII under 512 characters; keyward keeps 160 of them. */
    static String printable(String raw) {
        if (raw == null) {
            return null;
        }
        StringBuilder b = new StringBuilder();
        for (char c : raw.toCharArray()) {
            if (b.length() >= 160) {
                b.append("...");
                break;
            }
            b.append(c >= 0x20 && c < 0x7f ? c : ' ');
        }
        return b.toString().replaceAll("\\s+", " ").trim();
    }
}
