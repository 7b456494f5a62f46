package io.keyward.testing;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Verifies AWS Signature Version 4 on a received request, as AWS does: recomputes the signature from the
 * canonical request with the secret of the access key the request names
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html). Used by the AWS KMS
 * test server (services kms and sts, 15 minutes of clock skew) and by the XKS test proxy (service
 * {@code kms-xks-proxy}, 5 minutes, as the XKS proxy API specification's Appendix A asks).
 */
public final class SigV4Verifier {
    private static final Pattern AUTH = Pattern.compile(
            "^AWS4-HMAC-SHA256\\s+Credential=([^/]+)/(\\d{8})/([^/]+)/([^/]+)/aws4_request,\\s*"
                    + "SignedHeaders=([^,]+),\\s*Signature=([0-9a-f]{64})$");
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private final String service;
    private final Duration maxSkew;

    /** The credential scope and signature an Authorization header claims. */
    public record Claim(String accessKeyId, String date, String region, String service, List<String> signedHeaders,
            String signature) {
    }

    /** A received request; {@code headers} by lower-case name, {@code rawQuery} null when there is none. */
    public record Request(String method, String rawPath, String rawQuery, Map<String, List<String>> headers,
            byte[] body) {
        String header(String name) {
            List<String> values = headers.get(name);
            return values == null || values.isEmpty() ? null : values.get(0);
        }
    }

    /**
     * @param service the only service a credential scope may name, or null when the caller checks it (the AWS
     *                test server answers a wrong service with its own error)
     * @param maxSkew how far x-amz-date may be from this clock, either way
     */
    public SigV4Verifier(String service, Duration maxSkew) {
        this.service = service;
        this.maxSkew = maxSkew;
    }

    /** Parses the Authorization header; null if it is missing or not SigV4. */
    public static Claim parse(String authorization) {
        if (authorization == null) {
            return null;
        }
        Matcher m = AUTH.matcher(authorization.strip());
        if (!m.matches()) {
            return null;
        }
        return new Claim(m.group(1), m.group(2), m.group(3), m.group(4), List.of(m.group(5).split(";")), m.group(6));
    }

    /**
     * Null if the signature is right for {@code secret}; otherwise why not. The payload hash in the canonical
     * request is always the body's own; a declared {@code x-amz-content-sha256} must match it.
     */
    public String verify(Claim claim, String secret, Request request) {
        if (service != null && !service.equals(claim.service())) {
            return "the credential scope must name the service " + service;
        }
        String amzDate = request.header("x-amz-date");
        if (amzDate == null || !claim.signedHeaders().contains("host")
                || !claim.signedHeaders().contains("x-amz-date")) {
            return "the request must sign host and x-amz-date";
        }
        try {
            Instant at = Instant.from(AMZ_DATE.parse(amzDate));
            if (Duration.between(at, Instant.now()).abs().compareTo(maxSkew) > 0) {
                return "Signature expired: " + amzDate + " is more than " + maxSkew.toMinutes()
                        + " minutes away from the server time";
            }
        } catch (DateTimeParseException e) {
            return "x-amz-date is not a valid date";
        }
        if (!amzDate.startsWith(claim.date())) {
            return "the credential scope date does not match x-amz-date";
        }
        StringBuilder canonical = new StringBuilder();
        canonical.append(request.method()).append('\n');
        canonical.append(canonicalPath(request.rawPath())).append('\n');
        canonical.append(canonicalQuery(request.rawQuery())).append('\n');
        for (String h : claim.signedHeaders()) {
            List<String> values = request.headers().get(h);
            if (values == null) {
                return "signed header " + h + " is missing";
            }
            List<String> trimmed = new ArrayList<>();
            values.forEach(v -> trimmed.add(v.strip().replaceAll("\\s+", " ")));
            canonical.append(h).append(':').append(String.join(",", trimmed)).append('\n');
        }
        canonical.append('\n').append(String.join(";", claim.signedHeaders())).append('\n');
        String payloadHash = hex(sha256(request.body()));
        String declared = request.header("x-amz-content-sha256");
        if (declared != null && !declared.equals(payloadHash)) {
            return "x-amz-content-sha256 does not match the payload";
        }
        canonical.append(payloadHash);

        String scope = claim.date() + "/" + claim.region() + "/" + claim.service() + "/aws4_request";
        String toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n"
                + hex(sha256(canonical.toString().getBytes(StandardCharsets.UTF_8)));
        byte[] key = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), claim.date());
        key = hmac(key, claim.region());
        key = hmac(key, claim.service());
        key = hmac(key, "aws4_request");
        String expected = hex(hmac(key, toSign));
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                claim.signature().getBytes(StandardCharsets.US_ASCII)) ? null
                : "The request signature we calculated does not match the signature you provided.";
    }

    /** Non-S3 services encode each path segment once more on top of the wire encoding. */
    private static String canonicalPath(String rawPath) {
        if (rawPath == null || rawPath.isEmpty()) {
            return "/";
        }
        List<String> out = new ArrayList<>();
        for (String segment : rawPath.split("/", -1)) {
            out.add(encode(segment));
        }
        return String.join("/", out);
    }

    private static String canonicalQuery(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return "";
        }
        List<String[]> pairs = new ArrayList<>();
        for (String p : rawQuery.split("&")) {
            int eq = p.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? p : p.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(p.substring(eq + 1), StandardCharsets.UTF_8);
            pairs.add(new String[] {encode(k), encode(v)});
        }
        pairs.sort((a, b) -> a[0].equals(b[0]) ? a[1].compareTo(b[1]) : a[0].compareTo(b[0]));
        List<String> joined = new ArrayList<>();
        pairs.forEach(p -> joined.add(p[0] + "=" + p[1]));
        return String.join("&", joined);
    }

    /** RFC 3986 unreserved characters stay, everything else is %XX (upper case). */
    private static String encode(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
                    || c == '.' || c == '~') {
                out.append(c);
            } else {
                out.append('%').append(String.format(Locale.ROOT, "%02X", b & 0xff));
            }
        }
        return out.toString();
    }

    public static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
