package io.keyward.provider.azure;

import io.keyward.provider.KeyMisconfiguredException;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The options an {@code azure-keyvault} tenant key may carry, checked without touching the network.
 *
 * <ul>
 * <li>none: keyward's own identity ({@code DefaultAzureCredential}: workload identity, managed identity...);
 * <li>{@code clientId} alone: which user-assigned managed identity / workload identity to use;
 * <li>{@code tenantId} + {@code clientId} + {@code clientSecret}: an app registration in the customer's Entra
 * tenant ({@code ClientSecretCredential}); {@code clientSecret} is stored sealed and never returned;
 * <li>{@code authorityHost}: the Entra ID authority of a sovereign cloud; a loopback authority (a test token
 * endpoint) only together with {@code clientSecret};
 * <li>{@code algorithm}: {@code RSA-OAEP-256} or {@code A256KW}, to insist on one; otherwise it follows the key type;
 * <li>{@code trustCertificatePem}: the only certificate(s) trusted for TLS, for loopback key ids only (emulators).
 * </ul>
 *
 * <p>Two rules keep keyward's own identity safe: a loopback key id needs explicit client-secret credentials (a
 * process on localhost must never receive keyward's workload-identity token), and a non-Microsoft authority host
 * is refused for the same reason.
 */
record AzureKeyOptions(String tenantId, String clientId, String clientSecret, String authorityHost,
        String algorithm, String trustCertificatePem) {

    static final String TENANT_ID = "tenantId";
    static final String CLIENT_ID = "clientId";
    static final String CLIENT_SECRET = "clientSecret";
    static final String AUTHORITY_HOST = "authorityHost";
    static final String ALGORITHM = "algorithm";
    static final String TRUST_CERTIFICATE_PEM = "trustCertificatePem";
    static final Set<String> NAMES = new TreeSet<>(Set.of(TENANT_ID, CLIENT_ID, CLIENT_SECRET, AUTHORITY_HOST,
            ALGORITHM, TRUST_CERTIFICATE_PEM));
    static final Set<String> ALGORITHMS = new TreeSet<>(Set.of(KeyVaultWrappedKey.RSA_OAEP_256,
            KeyVaultWrappedKey.A256KW));
    /** Microsoft Entra ID authorities: global, Azure China, Azure US Government. */
    private static final Set<String> KNOWN_AUTHORITIES = Set.of("https://login.microsoftonline.com",
            "https://login.chinacloudapi.cn", "https://login.microsoftonline.us");
    private static final Pattern GUID = Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    /** A tenant is a GUID or a verified domain such as contoso.onmicrosoft.com. */
    private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.-]{0,252}");
    private static final Pattern LOOPBACK_AUTHORITY = Pattern.compile(
            "https://(localhost|127\\.0\\.0\\.1|\\[::1\\])(:[0-9]{1,5})?");
    private static final int MAX_PEM_CHARS = 6000;

    static AzureKeyOptions parse(Map<String, String> options, AzureKeyId keyId) {
        Map<String, String> o = options == null ? Map.of() : options;
        Set<String> unknown = new TreeSet<>(o.keySet());
        unknown.removeAll(NAMES);
        if (!unknown.isEmpty()) {
            throw bad("unknown option(s) " + safeNames(unknown) + "; the azure-keyvault provider takes " + NAMES);
        }
        for (Map.Entry<String, String> e : o.entrySet()) {
            if (e.getValue() == null || e.getValue().isBlank()) {
                throw bad("option '" + e.getKey() + "' is empty");
            }
        }
        String tenant = o.get(TENANT_ID);
        String client = o.get(CLIENT_ID);
        String secret = o.get(CLIENT_SECRET);
        if (tenant != null && !TENANT.matcher(tenant).matches()) {
            throw bad("tenantId must be a directory (tenant) GUID or a domain such as contoso.onmicrosoft.com");
        }
        if (client != null && !GUID.matcher(client).matches()) {
            throw bad("clientId must be an application (client) id GUID");
        }
        if (secret != null) {
            if (tenant == null || client == null) {
                throw bad("clientSecret needs tenantId and clientId (the app registration it belongs to)");
            }
            if (secret.length() > 1024 || !secret.matches("[\\x21-\\x7e]+")) {
                throw bad("clientSecret must be 1-1024 printable characters without spaces");
            }
        }
        if (keyId.kind() == AzureKeyId.Kind.LOOPBACK && secret == null) {
            throw bad("a loopback key id (an emulator) needs tenantId, clientId and clientSecret: keyward's own "
                    + "Azure identity is only ever presented to Azure Key Vault hosts");
        }
        String authority = authority(o.get(AUTHORITY_HOST), secret != null);
        String algorithm = o.get(ALGORITHM);
        if (algorithm != null && !ALGORITHMS.contains(algorithm)) {
            throw bad("algorithm must be one of " + ALGORITHMS + " (got '" + AzureKeyId.safe(algorithm) + "')");
        }
        if (algorithm != null && keyId.kind() == AzureKeyId.Kind.VAULT && KeyVaultWrappedKey.A256KW.equals(algorithm)) {
            throw bad("A256KW needs an oct-HSM key, which only Managed HSM offers; Key Vault keys use RSA-OAEP-256");
        }
        String pem = o.get(TRUST_CERTIFICATE_PEM);
        if (pem != null) {
            if (keyId.kind() != AzureKeyId.Kind.LOOPBACK) {
                throw bad("trustCertificatePem is only accepted for loopback key ids (emulators); Azure hosts are "
                        + "verified against the system trust store");
            }
            certificates(pem);
        }
        return new AzureKeyOptions(tenant, client, secret, authority, algorithm, pem);
    }

    private static String authority(String value, boolean hasSecret) {
        if (value == null) {
            return null;
        }
        String a = value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
        a = a.toLowerCase(Locale.ROOT);
        if (KNOWN_AUTHORITIES.contains(a)) {
            return a;
        }
        if (LOOPBACK_AUTHORITY.matcher(a).matches()) {
            if (!hasSecret) {
                throw bad("a loopback authorityHost is only accepted with clientSecret credentials");
            }
            return a;
        }
        throw bad("authorityHost must be one of " + new TreeSet<>(KNOWN_AUTHORITIES)
                + " (keyward only sends credentials to Microsoft Entra ID)");
    }

    /** Parses the PEM bundle; throws {@link KeyMisconfiguredException} if it holds no valid certificate. */
    static List<X509Certificate> certificates(String pem) {
        if (pem.length() > MAX_PEM_CHARS) {
            throw bad("trustCertificatePem is longer than " + MAX_PEM_CHARS + " characters");
        }
        if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
            throw bad("trustCertificatePem must be PEM (-----BEGIN CERTIFICATE-----)");
        }
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            List<X509Certificate> out = new ArrayList<>();
            for (var c : cf.generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty() || out.size() > 4) {
                throw bad("trustCertificatePem must hold 1 to 4 certificates");
            }
            return out;
        } catch (CertificateException e) {
            throw bad("trustCertificatePem is not a valid X.509 certificate");
        }
    }

    /** The options as stored in the {@code KeySpec}: only what was given, normalised. */
    Map<String, String> asMap() {
        Map<String, String> m = new TreeMap<>();
        put(m, TENANT_ID, tenantId);
        put(m, CLIENT_ID, clientId);
        put(m, CLIENT_SECRET, clientSecret);
        put(m, AUTHORITY_HOST, authorityHost);
        put(m, ALGORITHM, algorithm);
        put(m, TRUST_CERTIFICATE_PEM, trustCertificatePem);
        return m;
    }

    private static void put(Map<String, String> m, String k, String v) {
        if (v != null) {
            m.put(k, v);
        }
    }

    boolean loopbackAuthority() {
        return authorityHost != null && LOOPBACK_AUTHORITY.matcher(authorityHost).matches();
    }

    private static String safeNames(Set<String> names) {
        List<String> out = new ArrayList<>();
        names.stream().limit(10).forEach(n -> out.add(AzureKeyId.safe(n)));
        return out.toString();
    }

    private static KeyMisconfiguredException bad(String message) {
        return new KeyMisconfiguredException(message);
    }

    @Override
    public String toString() {
        return "AzureKeyOptions[tenantId=" + tenantId + ", clientId=" + clientId + ", clientSecret="
                + (clientSecret == null ? "none" : "(redacted)") + ", authorityHost=" + authorityHost
                + ", algorithm=" + algorithm + ", trustCertificatePem=" + (trustCertificatePem != null) + "]";
    }
}
