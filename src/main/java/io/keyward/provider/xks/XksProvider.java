package io.keyward.provider.xks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyward.provider.CallContext;
import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeySpec;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderSettings;
import io.keyward.provider.WrappedKeyInvalidException;
import io.keyward.provider.xks.XksErrors.Operation;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The {@code xks} provider: wraps data keys with an external key behind an AWS KMS External Key Store (XKS) proxy,
 * speaking the proxy API directly (aws/aws-kms-xksproxy-api-spec, xks_proxy_api_spec.md, v1 of Nov 10, 2022), so a
 * customer can point keyward at the proxy they already run for AWS KMS, with no AWS account in the path.
 * Key URI {@code xks://<host>[:port]/<uri-path-prefix>/keys/<external key id>}; options {@code accessKeyId},
 * {@code secretAccessKey} (sealed), {@code region}, {@code caCertificate}, {@code clientCertificate} and
 * {@code clientKey} (sealed) for mutual TLS.
 *
 * <ul>
 * <li>wrap = {@code POST .../keys/<id>/encrypt} with {@code encryptionAlgorithm} {@code AES_GCM}, keyward's
 * associated data in {@code additionalAuthenticatedData}, and {@code ciphertextDataIntegrityValueAlgorithm}
 * {@code SHA_256}: the proxy's CDIV is required and checked before the result is used (spec, Appendix C).</li>
 * <li>unwrap = {@code decrypt} with the pieces of {@link XksWrappedKey}; a revoked-class answer is confirmed with
 * {@code metadata} before it counts ({@link #confirmRevocation}).</li>
 * <li>check = {@code health}, {@code metadata} (ENABLED, ENCRYPT and DECRYPT, AES_256), a round trip, and proof that
 * the proxy binds the associated data.</li>
 * </ul>
 * Every request carries {@code requestMetadata} naming keyward's tenant, key, caller and request id, so the
 * customer's proxy logs say who asked and why ({@link #metadata}).
 */
public final class XksProvider implements KeyProvider {
    public static final String ID = "xks";

    private static final byte[] CHECK_AAD = "keyward/v1 key check".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CHECK_OTHER_AAD = "keyward/v1 key check (other)".getBytes(StandardCharsets.US_ASCII);
    /** The spec's limit on what a proxy must accept as AAD. */
    private static final int MAX_AAD = 8192;
    private static final int MAX_METADATA_FIELD = 2048;
    private static final int MAX_PARSED = 1024;

    private final XksClient client;
    private final SecureRandom random = new SecureRandom();
    /** Parsed references by spec: parsing reads PEM certificates and keys, too slow for every call. */
    private final Map<KeySpec, XksKeyReference> parsed = new java.util.LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<KeySpec, XksKeyReference> eldest) {
            return size() > MAX_PARSED;
        }
    };

    /** Cheap, no I/O: HTTP clients are built on first use. */
    public XksProvider(ProviderSettings settings) {
        this.client = new XksClient(settings);
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Set<String> secretOptions() {
        return XksKeyReference.SECRETS;
    }

    @Override
    public KeySpec validate(String keyUri, Map<String, String> options) {
        Map<String, String> given = options == null ? Map.of() : options;
        XksKeyReference key = XksKeyReference.parse(keyUri, given);
        return new KeySpec(ID, key.keyUri(), XksKeyReference.normalised(given));
    }

    @Override
    public byte[] wrap(KeySpec spec, byte[] dataKey, byte[] aad) {
        XksKeyReference key = key(spec);
        return encrypt(key, spec.options(), client.start(), dataKey, aad, "Encrypt").encode();
    }

    @Override
    public byte[] unwrap(KeySpec spec, byte[] wrapped, byte[] aad) {
        XksKeyReference key = key(spec);
        XksWrappedKey w = XksWrappedKey.decode(wrapped, key.keyUri());
        return decryptConfirmed(key, spec.options(), client.start(), w, aad);
    }

    /** {@link #decrypt}, with a revoked-class answer confirmed by {@link #confirmRevocation} before it counts. */
    private byte[] decryptConfirmed(XksKeyReference key, Map<String, String> options, XksClient.Deadline deadline,
            XksWrappedKey w, byte[] aad) {
        try {
            return decrypt(key, options, deadline, w, aad, "Decrypt");
        } catch (KeyRevokedException suspicion) {
            throw confirmRevocation(key, options, deadline, suspicion);
        }
    }

    /**
     * A revoked-class answer to decrypt (InvalidStateException, KeyNotFoundException, InvalidKeyUsageException,
     * AccessDeniedException) is not proof: that request carried the caller's wrapped key, and its
     * {@code ciphertextMetadata} and IV are whatever the caller put in the envelope. A proxy that versions its key
     * material (the spec's own metadata example is {@code key_version=1}) may answer KeyNotFoundException for a version
     * it does not know, and a secondary-authorization policy may deny on anything. Marking the key revoked on that word
     * would let anyone who can submit a ciphertext cut a tenant off until {@code :restore}. So keyward asks the proxy
     * about the key alone, with {@code metadata} (no caller input), within the same deadline:
     * <ul>
     * <li>ENABLED with ENCRYPT and DECRYPT: the key is fine, the wrapped key was refused: {@link WrappedKeyInvalidException};</li>
     * <li>revoked there too (DISABLED, usage withdrawn, KeyNotFoundException, AccessDeniedException...): revoked;</li>
     * <li>no answer (timeout, 5xx, throttling, deadline spent): unavailable, decided on a later call;</li>
     * <li>anything else (a malformed answer, a configuration error): that error, never revoked.</li>
     * </ul>
     */
    private RuntimeException confirmRevocation(XksKeyReference key, Map<String, String> options,
            XksClient.Deadline deadline, KeyRevokedException suspicion) {
        JsonNode meta;
        try {
            ObjectNode describe = XksClient.object();
            describe.set("requestMetadata", metadata(key, "DescribeKey"));
            meta = client.post(key, options, Operation.METADATA, key.operationUri("metadata"), describe, deadline);
        } catch (KeyRevokedException confirmed) {
            return confirmed;
        } catch (KeyUnavailableException e) {
            return new KeyUnavailableException("the XKS proxy refused to decrypt with " + key.keyUri()
                    + " and could not be asked about the key's state to tell a revoked key from a refused wrapped "
                    + "key: " + e.getMessage());
        } catch (io.keyward.provider.ProviderException e) {
            return e;
        }
        try {
            checkMetadata(key, meta);
        } catch (KeyRevokedException | KeyMisconfiguredException e) {
            return e;
        }
        return new WrappedKeyInvalidException("the XKS proxy refused to decrypt this wrapped key with " + key.keyUri()
                + " (" + suspicion.getMessage() + "), but reports the key ENABLED for ENCRYPT and DECRYPT: the "
                + "wrapped key (its ciphertextMetadata, IV, tag or ciphertext) was refused, not the key");
    }

    @Override
    public void check(KeySpec spec) {
        XksKeyReference key = key(spec);
        Map<String, String> options = spec.options();
        XksClient.Deadline deadline = client.start();
        checkHealth(key, client.post(key, options, Operation.HEALTH, key.healthUri(), healthRequest(), deadline));
        ObjectNode describe = XksClient.object();
        describe.set("requestMetadata", metadata(key, "DescribeKey"));
        checkMetadata(key, client.post(key, options, Operation.METADATA, key.operationUri("metadata"), describe,
                deadline));
        byte[] probe = new byte[32];
        random.nextBytes(probe);
        XksWrappedKey w = encrypt(key, options, deadline, probe, CHECK_AAD, "Encrypt");
        byte[] back;
        try {
            // Confirmed like any decrypt, so that a proxy refusing its own fresh test ciphertext with, say,
            // KeyNotFoundException while it reports the key ENABLED is a broken proxy, not a revoked key.
            back = decryptConfirmed(key, options, deadline, w, CHECK_AAD);
        } catch (WrappedKeyInvalidException e) {
            Arrays.fill(probe, (byte) 0);
            throw new KeyMisconfiguredException("the XKS proxy refused to decrypt a test key it had just encrypted with "
                    + key.keyUri() + ", while reporting the key ENABLED");
        }
        boolean same = MessageDigest.isEqual(probe, back);
        Arrays.fill(probe, (byte) 0);
        Arrays.fill(back, (byte) 0);
        if (!same) {
            throw new KeyMisconfiguredException("the XKS proxy did not round-trip a test key with " + key.keyUri());
        }
        try {
            // A proxy may refuse the wrong AAD with another error name than InvalidCiphertextException (a versioning
            // proxy's KeyNotFoundException, say): confirmed, that is a refused wrapped key too.
            byte[] leaked = decryptConfirmed(key, options, deadline, w, CHECK_OTHER_AAD);
            Arrays.fill(leaked, (byte) 0);
        } catch (WrappedKeyInvalidException expected) {
            return;
        }
        throw new KeyMisconfiguredException("the XKS proxy at " + key.authority() + " ignored "
                + "'additionalAuthenticatedData' for " + key.keyUri() + ": keyward needs AAD bound as the XKS API "
                + "requires");
    }

    private XksWrappedKey encrypt(XksKeyReference key, Map<String, String> options, XksClient.Deadline deadline,
            byte[] plaintext, byte[] aad, String kmsOperation) {
        ObjectNode body = XksClient.object();
        body.set("requestMetadata", metadata(key, kmsOperation));
        // A String holds the base64 data key until collected: it cannot be zeroed (as with every JSON API).
        body.put("plaintext", Base64.getEncoder().encodeToString(plaintext));
        body.put("encryptionAlgorithm", "AES_GCM");
        putAad(body, aad, key);
        body.put("ciphertextDataIntegrityValueAlgorithm", "SHA_256");
        JsonNode r = client.post(key, options, Operation.ENCRYPT, key.operationUri("encrypt"), body, deadline);
        byte[] ciphertext = bytes(r, "ciphertext", true, key);
        byte[] iv = bytes(r, "initializationVector", true, key);
        byte[] tag = bytes(r, "authenticationTag", true, key);
        byte[] meta = bytes(r, "ciphertextMetadata", false, key);
        if (ciphertext.length != plaintext.length || (iv.length != 12 && iv.length != 16)
                || tag.length != XksWrappedKey.TAG_LENGTH || meta.length > XksWrappedKey.MAX_METADATA) {
            throw new KeyMisconfiguredException("the XKS proxy answered encrypt on " + key.keyUri()
                    + " with fields of the wrong size (XKS API: ciphertext as long as the plaintext, 12 or 16 byte "
                    + "IV, 16 byte tag, at most 20 bytes of metadata)");
        }
        byte[] cdiv = bytes(r, "ciphertextDataIntegrityValue", false, key);
        // Keyward always sends ciphertextDataIntegrityValueAlgorithm, and then the proxy MUST return the CDIV (spec,
        // Encrypt, "Response Payload Parameters"). Without it nothing vouches that the wrapped key will decrypt, and
        // keyward would keep a data key it may never get back: refused, as a proxy that does not follow the API.
        if (cdiv.length == 0) {
            throw new KeyMisconfiguredException("the XKS proxy returned no ciphertextDataIntegrityValue for encrypt on "
                    + key.keyUri() + " although keyward asked for one (SHA_256); the XKS API requires it (Encrypt, "
                    + "Appendix C): update or configure the proxy");
        }
        if (!MessageDigest.isEqual(cdiv, sha256(aad, meta, iv, ciphertext, tag))) {
            throw new KeyUnavailableException("the XKS proxy's ciphertextDataIntegrityValue for " + key.keyUri()
                    + " does not match its answer: the wrapped key was corrupted on the way, not used");
        }
        return new XksWrappedKey(iv, meta, tag, ciphertext);
    }

    private byte[] decrypt(XksKeyReference key, Map<String, String> options, XksClient.Deadline deadline,
            XksWrappedKey w, byte[] aad, String kmsOperation) {
        ObjectNode body = XksClient.object();
        body.set("requestMetadata", metadata(key, kmsOperation));
        body.put("ciphertext", Base64.getEncoder().encodeToString(w.ciphertext()));
        if (w.metadata().length > 0) {
            body.put("ciphertextMetadata", Base64.getEncoder().encodeToString(w.metadata()));
        }
        body.put("encryptionAlgorithm", "AES_GCM");
        putAad(body, aad, key);
        body.put("authenticationTag", Base64.getEncoder().encodeToString(w.tag()));
        body.put("initializationVector", Base64.getEncoder().encodeToString(w.iv()));
        JsonNode r = client.post(key, options, Operation.DECRYPT, key.operationUri("decrypt"), body, deadline);
        byte[] plaintext = bytes(r, "plaintext", true, key);
        if (plaintext.length != w.ciphertext().length) {
            Arrays.fill(plaintext, (byte) 0);
            throw new KeyMisconfiguredException("the XKS proxy answered decrypt on " + key.keyUri()
                    + " with a plaintext of the wrong length");
        }
        return plaintext;
    }

    private static void putAad(ObjectNode body, byte[] aad, XksKeyReference key) {
        if (aad == null || aad.length == 0) {
            return;
        }
        if (aad.length > MAX_AAD) {
            throw new KeyMisconfiguredException("associated data of " + aad.length + " bytes exceeds the "
                    + MAX_AAD + " bytes an XKS proxy must accept (" + key.keyUri() + ")");
        }
        body.put("additionalAuthenticatedData", Base64.getEncoder().encodeToString(aad));
    }

    /**
     * {@code requestMetadata} (XKS API, every operation). The spec's fields are AWS names; keyward fills them with its
     * own, which are not ARNs: {@code awsPrincipalArn} = {@code keyward:tenant/<t>/actor/<caller>},
     * {@code kmsKeyArn} = {@code keyward:tenant/<t>/key/<k>}, {@code kmsOperation} = {@code Encrypt}, {@code Decrypt}
     * or {@code DescribeKey}, {@code kmsRequestId} = keyward's request id (or a fresh UUID for background work),
     * {@code kmsViaService} = {@code keyward}. Informational for the proxy's logs and secondary authorization.
     */
    static ObjectNode metadata(XksKeyReference key, String kmsOperation) {
        CallContext c = CallContext.current();
        ObjectNode m = XksClient.object();
        String tenant = c.tenantId() == null ? "" : "tenant/" + field(c.tenantId()) + "/";
        m.put("awsPrincipalArn", field("keyward:" + tenant + "actor/" + (c.actor() == null ? "unknown" : c.actor())));
        m.put("kmsKeyArn", field(c.tenantId() == null || c.tenantKeyId() == null ? "keyward:" + key.keyUri()
                : "keyward:tenant/" + c.tenantId() + "/key/" + c.tenantKeyId()));
        m.put("kmsOperation", kmsOperation);
        m.put("kmsRequestId", c.requestId() == null || c.requestId().isBlank() ? UUID.randomUUID().toString()
                : field(c.requestId()));
        m.put("kmsViaService", "keyward");
        return m;
    }

    private static ObjectNode healthRequest() {
        ObjectNode m = XksClient.object();
        CallContext c = CallContext.current();
        m.put("kmsRequestId", c.requestId() == null || c.requestId().isBlank() ? UUID.randomUUID().toString()
                : field(c.requestId()));
        m.put("kmsOperation", "KeywardKeyCheck");
        ObjectNode body = XksClient.object();
        body.set("requestMetadata", m);
        return body;
    }

    /** Printable ASCII, at most the 2048 characters the spec guarantees for ARN fields. */
    static String field(String s) {
        String cut = s.length() > MAX_METADATA_FIELD ? s.substring(0, MAX_METADATA_FIELD) : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }

    private static void checkHealth(XksKeyReference key, JsonNode health) {
        List<String> statuses = new java.util.ArrayList<>();
        JsonNode fleet = health.get("ekmFleetDetails");
        if (fleet != null && fleet.isArray()) {
            fleet.forEach(e -> statuses.add(XksClient.text(e, "healthStatus")));
        }
        // GetHealthStatus: ACTIVE, DEGRADED (can still serve) or UNAVAILABLE, one per external key manager.
        if (!statuses.isEmpty() && statuses.stream().allMatch("UNAVAILABLE"::equals)) {
            throw new KeyUnavailableException("the XKS proxy at " + key.authority() + " reports every external key "
                    + "manager UNAVAILABLE");
        }
    }

    private static void checkMetadata(XksKeyReference key, JsonNode meta) {
        String status = XksClient.text(meta, "keyStatus");
        String spec = XksClient.text(meta, "keySpec");
        List<String> usage = XksClient.strings(meta.get("keyUsage"));
        if (status == null || spec == null || meta.get("keyUsage") == null) {
            throw new KeyMisconfiguredException("the XKS proxy answered metadata for " + key.keyUri()
                    + " without keySpec, keyUsage and keyStatus: is " + key.baseUri() + " an XKS proxy?");
        }
        if (!"ENABLED".equals(status)) {
            throw new KeyRevokedException("external key " + key.keyUri() + " is " + XksKeyReference.printable(status)
                    + " at the XKS proxy");
        }
        if (!usage.contains("ENCRYPT") || !usage.contains("DECRYPT")) {
            throw new KeyRevokedException("external key " + key.keyUri() + " does not allow both ENCRYPT and DECRYPT "
                    + "(keyUsage " + XksKeyReference.printable(String.valueOf(usage)) + ")");
        }
        if (!"AES_256".equals(spec)) {
            throw new KeyMisconfiguredException("external key " + key.keyUri() + " is " + XksKeyReference.printable(spec)
                    + "; the XKS API v1 and keyward need AES_256");
        }
    }

    private static byte[] bytes(JsonNode r, String field, boolean required, XksKeyReference key) {
        String s = XksClient.text(r, field);
        if (s == null) {
            if (required) {
                throw new KeyMisconfiguredException("the XKS proxy answered " + key.keyUri() + " without '" + field
                        + "'");
            }
            return new byte[0];
        }
        try {
            return Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            throw new KeyMisconfiguredException("the XKS proxy answered '" + field + "' for " + key.keyUri()
                    + " that is not base64");
        }
    }

    private static byte[] sha256(byte[]... parts) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (byte[] p : parts) {
                if (p != null) {
                    d.update(p);
                }
            }
            return d.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private XksKeyReference key(KeySpec spec) {
        if (spec == null || !ID.equals(spec.provider())) {
            throw new KeyMisconfiguredException("not an xks key: " + spec);
        }
        synchronized (parsed) {
            XksKeyReference k = parsed.get(spec);
            if (k != null) {
                return k;
            }
        }
        XksKeyReference k = XksKeyReference.parse(spec.keyUri(), spec.options());
        synchronized (parsed) {
            parsed.put(spec, k);
        }
        return k;
    }
}
