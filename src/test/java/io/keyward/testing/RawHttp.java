package io.keyward.testing;

import io.restassured.RestAssured;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for requests an HTTP client library would "fix" before sending: dot segments,
 * percent-encoded slashes, raw non-ASCII bytes in the path, missing or odd headers, bodies that are not JSON.
 * The request line goes on the wire exactly as given.
 */
public final class RawHttp {
    private RawHttp() {
    }

    /** A parsed response: status, headers (lower-case names) and body bytes (de-chunked). */
    public record Response(int status, Map<String, String> headers, byte[] body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            String t = text();
            return status + " " + headers.get("content-type") + " " + (t.length() > 300 ? t.substring(0, 300) : t);
        }
    }

    public static Response send(String method, String rawTarget, Map<String, String> headers, byte[] body) {
        return send(method, rawTarget.getBytes(StandardCharsets.ISO_8859_1), headers, body, false);
    }

    /** Sends {@code body} with {@code Transfer-Encoding: chunked} (no Content-Length for the server to check). */
    public static Response sendChunked(String method, String rawTarget, Map<String, String> headers, byte[] body) {
        return send(method, rawTarget.getBytes(StandardCharsets.ISO_8859_1), headers, body, true);
    }

    public static Response send(String method, byte[] rawTarget, Map<String, String> headers, byte[] body) {
        return send(method, rawTarget, headers, body, false);
    }

    /** {@code rawTarget} is written byte for byte (it may hold non-ASCII bytes). */
    private static Response send(String method, byte[] rawTarget, Map<String, String> headers, byte[] body,
            boolean chunked) {
        try (Socket s = new Socket("localhost", RestAssured.port)) {
            s.setSoTimeout(30_000);
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            head.writeBytes((method + " ").getBytes(StandardCharsets.US_ASCII));
            head.writeBytes(rawTarget);
            head.writeBytes(" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n".getBytes(StandardCharsets.US_ASCII));
            for (Map.Entry<String, String> h : headers.entrySet()) {
                head.writeBytes((h.getKey() + ": " + h.getValue() + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            }
            if (body != null && chunked) {
                head.writeBytes("Transfer-Encoding: chunked\r\n".getBytes(StandardCharsets.US_ASCII));
            } else if (body != null) {
                head.writeBytes(("Content-Length: " + body.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            }
            head.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            out.write(head.toByteArray());
            if (body != null) {
                try {
                    // In slices, so a server that answers early (413) and closes does not lose its answer.
                    for (int off = 0; off < body.length; off += 64 * 1024) {
                        int n = Math.min(64 * 1024, body.length - off);
                        if (chunked) {
                            out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        }
                        out.write(body, off, n);
                        if (chunked) {
                            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                        }
                    }
                    if (chunked) {
                        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                } catch (SocketException e) {
                    // The server refused the rest of the body; its response is still in the socket.
                }
            }
            out.flush();
            return parse(s.getInputStream().readAllBytes());
        } catch (IOException e) {
            throw new IllegalStateException("raw HTTP request failed: " + e, e);
        }
    }

    /** Admin-authenticated JSON request. */
    public static Response adminJson(String method, String rawTarget, String json) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Authorization", "Bearer " + Api.ADMIN_TOKEN);
        h.put("Content-Type", "application/json");
        return send(method, rawTarget, h, json == null ? null : json.getBytes(StandardCharsets.UTF_8));
    }

    static Response parse(byte[] raw) {
        int end = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0);
        if (end < 0) {
            throw new IllegalStateException("no HTTP response head in " + raw.length + " bytes");
        }
        String[] lines = new String(raw, 0, end, StandardCharsets.ISO_8859_1).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            if (c > 0) {
                headers.put(lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT), lines[i].substring(c + 1).trim());
            }
        }
        byte[] body = java.util.Arrays.copyOfRange(raw, end + 4, raw.length);
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            body = dechunk(body);
        } else if (headers.containsKey("content-length")) {
            int len = Integer.parseInt(headers.get("content-length"));
            body = java.util.Arrays.copyOf(body, Math.min(len, body.length));
        }
        return new Response(status, headers, body);
    }

    private static byte[] dechunk(byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int pos = 0;
        while (pos < b.length) {
            int eol = indexOf(b, "\r\n".getBytes(StandardCharsets.US_ASCII), pos);
            if (eol < 0) {
                break;
            }
            String sizeLine = new String(b, pos, eol - pos, StandardCharsets.US_ASCII).split(";")[0].trim();
            int size = Integer.parseInt(sizeLine, 16);
            if (size == 0) {
                break;
            }
            out.write(b, eol + 2, Math.min(size, b.length - eol - 2));
            pos = eol + 2 + size + 2;
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
