package io.keyward.auth;

import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.lang.JoseException;

import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * An OIDC issuer inside the test JVM: an RSA key pair generated on first use, and signed JWTs. No network: the
 * app gets the public key through {@link OidcProfile} ({@code quarkus.oidc.public-key}). The keys live in system
 * properties because the test profile and the test class may be loaded by different class loaders.
 */
public final class TestIssuer {
    public static final String ISSUER = "https://issuer.keyward.test/realms/test";
    public static final String AUDIENCE = "keyward-api";
    /** The profile reads roles from this nested claim (Keycloak's shape). */
    public static final String ROLE_OPERATORS = "keyward-operators";
    private static final String PRIVATE = "testissuer.private-key";
    private static final String PUBLIC = "testissuer.public-key";

    private TestIssuer() {
    }

    /** Base64 of the X.509 SubjectPublicKeyInfo, as {@code quarkus.oidc.public-key} takes it. */
    public static synchronized String publicKey() {
        if (System.getProperty(PUBLIC) == null) {
            KeyPair kp = newKeyPair();
            System.setProperty(PRIVATE, Base64.getEncoder().encodeToString(kp.getPrivate().getEncoded()));
            System.setProperty(PUBLIC, Base64.getEncoder().encodeToString(kp.getPublic().getEncoded()));
        }
        return System.getProperty(PUBLIC);
    }

    public static PrivateKey signingKey() {
        publicKey();
        try {
            return KeyFactory.getInstance("RSA").generatePrivate(
                    new PKCS8EncodedKeySpec(Base64.getDecoder().decode(System.getProperty(PRIVATE))));
        } catch (NoSuchAlgorithmException | InvalidKeySpecException e) {
            throw new IllegalStateException(e);
        }
    }

    public static KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return g.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Valid claims for {@code sub}: this issuer, this audience, five minutes to live, roles and tenants. */
    public static JwtClaims claims(String sub, List<String> roles, List<String> tenants) {
        JwtClaims c = new JwtClaims();
        c.setIssuer(ISSUER);
        c.setAudience(AUDIENCE);
        c.setSubject(sub);
        c.setIssuedAtToNow();
        c.setExpirationTimeMinutesInTheFuture(5);
        c.setClaim("preferred_username", sub);
        c.setClaim("realm_access", Map.of("roles", roles));
        c.setClaim("keyward_tenants", tenants);
        return c;
    }

    public static String token(String sub, List<String> roles, List<String> tenants) {
        return sign(claims(sub, roles, tenants), signingKey());
    }

    public static String expired(String sub, List<String> roles, List<String> tenants) {
        JwtClaims c = claims(sub, roles, tenants);
        c.setIssuedAt(NumericDate.fromSeconds(NumericDate.now().getValue() - 7200));
        c.setExpirationTime(NumericDate.fromSeconds(NumericDate.now().getValue() - 3600));
        return sign(c, signingKey());
    }

    public static String sign(JwtClaims claims, PrivateKey key) {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setKey(key);
        jws.setKeyIdHeaderValue("test-key");
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
        try {
            return jws.getCompactSerialization();
        } catch (JoseException e) {
            throw new IllegalStateException(e);
        }
    }
}
