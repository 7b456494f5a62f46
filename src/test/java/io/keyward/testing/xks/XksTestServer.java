package io.keyward.testing.xks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.keyward.testing.LoopbackServer;
import io.keyward.testing.SigV4Verifier;
import io.keyward.testing.Sleep;
import io.keyward.testing.TestCertificate;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An XKS proxy for tests, written from the XKS proxy API specification (aws/aws-kms-xksproxy-api-spec,
 * xks_proxy_api_spec.md): HTTPS with a generated certificate (optionally requiring a client certificate), the four
 * APIs under {@code /<prefix>/kms/xks/v1}, SigV4 verification (Appendix A), real AES-256-GCM with the spec's AAD
 * construction for {@code ciphertextMetadata}, CDIV (Appendix C), the spec's error names and statuses, and the
 * customer's switches: key ENABLED/DISABLED, deleted, access denied (secondary authorization). Network faults for the
 * contract suite: stopped (connection refused, same port on restart), slow answers, throttling, a request counter.
 * Misbehaviour for the provider's own tests: a key-versioning proxy refusing unknown ciphertext with another error
 * name, an API failing on demand, a firewall answering in front of the proxy, oversized answers, a missing CDIV.
 * Every request's {@code requestMetadata} is recorded.
 */
public final class XksTestServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** "Any requests more than 5 minutes in the past (or future, due to clock drift) SHOULD fail authentication." */
    private static final SigV4Verifier SIGV4 = new SigV4Verifier("kms-xks-proxy", Duration.ofMinutes(5));
    /** What this proxy returns as ciphertextMetadata: a key material version, as the spec's example does. */
    private static final byte[] CIPHERTEXT_METADATA = "kv=1".getBytes(StandardCharsets.US_ASCII);

    /** One call as the proxy saw it. */
    public record Received(String api, String keyId, JsonNode requestMetadata) {
    }

    private static final class Key {
        final byte[] material;
        volatile boolean enabled = true;
        volatile boolean denied;

        Key(byte[] material) {
            this.material = material;
        }
    }

    private final String prefix;
    private final TestCertificate certificate = TestCertificate.forLoopback("keyward xks test proxy");
    private final TestCertificate client;
    private final Map<String, String> credentials = new ConcurrentHashMap<>();
    private final Map<String, Key> keys = new ConcurrentHashMap<>();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final SecureRandom random = new SecureRandom();
    private final LoopbackServer server = new LoopbackServer("xks-test-proxy", this::bind, this::handle);
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger throttled = new AtomicInteger();
    private volatile Duration delay = Duration.ZERO;
    private volatile Reply badCiphertextReply;
    private final Map<String, Reply> failing = new ConcurrentHashMap<>();
    private volatile Reply front;
    private volatile long oversized;
    private volatile boolean oversizedChunked;
    private volatile boolean omitCdiv;

    private XksTestServer(String prefix, boolean mutualTls) {
        this.prefix = prefix;
        this.client = mutualTls ? TestCertificate.forClient("keyward xks client") : null;
        start();
    }

    /** A proxy serving {@code /<prefix>/kms/xks/v1} (prefix may be empty) on a free loopback port. */
    public static XksTestServer start(String prefix) {
        return new XksTestServer(prefix, false);
    }

    /** The same, refusing TLS connections without the client certificate of {@link #clientCertificate()}. */
    public static XksTestServer withMutualTls(String prefix) {
        return new XksTestServer(prefix, true);
    }

    public String authority() {
        return "127.0.0.1:" + server.port();
    }

    public String prefix() {
        return prefix;
    }

    public String caPem() {
        return certificate.pem();
    }

    public TestCertificate clientCertificate() {
        if (client == null) {
            throw new IllegalStateException("no mutual TLS");
        }
        return client;
    }

    /** Configures a SigV4 credential the proxy accepts (the spec asks for at least two at once, for rotation). */
    public void addCredential(String accessKeyId, String secretAccessKey) {
        credentials.put(accessKeyId, secretAccessKey);
    }

    public void removeCredential(String accessKeyId) {
        credentials.remove(accessKeyId);
    }

    /** Creates an enabled AES-256 key in the "external key manager". */
    public void createKey(String keyId) {
        byte[] k = new byte[32];
        random.nextBytes(k);
        keys.put(keyId, new Key(k));
    }

    public void setEnabled(String keyId, boolean enabled) {
        key(keyId).enabled = enabled;
    }

    public void deleteKey(String keyId) {
        Key k = keys.remove(keyId);
        if (k != null) {
            Arrays.fill(k.material, (byte) 0);
        }
    }

    /** Secondary authorization: refuses every request on the key with AccessDeniedException. */
    public void denyAccess(String keyId, boolean denied) {
        key(keyId).denied = denied;
    }

    private Key key(String keyId) {
        Key k = keys.get(keyId);
        if (k == null) {
            throw new IllegalArgumentException("no key " + keyId);
        }
        return k;
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    public int requestCount() {
        return requests.get();
    }

    public void delayResponses(Duration d) {
        delay = d;
    }

    public void throttleNext(int n) {
        throttled.set(n);
    }

    /**
     * A key-versioning proxy: decrypt answers {@code errorName} (e.g. 404 KeyNotFoundException) instead of
     * InvalidCiphertextException when the ciphertextMetadata names a key version it does not know, or the IV, tag or
     * ciphertext do not authenticate. {@code null} restores InvalidCiphertextException.
     */
    public void refuseBadCiphertextWith(int status, String errorName) {
        badCiphertextReply = errorName == null ? null
                : Reply.error(status, errorName, "no key material for this ciphertext");
    }

    /** Answers every authenticated call to {@code api} ({@code metadata}, {@code encrypt}, ...) with this error. */
    public void failApi(String api, int status, String errorName) {
        if (errorName == null) {
            failing.remove(api);
        } else {
            failing.put(api, Reply.error(status, errorName, "failing " + api + " for the test"));
        }
    }

    /**
     * Something in front of the proxy (WAF, load balancer) answering every request with {@code status} and this
     * body, as text/html, without an XKS error name. {@code body == null} removes it.
     */
    public void frontAnswers(int status, String body) {
        front = body == null ? null : new Reply(status, JSON.getNodeFactory().textNode(body));
    }

    /**
     * Answers every request with a 200 JSON body of {@code bytes} bytes; {@code chunked}: without a Content-Length,
     * streamed until written or the client hangs up. 0 restores normal answers.
     */
    public void oversizedResponses(long bytes, boolean chunked) {
        oversizedChunked = chunked;
        oversized = bytes;
    }

    /** Encrypt returns no ciphertextDataIntegrityValue even when asked for one (against the spec). */
    public void omitCdiv(boolean omit) {
        omitCdiv = omit;
    }

    public void stop() {
        server.stop();
    }

    /** Listens, on the same port as before after a {@link #stop()}. */
    public void start() {
        server.start();
    }

    private HttpServer bind(InetSocketAddress at) throws IOException {
        HttpsServer https = HttpsServer.create(at, 64);
        https.setHttpsConfigurator(new HttpsConfigurator(certificate.serverContext(client)) {
            @Override
            public void configure(HttpsParameters params) {
                javax.net.ssl.SSLParameters ssl = getSSLContext().getDefaultSSLParameters();
                ssl.setNeedClientAuth(client != null);
                params.setSSLParameters(ssl);
            }
        });
        return https;
    }

    private void handle(HttpExchange ex) {
        requests.incrementAndGet();
        try {
            if (!delay.isZero()) {
                Sleep.quietly(delay);
            }
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            Reply f = front;
            if (f != null) {
                sendRaw(ex, f.status(), f.body().asText().getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (oversized > 0) {
                sendOversized(ex, oversized, oversizedChunked);
                return;
            }
            Reply reply = answer(ex, body);
            send(ex, reply);
        } catch (IOException | RuntimeException e) {
            // The client went away (timeout, server stopped): nothing to answer.
        } finally {
            ex.close();
        }
    }

    private record Reply(int status, JsonNode body) {
        static Reply error(int status, String name, String message) {
            ObjectNode b = JSON.createObjectNode();
            b.put("errorName", name);
            b.put("errorMessage", message);
            return new Reply(status, b);
        }
    }

    private Reply answer(HttpExchange ex, byte[] body) {
        String base = (prefix.isEmpty() ? "" : "/" + prefix) + "/kms/xks/v1/";
        String path = ex.getRequestURI().getRawPath();
        if (!path.startsWith(base)) {
            return Reply.error(404, "InvalidUriPathException", "no XKS API under this path");
        }
        if (throttled.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
            return Reply.error(429, "ThrottlingException", "request rate too high");
        }
        if (!ex.getRequestMethod().equals("POST")) {
            return new Reply(405, null); // "MUST reject the request with a 405 Method Not Allowed error"
        }
        String denial = authenticate(ex, body);
        if (denial != null) {
            return Reply.error(401, "AuthenticationFailedException", denial);
        }
        JsonNode request;
        try {
            request = JSON.readTree(body);
        } catch (IOException e) {
            return Reply.error(400, "ValidationException", "body is not JSON");
        }
        if (request == null || !request.isObject() || !request.path("requestMetadata").isObject()) {
            return Reply.error(400, "ValidationException", "requestMetadata is required");
        }
        String rest = path.substring(base.length());
        if (rest.equals("health")) {
            received.add(new Received("health", null, request.get("requestMetadata")));
            return health();
        }
        String[] parts = rest.split("/", -1);
        if (parts.length != 3 || !parts[0].equals("keys") || !parts[1].matches("[A-Za-z0-9._-]{1,128}")) {
            return Reply.error(404, "InvalidUriPathException", "unknown API");
        }
        String api = parts[2];
        if (!api.equals("metadata") && !api.equals("encrypt") && !api.equals("decrypt")) {
            return Reply.error(404, "InvalidUriPathException", "unknown API");
        }
        JsonNode meta = request.get("requestMetadata");
        received.add(new Received(api, parts[1], meta));
        Reply failure = failing.get(api);
        if (failure != null) {
            return failure;
        }
        for (String required : new String[] {"awsPrincipalArn", "kmsOperation", "kmsRequestId"}) {
            if (!meta.path(required).isTextual()) {
                return Reply.error(400, "ValidationException", "requestMetadata." + required + " is required");
            }
        }
        Key key = keys.get(parts[1]);
        if (key == null) {
            return Reply.error(404, "KeyNotFoundException", "external key not found");
        }
        if (key.denied) {
            return Reply.error(403, "AccessDeniedException", "not authorized for this caller");
        }
        if (api.equals("metadata")) {
            ObjectNode r = JSON.createObjectNode();
            r.put("keySpec", "AES_256");
            r.putArray("keyUsage").add("ENCRYPT").add("DECRYPT");
            r.put("keyStatus", key.enabled ? "ENABLED" : "DISABLED");
            return new Reply(200, r);
        }
        if (!key.enabled) {
            return Reply.error(400, "InvalidStateException", "external key is disabled");
        }
        try {
            return api.equals("encrypt") ? encrypt(key, request) : decrypt(key, request);
        } catch (IllegalArgumentException e) {
            return Reply.error(400, "ValidationException", e.getMessage());
        }
    }

    private String authenticate(HttpExchange ex, byte[] body) {
        SigV4Verifier.Claim claim = SigV4Verifier.parse(ex.getRequestHeaders().getFirst("Authorization"));
        if (claim == null) {
            return "missing or malformed SigV4 Authorization header";
        }
        String secret = credentials.get(claim.accessKeyId());
        if (secret == null) {
            return "unknown access key id";
        }
        Map<String, List<String>> headers = new TreeMap<>();
        ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v));
        return SIGV4.verify(claim, secret, new SigV4Verifier.Request(ex.getRequestMethod(),
                ex.getRequestURI().getRawPath(), ex.getRequestURI().getRawQuery(), headers, body));
    }

    private Reply encrypt(Key key, JsonNode request) {
        if (!"AES_GCM".equals(request.path("encryptionAlgorithm").asText())) {
            throw new IllegalArgumentException("encryptionAlgorithm must be AES_GCM");
        }
        byte[] plaintext = b64(request, "plaintext", true);
        byte[] aad = b64(request, "additionalAuthenticatedData", false);
        if (plaintext.length == 0 || plaintext.length > 4300 || aad.length > 8192) {
            throw new IllegalArgumentException("plaintext or AAD out of bounds");
        }
        byte[] iv = new byte[12];
        random.nextBytes(iv);
        byte[] out = gcm(Cipher.ENCRYPT_MODE, key, iv, aad, CIPHERTEXT_METADATA, plaintext);
        byte[] ciphertext = Arrays.copyOf(out, out.length - 16);
        byte[] tag = Arrays.copyOfRange(out, out.length - 16, out.length);
        ObjectNode r = JSON.createObjectNode();
        r.put("ciphertext", enc(ciphertext));
        r.put("ciphertextMetadata", enc(CIPHERTEXT_METADATA));
        r.put("initializationVector", enc(iv));
        r.put("authenticationTag", enc(tag));
        if (request.has("ciphertextDataIntegrityValueAlgorithm") && !omitCdiv) {
            if (!"SHA_256".equals(request.get("ciphertextDataIntegrityValueAlgorithm").asText())) {
                throw new IllegalArgumentException("ciphertextDataIntegrityValueAlgorithm must be SHA_256");
            }
            ByteArrayOutputStream cdiv = new ByteArrayOutputStream();
            cdiv.writeBytes(aad);
            cdiv.writeBytes(CIPHERTEXT_METADATA);
            cdiv.writeBytes(iv);
            cdiv.writeBytes(ciphertext);
            cdiv.writeBytes(tag);
            r.put("ciphertextDataIntegrityValue", enc(SigV4Verifier.sha256(cdiv.toByteArray())));
        }
        return new Reply(200, r);
    }

    private Reply decrypt(Key key, JsonNode request) {
        if (!"AES_GCM".equals(request.path("encryptionAlgorithm").asText())) {
            throw new IllegalArgumentException("encryptionAlgorithm must be AES_GCM");
        }
        byte[] ciphertext = b64(request, "ciphertext", true);
        byte[] metadata = b64(request, "ciphertextMetadata", false);
        byte[] aad = b64(request, "additionalAuthenticatedData", false);
        byte[] iv = b64(request, "initializationVector", true);
        byte[] tag = b64(request, "authenticationTag", true);
        Reply refusal = badCiphertextReply;
        if (refusal != null && !Arrays.equals(metadata, CIPHERTEXT_METADATA)) {
            return refusal; // "no key material version kv=2": what a versioning proxy may say
        }
        if ((iv.length != 12 && iv.length != 16) || tag.length != 16 || metadata.length > 20) {
            return refusal != null ? refusal
                    : Reply.error(400, "InvalidCiphertextException", "initialization vector or tag of the wrong size");
        }
        byte[] joined = new byte[ciphertext.length + 16];
        System.arraycopy(ciphertext, 0, joined, 0, ciphertext.length);
        System.arraycopy(tag, 0, joined, ciphertext.length, 16);
        try {
            ObjectNode r = JSON.createObjectNode();
            r.put("plaintext", enc(gcm(Cipher.DECRYPT_MODE, key, iv, aad, metadata, joined)));
            return new Reply(200, r);
        } catch (IllegalStateException e) {
            return refusal != null ? refusal
                    : Reply.error(400, "InvalidCiphertextException", "the ciphertext, IV, AAD or tag is invalid");
        }
    }

    /**
     * AES-GCM with the spec's AAD for the key manager: 2-byte big-endian length of additionalAuthenticatedData ||
     * additionalAuthenticatedData || 1-byte length of ciphertextMetadata || ciphertextMetadata (spec, Encrypt).
     */
    private static byte[] gcm(int mode, Key key, byte[] iv, byte[] aad, byte[] metadata, byte[] input) {
        ByteArrayOutputStream a = new ByteArrayOutputStream();
        a.write(aad.length >> 8);
        a.write(aad.length);
        a.writeBytes(aad);
        a.write(metadata.length);
        a.writeBytes(metadata);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(mode, new SecretKeySpec(key.material, "AES"), new GCMParameterSpec(128, iv));
            c.updateAAD(a.toByteArray());
            return c.doFinal(input);
        } catch (AEADBadTagException e) {
            throw new IllegalStateException("bad tag");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private Reply health() {
        ObjectNode r = JSON.createObjectNode();
        r.put("xksProxyFleetSize", 1);
        r.put("xksProxyVendor", "keyward tests");
        r.put("xksProxyModel", "XksTestServer 1.0");
        r.put("ekmVendor", "keyward tests");
        ObjectNode ekm = r.putArray("ekmFleetDetails").addObject();
        ekm.put("id", "ekm-1");
        ekm.put("model", "in-memory AES-GCM");
        ekm.put("healthStatus", "ACTIVE");
        return new Reply(200, r);
    }

    private static byte[] b64(JsonNode request, String field, boolean required) {
        JsonNode v = request.get(field);
        if (v == null) {
            if (required) {
                throw new IllegalArgumentException(field + " is required");
            }
            return new byte[0];
        }
        try {
            return Base64.getDecoder().decode(v.asText());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + " is not base64");
        }
    }

    private static String enc(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    private static void send(HttpExchange ex, Reply reply) throws IOException {
        if (reply.body() == null) {
            ex.sendResponseHeaders(reply.status(), -1);
            return;
        }
        byte[] b = JSON.writeValueAsBytes(reply.body());
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(reply.status(), b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    private static void sendRaw(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.getResponseHeaders().add("Content-Type", "text/html");
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    /** {"pad":"xxx...x"} of {@code bytes} bytes, chunked or with its length declared. */
    private static void sendOversized(HttpExchange ex, long bytes, boolean chunked) throws IOException {
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(200, chunked ? 0 : bytes);
        byte[] chunk = new byte[8192];
        Arrays.fill(chunk, (byte) 'x');
        try (OutputStream out = ex.getResponseBody()) {
            byte[] head = "{\"pad\":\"".getBytes(StandardCharsets.US_ASCII);
            out.write(head);
            long left = bytes - head.length - 2;
            while (left > 0) {
                int n = (int) Math.min(chunk.length, left);
                out.write(chunk, 0, n);
                left -= n;
            }
            out.write("\"}".getBytes(StandardCharsets.US_ASCII));
        }
    }

    @Override
    public void close() {
        server.close();
    }

    /** Lists what a test may want to assert on, for messages. */
    @Override
    public String toString() {
        return "XksTestServer[" + authority() + "/" + prefix + ", keys=" + new ArrayList<>(keys.keySet()) + "]";
    }
}
