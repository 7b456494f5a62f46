package io.keyward.provider.xks;

import io.keyward.provider.KeyMisconfiguredException;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * TLS material from PEM options: trust anchors ({@code caCertificate}) and a client certificate with its key for
 * mutual TLS ({@code clientCertificate}, {@code clientKey}). The spec requires HTTPS and says a proxy SHOULD support
 * mTLS (XKS proxy API, "Authentication"). Only unencrypted PKCS#8 keys ({@code BEGIN PRIVATE KEY}) are read, with the
 * JDK alone; error messages never quote the key.
 */
final class XksTls {
    private static final char[] STORE_PASSWORD = "keyward".toCharArray();

    private XksTls() {
    }

    static List<X509Certificate> certificates(String pem, String option) {
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            List<X509Certificate> out = new ArrayList<>();
            for (Certificate c : cf.generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new KeyMisconfiguredException("option '" + option + "' holds no PEM certificate");
            }
            return out;
        } catch (CertificateException | RuntimeException e) {
            if (e instanceof KeyMisconfiguredException k) {
                throw k;
            }
            throw new KeyMisconfiguredException("option '" + option + "' is not a PEM X.509 certificate "
                    + "(-----BEGIN CERTIFICATE-----)");
        }
    }

    static PrivateKey privateKey(String pem) {
        String begin = "-----BEGIN PRIVATE KEY-----";
        String end = "-----END PRIVATE KEY-----";
        int from = pem.indexOf(begin);
        int to = pem.indexOf(end);
        if (from < 0 || to < from) {
            throw new KeyMisconfiguredException("option 'clientKey' must be an unencrypted PKCS#8 PEM key "
                    + "(-----BEGIN PRIVATE KEY-----); convert with 'openssl pkcs8 -topk8 -nocrypt'");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
        } catch (IllegalArgumentException e) {
            throw new KeyMisconfiguredException("option 'clientKey' is not valid base64 PEM");
        }
        try {
            for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
                try {
                    return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
                } catch (GeneralSecurityException tryNext) {
                    // the PKCS#8 header names the algorithm; the JDK only tells by failing
                }
            }
        } finally {
            Arrays.fill(der, (byte) 0);
        }
        throw new KeyMisconfiguredException("option 'clientKey' is not an EC, RSA or Ed25519 PKCS#8 private key");
    }

    /** An SSL context trusting {@code caPem} (or the JDK's anchors) and presenting the client certificate, if any. */
    static SSLContext context(String caPem, String clientCertPem, String clientKeyPem) {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (caPem == null) {
                tmf.init((KeyStore) null);
            } else {
                KeyStore trust = KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                int i = 0;
                for (X509Certificate c : certificates(caPem, XksKeyReference.CA_CERTIFICATE)) {
                    trust.setCertificateEntry("xks-ca-" + i++, c);
                }
                tmf.init(trust);
            }
            KeyManagerFactory kmf = null;
            if (clientCertPem != null) {
                KeyStore identity = KeyStore.getInstance("PKCS12");
                identity.load(null, null);
                List<X509Certificate> chain = certificates(clientCertPem, XksKeyReference.CLIENT_CERTIFICATE);
                identity.setKeyEntry("client", privateKey(clientKeyPem), STORE_PASSWORD,
                        chain.toArray(new X509Certificate[0]));
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(identity, STORE_PASSWORD);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new KeyMisconfiguredException("the TLS options (caCertificate, clientCertificate, clientKey) "
                    + "cannot be used together: " + e.getClass().getSimpleName());
        }
    }
}
