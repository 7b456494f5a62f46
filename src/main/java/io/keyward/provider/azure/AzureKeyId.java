package io.keyward.provider.azure;

import io.keyward.provider.KeyMisconfiguredException;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A parsed Azure key identifier: {@code https://<vault>.vault.azure.net/keys/<name>[/<version>]} (Key Vault) or
 * {@code https://<hsm>.managedhsm.azure.net/keys/<name>[/<version>]} (Managed HSM), in the public or a sovereign
 * cloud. Loopback hosts ({@code localhost}, {@code 127.0.0.1}, {@code [::1]}) are accepted for Key Vault emulators
 * and keyward's own test server; {@link AzureKeyOptions} restricts what credentials they may be given.
 *
 * <p>Naming rules: https://learn.microsoft.com/en-us/azure/key-vault/general/about-keys-secrets-certificates
 * (object names 1-127 letters, digits and dashes; versions are 32 hex digits) and vault names 3-24 characters,
 * starting with a letter, no consecutive or trailing dashes.
 */
record AzureKeyId(String host, int port, Kind kind, String name, String version) {

    enum Kind {
        /** {@code *.vault.azure.net} and its sovereign-cloud equivalents: RSA keys. */
        VAULT,
        /** {@code *.managedhsm.azure.net} and equivalents: RSA-HSM or oct-HSM keys. */
        MANAGED_HSM,
        /** An emulator or test server on this machine. */
        LOOPBACK
    }

    private static final List<String> VAULT_SUFFIXES = List.of(".vault.azure.net", ".vault.azure.cn",
            ".vault.usgovcloudapi.net");
    private static final List<String> HSM_SUFFIXES = List.of(".managedhsm.azure.net", ".managedhsm.azure.cn",
            ".managedhsm.usgovcloudapi.net");
    private static final List<String> LOOPBACK_HOSTS = List.of("localhost", "127.0.0.1", "[::1]");
    private static final Pattern VAULT_NAME = Pattern.compile("[a-z][a-z0-9-]{1,22}[a-z0-9]");
    static final Pattern KEY_NAME = Pattern.compile("[a-zA-Z0-9-]{1,127}");
    static final Pattern KEY_VERSION = Pattern.compile("[0-9a-fA-F]{32}");

    static AzureKeyId parse(String keyUri) {
        if (keyUri == null || keyUri.isBlank()) {
            throw bad("key URI is required, e.g. https://<vault>.vault.azure.net/keys/<name>");
        }
        if (keyUri.length() > 512) {
            throw bad("key URI is longer than 512 characters");
        }
        URI uri;
        try {
            uri = new URI(keyUri);
        } catch (URISyntaxException e) {
            throw bad("key URI is not a valid URI");
        }
        if (!"https".equalsIgnoreCase(uri.getScheme())) {
            throw bad("Azure key id must start with https:// (got scheme '" + safe(uri.getScheme()) + "')");
        }
        if (uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw bad("Azure key id must not carry user info, a query or a fragment");
        }
        String host = uri.getHost() == null ? null : uri.getHost().toLowerCase(Locale.ROOT);
        if (host == null) {
            throw bad("Azure key id has no host");
        }
        Kind kind = kindOf(host);
        int port = uri.getPort();
        if (kind != Kind.LOOPBACK && port != -1 && port != 443) {
            throw bad("Azure key id must not name a port (got " + port + ")");
        }
        if (kind != Kind.LOOPBACK) {
            port = -1;
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        String[] parts = path.split("/", -1);
        // "/keys/<name>" splits into ["", "keys", name]; a version adds one more part.
        if (parts.length < 3 || parts.length > 4 || !parts[0].isEmpty() || !"keys".equals(parts[1])) {
            throw bad("Azure key id path must be /keys/<name> or /keys/<name>/<version> (got '" + safe(path) + "')");
        }
        String name = parts[2];
        if (!KEY_NAME.matcher(name).matches()) {
            throw bad("key name '" + safe(name) + "' must be 1-127 letters, digits or dashes");
        }
        String version = parts.length == 4 ? parts[3] : null;
        if (version != null && !KEY_VERSION.matcher(version).matches()) {
            throw bad("key version '" + safe(version) + "' must be 32 hexadecimal digits");
        }
        return new AzureKeyId(host, port, kind, name, version == null ? null : version.toLowerCase(Locale.ROOT));
    }

    private static Kind kindOf(String host) {
        if (LOOPBACK_HOSTS.contains(host)) {
            return Kind.LOOPBACK;
        }
        for (String suffix : VAULT_SUFFIXES) {
            if (host.endsWith(suffix)) {
                requireVaultName(host.substring(0, host.length() - suffix.length()), "vault");
                return Kind.VAULT;
            }
        }
        for (String suffix : HSM_SUFFIXES) {
            if (host.endsWith(suffix)) {
                requireVaultName(host.substring(0, host.length() - suffix.length()), "managed HSM");
                return Kind.MANAGED_HSM;
            }
        }
        throw bad("host '" + safe(host) + "' is not an Azure Key Vault or Managed HSM host (expected "
                + "<vault>.vault.azure.net or <hsm>.managedhsm.azure.net, or a sovereign-cloud equivalent)");
    }

    private static void requireVaultName(String label, String what) {
        if (!VAULT_NAME.matcher(label).matches() || label.contains("--")) {
            throw bad(what + " name '" + safe(label) + "' must be 3-24 letters, digits or dashes, start with a "
                    + "letter, and have no trailing or consecutive dashes");
        }
    }

    /** {@code https://host[:port]}, what the SDK calls the vault URL. */
    String vaultUrl() {
        return "https://" + host + (port > 0 ? ":" + port : "");
    }

    /** The key id as the SDK takes it: versionless when {@link #version()} is null. */
    String id() {
        return vaultUrl() + "/keys/" + name + (version == null ? "" : "/" + version);
    }

    AzureKeyId withVersion(String v) {
        return new AzureKeyId(host, port, kind, name, v);
    }

    AzureKeyId versionless() {
        return withVersion(null);
    }

    /** The version part of a versioned key id returned by Key Vault ({@code .../keys/<name>/<version>}). */
    static String versionOf(String kid) {
        if (kid == null) {
            return null;
        }
        int slash = kid.lastIndexOf('/');
        String v = slash < 0 ? "" : kid.substring(slash + 1);
        return v.matches("[0-9A-Za-z]{1,64}") ? v : null;
    }

    private static KeyMisconfiguredException bad(String message) {
        return new KeyMisconfiguredException(message);
    }

    /** Echoes user input in messages only as printable ASCII and bounded, so a message stays safe to show. */
    static String safe(String s) {
        if (s == null) {
            return "";
        }
        String cut = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
