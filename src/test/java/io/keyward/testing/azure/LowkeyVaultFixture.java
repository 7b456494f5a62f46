package io.keyward.testing.azure;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeySpec;
import io.keyward.provider.ProviderSettings;
import io.keyward.provider.azure.AzureKeyVaultProviderFactory;
import io.keyward.testing.contract.ProviderFixture;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The contract fixture against Lowkey Vault (https://github.com/nagyesta/lowkey-vault), a Key Vault emulator run in
 * Docker, behind a {@link KeyVaultFaultProxy} for the network faults. Keys are managed through the emulator's own
 * Key Vault REST API (create, update attributes, delete). Lowkey Vault has no access control, so "deny access" is
 * done by disabling the key, as the local stand-in does.
 *
 * <p>Lowkey's challenge names {@code https://<host>/<first path segment>} as authority, so the tenant id the SDK asks
 * a token for is {@code keys}; the proxy's token endpoint serves that tenant.
 */
public final class LowkeyVaultFixture implements ProviderFixture {
    private static final String API = "?api-version=7.4";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String lowkey;
    private final HttpClient admin;
    private final KeyVaultFaultProxy proxy;
    private final ProviderSettings settings;
    private final KeyProvider provider;
    private final Map<String, String> versions = new ConcurrentHashMap<>();

    /**
     * @param vaultBase   {@code https://host:port} of the emulator's Key Vault API (container port 8443)
     * @param metadataBase {@code http://host:port} of its metadata/token port (container port 8080)
     */
    public LowkeyVaultFixture(String vaultBase, String metadataBase, ProviderSettings settings) {
        this.lowkey = vaultBase;
        SSLContext trust = trustLowkeyCertificate(metadataBase);
        this.admin = HttpClient.newBuilder().sslContext(trust).connectTimeout(Duration.ofSeconds(10)).build();
        this.proxy = new KeyVaultFaultProxy(vaultBase, trust, "keys");
        this.settings = settings;
        this.provider = new AzureKeyVaultProviderFactory().create(settings);
        KeyProvider warm = new AzureKeyVaultProviderFactory().create(
                new ProviderSettings(Duration.ofSeconds(20), 2, Duration.ofSeconds(60)));
        warm.check(warm.validate(proxy.vaultUrl() + "/keys/" + createKey("warm-up-" + AzureKeyVaultFixture.newName()),
                proxy.clientSecretOptions()));
    }

    private static SSLContext trustLowkeyCertificate(String metadataBase) {
        try {
            HttpClient plain = HttpClient.newHttpClient();
            String password = plain.send(HttpRequest.newBuilder(URI.create(metadataBase
                    + "/metadata/default-cert/password")).build(), HttpResponse.BodyHandlers.ofString()).body();
            byte[] p12 = plain.send(HttpRequest.newBuilder(URI.create(metadataBase
                    + "/metadata/default-cert/lowkey-vault.p12")).build(), HttpResponse.BodyHandlers.ofByteArray()).body();
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(new ByteArrayInputStream(p12), password.trim().toCharArray());
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            for (String alias : Collections.list(store.aliases())) {
                Certificate c = store.getCertificate(alias);
                if (c != null) {
                    trusted.setCertificateEntry(alias, c);
                }
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (Exception e) {
            throw new IllegalStateException("cannot load Lowkey Vault's certificate", e);
        }
    }

    private String createKey(String name) {
        JsonNode created = call("POST", "/keys/" + name + "/create",
                "{\"kty\":\"RSA\",\"key_size\":2048,\"key_ops\":[\"wrapKey\",\"unwrapKey\",\"encrypt\",\"decrypt\"]}");
        String kid = created.path("key").path("kid").asText();
        versions.put(name, kid.substring(kid.lastIndexOf('/') + 1));
        return name;
    }

    private JsonNode call(String method, String path, String body) {
        try {
            HttpRequest r = HttpRequest.newBuilder(URI.create(lowkey + path + API))
                    .header("Authorization", "Bearer emulator").header("Content-Type", "application/json")
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body)).build();
            HttpResponse<String> res = admin.send(r, HttpResponse.BodyHandlers.ofString());
            if (res.statusCode() / 100 != 2) {
                throw new IllegalStateException("Lowkey Vault " + method + " " + path + ": HTTP " + res.statusCode());
            }
            return res.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(res.body());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void setEnabled(KeySpec key, boolean enabled) {
        String name = AzureKeyVaultFixture.name(key);
        call("PATCH", "/keys/" + name + "/" + versions.get(name), "{\"attributes\":{\"enabled\":" + enabled + "}}");
    }

    @Override
    public KeyProvider provider() {
        return provider;
    }

    @Override
    public KeySpec newKey() {
        String name = createKey(AzureKeyVaultFixture.newName());
        return provider.validate(proxy.vaultUrl() + "/keys/" + name, proxy.clientSecretOptions());
    }

    @Override
    public void disable(KeySpec key) {
        setEnabled(key, false);
    }

    @Override
    public void enable(KeySpec key) {
        setEnabled(key, true);
    }

    @Override
    public void delete(KeySpec key) {
        call("DELETE", "/keys/" + AzureKeyVaultFixture.name(key), null);
    }

    @Override
    public void denyAccess(KeySpec key) {
        // The emulator has no RBAC; withholding the key by disabling it is the nearest customer action.
        setEnabled(key, false);
    }

    @Override
    public void stopServer() {
        proxy.stopServer();
    }

    @Override
    public void startServer() {
        proxy.startServer();
    }

    @Override
    public void delayResponses(Duration delay) {
        proxy.delayResponses(delay);
    }

    @Override
    public void throttleNext(int n) {
        proxy.throttleNext(n);
    }

    @Override
    public int requestCount() {
        return proxy.vaultRequestCount();
    }

    @Override
    public Duration deadline() {
        return settings.deadline();
    }

    @Override
    public List<Map.Entry<String, Map<String, String>>> malformedKeys() {
        return List.of(Map.entry("https://contoso-keys.vault.azure.com/keys/kek", Map.of()),
                Map.entry(proxy.vaultUrl() + "/keys/kek/not-a-version", proxy.clientSecretOptions()),
                Map.entry(proxy.vaultUrl() + "/keys/kek", Map.of()));
    }

    @Override
    public void close() {
        proxy.close();
    }
}
