package io.keyward.provider.azure;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.netty.NettyAsyncHttpClientBuilder;
import com.azure.core.http.policy.RetryPolicy;
import com.azure.core.util.ClientOptions;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.security.keyvault.keys.cryptography.CryptographyAsyncClient;
import com.azure.security.keyvault.keys.cryptography.CryptographyClientBuilder;
import com.azure.security.keyvault.keys.cryptography.CryptographyServiceVersion;
import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.ProviderSettings;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;

import javax.net.ssl.SSLException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * SDK clients, built on first use and cached, so constructing the provider costs nothing and touches no network.
 * One Netty HTTP client per trust configuration (the system trust store, or one emulator certificate), one token
 * credential per identity, one {@link CryptographyAsyncClient} per key id and identity. Thread-safe.
 *
 * <p>Every client: Key Vault API version 7.4 pinned (the wire format keyward is tested against), local
 * cryptography off ({@code disableKeyCaching}, so every wrap and unwrap is decided by the vault and sees a disabled
 * key at once), per-attempt timeouts, and {@link JitteredBackoff} retries. The challenge-resource check (the 401
 * challenge must name a resource in the vault's own domain) is only switched off for loopback hosts, which are
 * never Azure (https://aka.ms/azsdk/blog/vault-uri).
 */
final class AzureClients {
    private static final int MAX_CLIENTS = 4096;
    private static final String DEFAULT_TRUST = "system";

    private final Duration attemptTimeout;
    private final RetryPolicy retryPolicy;
    private final Map<String, HttpClient> httpClients = lru(16);
    private final Map<String, TokenCredential> credentials = lru(MAX_CLIENTS);
    private final Map<String, CryptographyAsyncClient> cryptoClients = lru(MAX_CLIENTS);

    AzureClients(ProviderSettings settings) {
        this.attemptTimeout = settings.attemptTimeout();
        // Base delay: a fraction of one attempt, so the retries fit well inside the deadline.
        Duration base = clamp(settings.attemptTimeout().dividedBy(4), Duration.ofMillis(50), Duration.ofMillis(800));
        this.retryPolicy = new RetryPolicy(new JitteredBackoff(settings.maxRetries(), base, settings.deadline()));
    }

    CryptographyAsyncClient crypto(AzureKeyId key, AzureKeyOptions options) {
        String trust = trustKey(options);
        String identity = identityKey(options, trust);
        return get(cryptoClients, key.id() + "|" + identity, k -> {
            CryptographyClientBuilder b = new CryptographyClientBuilder()
                    .keyIdentifier(key.id())
                    .credential(credential(options, trust, identity))
                    .httpClient(httpClient(options, trust))
                    .retryPolicy(retryPolicy)
                    .serviceVersion(CryptographyServiceVersion.V7_4)
                    .clientOptions(new ClientOptions().setApplicationId("keyward"))
                    .disableKeyCaching();
            if (key.kind() == AzureKeyId.Kind.LOOPBACK) {
                b.disableChallengeResourceVerification();
            }
            return b.buildAsyncClient();
        });
    }

    private TokenCredential credential(AzureKeyOptions o, String trust, String identity) {
        return get(credentials, identity, k -> {
            if (o.clientSecret() != null) {
                ClientSecretCredentialBuilder b = new ClientSecretCredentialBuilder()
                        .tenantId(o.tenantId())
                        .clientId(o.clientId())
                        .clientSecret(o.clientSecret())
                        .httpClient(httpClient(o, trust))
                        .retryPolicy(retryPolicy);
                if (o.authorityHost() != null) {
                    b.authorityHost(o.authorityHost());
                }
                if (o.loopbackAuthority()) {
                    // A test token endpoint has no instance-discovery metadata; MSAL would ask
                    // login.microsoftonline.com about it. Only ever for a loopback authority.
                    b.disableInstanceDiscovery();
                }
                return b.build();
            }
            DefaultAzureCredentialBuilder b = new DefaultAzureCredentialBuilder()
                    .httpClient(httpClient(o, trust))
                    .retryPolicy(retryPolicy);
            if (o.tenantId() != null) {
                b.tenantId(o.tenantId());
            }
            if (o.clientId() != null) {
                b.managedIdentityClientId(o.clientId());
                b.workloadIdentityClientId(o.clientId());
            }
            if (o.authorityHost() != null) {
                b.authorityHost(o.authorityHost());
            }
            return b.build();
        });
    }

    private HttpClient httpClient(AzureKeyOptions o, String trust) {
        return get(httpClients, trust, k -> {
            reactor.netty.http.client.HttpClient base = reactor.netty.http.client.HttpClient.create();
            if (o.trustCertificatePem() != null) {
                SslContext ssl = sslContext(AzureKeyOptions.certificates(o.trustCertificatePem()));
                base = base.secure(spec -> spec.sslContext(ssl));
            }
            return new NettyAsyncHttpClientBuilder(base)
                    .connectTimeout(attemptTimeout)
                    .responseTimeout(attemptTimeout)
                    .readTimeout(attemptTimeout)
                    .writeTimeout(attemptTimeout)
                    .build();
        });
    }

    private static SslContext sslContext(java.util.List<X509Certificate> trusted) {
        try {
            return SslContextBuilder.forClient().trustManager(trusted.toArray(new X509Certificate[0])).build();
        } catch (SSLException e) {
            throw new KeyMisconfiguredException("trustCertificatePem cannot be used as a TLS trust anchor");
        }
    }

    private static String trustKey(AzureKeyOptions o) {
        return o.trustCertificatePem() == null ? DEFAULT_TRUST : "pem:" + sha256Hex(o.trustCertificatePem());
    }

    /** Identifies a credential without holding the secret in a map key. */
    private static String identityKey(AzureKeyOptions o, String trust) {
        return (o.clientSecret() == null ? "default" : "secret:" + sha256Hex(o.clientSecret())) + "|" + o.tenantId()
                + "|" + o.clientId() + "|" + o.authorityHost() + "|" + trust;
    }

    private static String sha256Hex(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static <V> V get(Map<String, V> cache, String key, Function<String, V> create) {
        synchronized (cache) {
            V v = cache.get(key);
            if (v == null) {
                v = create.apply(key);
                cache.put(key, v);
            }
            return v;
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

    private static Duration clamp(Duration d, Duration min, Duration max) {
        return d.compareTo(min) < 0 ? min : d.compareTo(max) > 0 ? max : d;
    }
}
