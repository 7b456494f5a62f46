package io.keyward.provider.pkcs11;

import io.keyward.provider.KeyMisconfiguredException;

import java.io.ByteArrayOutputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A PKCS#11 URI (RFC 7512) naming a secret key: {@code pkcs11:token=<label>;object=<key label>}, optionally with
 * {@code serial=} to pin the token and {@code type=secret-key}. Values are percent-decoded (RFC 7512 section 2.3:
 * a label with {@code ;} or a space is written {@code %3B}, {@code %20}). Query attributes are refused: a
 * {@code pin-value} in the URI would be stored in clear, and the module comes from the {@code module} option, which
 * the operator allowlists.
 */
record Pkcs11KeyUri(String token, String serial, String object) {
    private static final Set<String> ALLOWED = Set.of("token", "serial", "object", "type");

    static Pkcs11KeyUri parse(String uri) {
        if (uri == null || !uri.startsWith("pkcs11:")) {
            throw bad("must start with 'pkcs11:' (RFC 7512), e.g. pkcs11:token=payments;object=tenant-kek");
        }
        String rest = uri.substring("pkcs11:".length());
        int query = rest.indexOf('?');
        if (query >= 0) {
            String q = rest.substring(query + 1);
            if (q.contains("pin-value")) {
                throw bad("must not carry pin-value: give the PIN in the 'pin' option, which keyward stores sealed");
            }
            throw bad("query attributes are not supported; the library comes from the 'module' option");
        }
        Map<String, String> attrs = new LinkedHashMap<>();
        for (String part : rest.split(";", -1)) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw bad("attribute '" + clip(part) + "' is not name=value");
            }
            String name = part.substring(0, eq);
            if (!ALLOWED.contains(name)) {
                throw bad("attribute '" + clip(name) + "' is not supported; use token, serial, object and type");
            }
            if (attrs.put(name, decode(name, part.substring(eq + 1))) != null) {
                throw bad("attribute '" + name + "' appears twice");
            }
        }
        String type = attrs.get("type");
        if (type != null && !type.equals("secret-key")) {
            throw bad("type must be secret-key (keyward wraps with an AES key)");
        }
        String token = attrs.get("token");
        String object = attrs.get("object");
        if (token == null || token.isEmpty()) {
            throw bad("needs token=<token label>");
        }
        if (object == null || object.isEmpty()) {
            throw bad("needs object=<key label>");
        }
        if (token.length() > 32) {
            throw bad("token label is longer than the 32 bytes PKCS#11 allows");
        }
        return new Pkcs11KeyUri(token, attrs.get("serial"), object);
    }

    private static String decode(String name, String value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '%') {
                if (i + 2 >= value.length()) {
                    throw bad("attribute '" + name + "' has a broken %-escape");
                }
                int hi = Character.digit(value.charAt(i + 1), 16);
                int lo = Character.digit(value.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw bad("attribute '" + name + "' has a broken %-escape");
                }
                out.write(hi * 16 + lo);
                i += 2;
            } else if (c < 0x21 || c > 0x7e || c == '/' && !name.equals("object") || c == '?' || c == '#') {
                throw bad("attribute '" + name + "' has a character that must be %-escaped");
            } else {
                out.write(c);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(out.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw bad("attribute '" + name + "' is not UTF-8 after %-decoding");
        }
    }

    private static String clip(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    private static KeyMisconfiguredException bad(String what) {
        return new KeyMisconfiguredException("pkcs11 key URI " + what);
    }
}
