package io.keyward.provider.vault;

import io.keyward.provider.KeyMisconfiguredException;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.net.http.HttpClient;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lazily built, cached clients: one JDK HTTP client per TLS trust configuration (each owns a selector thread, so
 * they are shared across Vaults) and one {@link VaultSession} per Vault + namespace + login. Thread-safe; nothing is
 * built until a key is first used.
 */
final class VaultClients {
    private static final int MAX_SESSIONS = 1024;
    private static final int MAX_HTTP_CLIENTS = 64;

    private final Duration attemptTimeout;
    private final Map<String, BoundedHttpClient> httpClients = lru(MAX_HTTP_CLIENTS);
    private final Map<String, VaultSession> sessions = lru(MAX_SESSIONS);

    VaultClients(Duration attemptTimeout) {
        this.attemptTimeout = attemptTimeout;
    }

    VaultSession session(VaultTransitKey key) {
        String id = key.sessionKey();
        synchronized (sessions) {
            VaultSession s = sessions.get(id);
            if (s == null) {
                s = new VaultSession(key, http(key), attemptTimeout);
                sessions.put(id, s);
            }
            return s;
        }
    }

    private BoundedHttpClient http(VaultTransitKey key) {
        synchronized (httpClients) {
            return httpClients.computeIfAbsent(key.trustKey(), k -> new BoundedHttpClient(build(key), attemptTimeout));
        }
    }

    private HttpClient build(VaultTransitKey key) {
        HttpClient.Builder b = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(attemptTimeout)
                // A Vault standby may answer 307 to the active node (https://developer.hashicorp.com/vault/docs/
                // concepts/ha#request-forwarding); NORMAL never follows an https -> http downgrade.
                .followRedirects(HttpClient.Redirect.NORMAL);
        if (key.caPem() != null) {
            b.sslContext(trusting(VaultTransitKey.parseCertificates(key.caPem())));
        }
        return b.build();
    }

    private static SSLContext trusting(List<X509Certificate> certificates) {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (X509Certificate c : certificates) {
                store.setCertificateEntry("vault-ca-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new KeyMisconfiguredException("option 'caCertificate' cannot be used as a trust anchor");
        }
    }

    private static <V> Map<String, V> lru(int max) {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                return size() > max;
            }
        };
    }
}
