package io.keyward.provider.gcp;

import io.keyward.provider.KeyMisconfiguredException;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Where keyward reaches Cloud KMS for one tenant key, from the key's options:
 * <ul>
 *   <li>{@code endpoint}: {@code host:port}; default {@code cloudkms.googleapis.com:443}. Over TLS the host must be
 *   a Google API host ({@code *.googleapis.com}: the global endpoint, a regional endpoint such as
 *   {@code cloudkms.us-east1.rep.googleapis.com}, or a Private Service Connect name
 *   {@code cloudkms-<endpoint>.p.googleapis.com}), because keyward attaches its Google access token to every call
 *   and must never hand it to a host a tenant chose.</li>
 *   <li>{@code transport}: {@code tls} (default) or {@code plaintext}. Plaintext sends no credentials and is only
 *   accepted for a loopback endpoint ({@code localhost}, {@code 127.0.0.1}, {@code [::1]}): it exists for test
 *   servers in the same host, never for real Cloud KMS.</li>
 * </ul>
 * Equal endpoints share one SDK client, so this record is the client cache key.
 */
record KmsEndpoint(String host, int port, boolean plaintext) {
    static final String ENDPOINT = "endpoint";
    static final String TRANSPORT = "transport";
    static final Set<String> OPTIONS = Set.of(ENDPOINT, TRANSPORT);
    static final KmsEndpoint DEFAULT = new KmsEndpoint("cloudkms.googleapis.com", 443, false);

    private static final Pattern DNS_NAME = Pattern.compile(
            "(?=.{1,253}$)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*");
    private static final Pattern GOOGLE_API_HOST = Pattern.compile("(?:[a-z0-9-]+\\.)+googleapis\\.com");
    private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "::1");

    static KmsEndpoint fromOptions(Map<String, String> options) {
        Set<String> unknown = new TreeSet<>(options.keySet());
        unknown.removeAll(OPTIONS);
        if (!unknown.isEmpty()) {
            throw new KeyMisconfiguredException("unknown gcp-kms option(s) " + unknown.stream().map(CryptoKeyName::quote)
                    .toList() + "; allowed: " + new TreeSet<>(OPTIONS));
        }
        for (Map.Entry<String, String> e : options.entrySet()) {
            if (e.getValue() == null || e.getValue().isBlank()) {
                throw new KeyMisconfiguredException("option " + e.getKey() + " has no value");
            }
        }
        String transport = options.getOrDefault(TRANSPORT, "tls").toLowerCase(Locale.ROOT);
        if (!transport.equals("tls") && !transport.equals("plaintext")) {
            throw new KeyMisconfiguredException("option transport must be 'tls' or 'plaintext', got '"
                    + CryptoKeyName.quote(transport) + "'");
        }
        boolean plaintext = transport.equals("plaintext");
        String endpoint = options.get(ENDPOINT);
        if (endpoint == null) {
            if (plaintext) {
                throw new KeyMisconfiguredException("transport=plaintext needs an explicit loopback endpoint "
                        + "(e.g. endpoint=127.0.0.1:9090); the default Cloud KMS endpoint is TLS only");
            }
            return DEFAULT;
        }
        KmsEndpoint parsed = parse(endpoint, plaintext);
        if (plaintext && !LOOPBACK.contains(parsed.host.toLowerCase(Locale.ROOT))) {
            throw new KeyMisconfiguredException("transport=plaintext is only allowed for a loopback endpoint "
                    + "(localhost, 127.0.0.1, [::1]); endpoint host is '" + CryptoKeyName.quote(parsed.host) + "'");
        }
        if (!plaintext && !GOOGLE_API_HOST.matcher(parsed.host.toLowerCase(Locale.ROOT)).matches()) {
            throw new KeyMisconfiguredException("endpoint host '" + CryptoKeyName.quote(parsed.host)
                    + "' is not a Google API host (*.googleapis.com); keyward sends its Google credentials only to Google");
        }
        return parsed;
    }

    private static KmsEndpoint parse(String endpoint, boolean plaintext) {
        String host;
        String port;
        if (endpoint.startsWith("[")) {
            int close = endpoint.indexOf("]:");
            if (close < 0) {
                throw badEndpoint(endpoint);
            }
            host = endpoint.substring(1, close);
            port = endpoint.substring(close + 2);
            if (!host.equals("::1")) {
                throw new KeyMisconfiguredException("endpoint '" + CryptoKeyName.quote(endpoint)
                        + "': the only IPv6 address accepted is the loopback [::1]");
            }
        } else {
            int colon = endpoint.lastIndexOf(':');
            if (colon <= 0 || endpoint.indexOf(':') != colon) {
                throw badEndpoint(endpoint);
            }
            host = endpoint.substring(0, colon);
            port = endpoint.substring(colon + 1);
            if (!DNS_NAME.matcher(host).matches()) {
                throw new KeyMisconfiguredException("endpoint host '" + CryptoKeyName.quote(host)
                        + "' is not a host name or IPv4 address");
            }
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new KeyMisconfiguredException("endpoint port '" + CryptoKeyName.quote(port) + "' is not a number");
        }
        if (p < 1 || p > 65535) {
            throw new KeyMisconfiguredException("endpoint port " + p + " is out of range 1-65535");
        }
        return new KmsEndpoint(host, p, plaintext);
    }

    private static KeyMisconfiguredException badEndpoint(String endpoint) {
        return new KeyMisconfiguredException("option endpoint must be host:port (e.g. cloudkms.googleapis.com:443), got '"
                + CryptoKeyName.quote(endpoint) + "'");
    }

    /** {@code host:port} as gRPC and gax expect it. */
    String authority() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
