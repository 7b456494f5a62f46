package io.keyward.testing.xks;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
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
 * Verifies SigV4 on an XKS proxy request as the XKS proxy API specification's Appendix A describes: service
 * {@code kms-xks-proxy}, signed headers including {@code host} and {@code x-amz-date}, no query string, the payload's
 * SHA-256 in the canonical request, and a timestamp within 5 minutes. Adapted from the AWS KMS test server's verifier.
 */
final class XksSigV4 {
    private static final Pattern AUTH = Pattern.compile(
            "^AWS4-HMAC-SHA256\\s+Credential=([^/]+)/(\\d{8})/([^/]+)/([^/]+)/aws4_request,\\s*"
                    + "SignedHeaders=([^,]+),\\s*Signature=([0-9a-f]{64})$");
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);
    /** "Any requests more than 5 minutes in the past (or future, due to clock drift) SHOULD fail authentication." */
    private static final Duration MAX_SKEW = Duration.ofMinutes(5);

    record Claim(String accessKeyId, String date, String region, String service, List<String> signedHeaders,
            String signature) {
    }

    private XksSigV4() {
    }

    static Claim parse(String authorization) {
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
     * Null if the signature is right for {@code secret}; otherwise why not.
     *
     * @param headers request headers by lower-case name
     */
    static String verify(Claim claim, String secret, String method, String rawPath, Map<String, List<String>> headers,
            byte[] body) {
        if (!"kms-xks-proxy".equals(claim.service())) {
            return "the credential scope must name the service kms-xks-proxy";
        }
        List<String> dates = headers.get("x-amz-date");
        String amzDate = dates == null ? null : dates.get(0);
        if (amzDate == null || !claim.signedHeaders().contains("host")
                || !claim.signedHeaders().contains("x-amz-date")) {
            return "the request must sign host and x-amz-date";
        }
        try {
            Instant at = Instant.from(AMZ_DATE.parse(amzDate));
            if (Duration.between(at, Instant.now()).abs().compareTo(MAX_SKEW) > 0) {
                return "x-amz-date is more than 5 minutes away from the proxy's time";
            }
        } catch (DateTimeParseException e) {
            return "x-amz-date is not a valid date";
        }
        if (!amzDate.startsWith(claim.date())) {
            return "the credential scope date does not match x-amz-date";
        }
        StringBuilder canonical = new StringBuilder();
        canonical.append(method).append('\n');
        canonical.append(canonicalPath(rawPath)).append('\n');
        canonical.append('\n'); // the XKS API has no query parameters
        for (String h : claim.signedHeaders()) {
            List<String> values = headers.get(h);
            if (values == null) {
                return "signed header " + h + " is missing";
            }
            List<String> trimmed = new ArrayList<>();
            values.forEach(v -> trimmed.add(v.strip().replaceAll("\\s+", " ")));
            canonical.append(h).append(':').append(String.join(",", trimmed)).append('\n');
        }
        canonical.append('\n').append(String.join(";", claim.signedHeaders())).append('\n');
        String payloadHash = hex(sha256(body));
        List<String> declared = headers.get("x-amz-content-sha256");
        if (declared != null && !declared.get(0).equals(payloadHash)) {
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
                : "the request signature does not match";
    }

    /** Each path segment encoded once more on top of the wire encoding (non-S3 SigV4). */
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

    static byte[] sha256(byte[] data) {
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
