package io.keyward.envelope;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.subtle.AesGcmJce;
import com.google.crypto.tink.subtle.Hkdf;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What docs/how-to/offline-recovery.md promises: a customer holding their KEK decrypts keyward envelopes with
 * their provider's SDK and Tink alone. For the {@code local} provider the "SDK" is Tink with the keyset JSON.
 *
 * <p>Nothing from {@code io.keyward} is used here: the envelope is parsed by hand, the AADs are built by hand,
 * and the two last tests prove it (no {@code io.keyward} import in this source, no {@code io.keyward} class in
 * this class's bytecode). The package is {@code io.keyward.envelope} only so the test sits next to the format
 * it checks.
 */
class OfflineRecoveryTest {
    private static final String VECTORS = "vectors/envelopes-v1.json";
    private static final String KEYSET = "vectors/local-kms/vector-kek/keyset.json";

    private static JsonNode vectors;
    /** Tenant key id → the customer's KEK, as the customer would map them from keyward's key list. */
    private static final Map<String, Aead> keks = new HashMap<>();

    @BeforeAll
    static void loadVectorsAndTheCustomersKek() throws Exception {
        AeadConfig.register();
        vectors = new ObjectMapper().readTree(resource(VECTORS));
        Aead kek = TinkJsonProtoKeysetFormat
                .parseKeyset(new String(resource(KEYSET), StandardCharsets.UTF_8), InsecureSecretKeyAccess.get())
                .getPrimitive(RegistryConfiguration.get(), Aead.class);
        vectors.path("keys").properties().forEach(e -> {
            assertEquals("local:vector-kek", e.getValue().path("keyUri").asText());
            keks.put(e.getKey(), kek);
        });
    }

    @Test
    void everyValidFrozenVectorRecoversWithoutKeyward() throws Exception {
        int n = 0;
        for (JsonNode v : vectors.path("valid")) {
            byte[] plaintext = recover(v.path("tenant").asText(), context(v),
                    Base64.getDecoder().decode(v.path("envelopeBase64").asText()));
            assertArrayEquals(HexFormat.of().parseHex(v.path("plaintextHex").asText()), plaintext,
                    v.path("id").asText());
            n++;
        }
        assertTrue(n >= 5, "valid vectors: " + n);
    }

    @Test
    void everyInvalidFrozenVectorIsRefusedByTheRecoveryProcedure() {
        for (JsonNode v : vectors.path("invalid")) {
            byte[] envelope = Base64.getDecoder().decode(v.path("envelopeBase64").asText());
            assertThrows(GeneralSecurityException.class, () -> recover(v.path("tenant").asText(), context(v), envelope),
                    v.path("id").asText());
        }
    }

    // ---- the recovery procedure: JDK + Tink only -------------------------------------------------------
    // Shown verbatim in docs/how-to/offline-recovery.md (recoveryCodeInTheHowToIsThisCode checks it).
    // recovery:begin

    /**
     * Decrypts one envelope v1. Every refusal is a {@link GeneralSecurityException}: the envelope is not one
     * this tenant, key and context can open.
     */
    static byte[] recover(String tenant, Map<String, String> context, byte[] envelope)
            throws GeneralSecurityException {
        // 1. Parse the header: "KW" | 0x01 | 0x01 | u8 keyIdLen | keyId | u16 wrappedLen | wrapped | commitment[32]
        ByteBuffer in = ByteBuffer.wrap(envelope);
        need(in, 5);
        if (in.get() != 'K' || in.get() != 'W' || in.get() != 0x01 || in.get() != 0x01) {
            throw new GeneralSecurityException("not a keyward envelope v1 / suite 1");
        }
        int keyIdLen = in.get() & 0xff;
        if (keyIdLen < 1 || keyIdLen > 64) {
            throw new GeneralSecurityException("bad key id length");
        }
        byte[] keyIdBytes = take(in, keyIdLen);
        for (byte b : keyIdBytes) {
            if (b < 0x21 || b > 0x7e) {
                throw new GeneralSecurityException("key id is not printable ASCII");
            }
        }
        String keyId = new String(keyIdBytes, StandardCharsets.US_ASCII);
        need(in, 2);
        int wrappedLen = in.getShort() & 0xffff;
        if (wrappedLen < 1 || wrappedLen > 8192) {
            throw new GeneralSecurityException("bad wrapped DEK length");
        }
        byte[] wrapped = take(in, wrappedLen);
        byte[] commitment = take(in, 32);
        int headerLength = in.position();
        byte[] header = Arrays.copyOf(envelope, headerLength);
        byte[] body = Arrays.copyOfRange(envelope, headerLength, envelope.length);   // nonce[12] | ct | tag[16]
        if (body.length < 12 + 16) {
            throw new GeneralSecurityException("envelope too short");
        }

        // 2. Unwrap the DEK with the customer's KEK; wrap AAD = "keyward/v1 dek" | u8 tenant | u8 keyId.
        Aead kek = keks.get(keyId);
        if (kek == null) {
            throw new GeneralSecurityException("no KEK for key id " + keyId);
        }
        ByteArrayOutputStream wrapAad = new ByteArrayOutputStream();
        wrapAad.writeBytes(ascii("keyward/v1 dek"));
        u8String(wrapAad, tenant.getBytes(StandardCharsets.UTF_8));
        u8String(wrapAad, keyIdBytes);
        byte[] dek = kek.decrypt(wrapped, wrapAad.toByteArray());
        if (dek.length != 32) {
            throw new GeneralSecurityException("DEK is not 32 bytes");
        }

        // 3. Derive with HKDF-SHA256 (empty salt) and check the key commitment before using the DEK.
        byte[] expectedCommitment = Hkdf.computeHkdf("HMACSHA256", dek, new byte[0], ascii("keyward/v1 commitment"), 32);
        if (!MessageDigest.isEqual(expectedCommitment, commitment)) {
            throw new GeneralSecurityException("key commitment does not match");
        }
        byte[] aeadKey = Hkdf.computeHkdf("HMACSHA256", dek, new byte[0], ascii("keyward/v1 aead key"), 32);
        Arrays.fill(dek, (byte) 0);

        // 4. AES-256-GCM; AAD = "keyward/v1 envelope" | u8 tenant | u16 headerLen | header | canonical context.
        ByteArrayOutputStream aad = new ByteArrayOutputStream();
        aad.writeBytes(ascii("keyward/v1 envelope"));
        u8String(aad, tenant.getBytes(StandardCharsets.UTF_8));
        u16(aad, headerLength);
        aad.writeBytes(header);
        aad.writeBytes(canonicalContext(context));
        try {
            return new AesGcmJce(aeadKey).decrypt(body, aad.toByteArray());
        } finally {
            Arrays.fill(aeadKey, (byte) 0);
        }
    }

    /** Entries sorted by the unsigned UTF-8 bytes of the key; u16 count, (u16 len, key, u16 len, value)*. */
    static byte[] canonicalContext(Map<String, String> context) {
        TreeMap<byte[], byte[]> sorted = new TreeMap<>(Arrays::compareUnsigned);
        context.forEach((k, v) -> sorted.put(k.getBytes(StandardCharsets.UTF_8), v.getBytes(StandardCharsets.UTF_8)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        u16(out, sorted.size());
        sorted.forEach((k, v) -> {
            u16(out, k.length);
            out.writeBytes(k);
            u16(out, v.length);
            out.writeBytes(v);
        });
        return out.toByteArray();
    }

    private static void need(ByteBuffer in, int n) throws GeneralSecurityException {
        if (in.remaining() < n) {
            throw new GeneralSecurityException("envelope truncated");
        }
    }

    private static byte[] take(ByteBuffer in, int n) throws GeneralSecurityException {
        need(in, n);
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    private static void u8String(ByteArrayOutputStream out, byte[] b) {
        out.write(b.length);
        out.writeBytes(b);
    }

    private static void u16(ByteArrayOutputStream out, int v) {
        out.write((v >>> 8) & 0xff);
        out.write(v & 0xff);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
    // recovery:end

    // ---- proof that the procedure stands alone -------------------------------------------------------

    @Test
    void canonicalContextMatchesTheDocumentedExample() {
        assertEquals("0002" + "0003efbda1" + "000161" + "0004f09f9880" + "000162",
                HexFormat.of().formatHex(canonicalContext(Map.of("\uD83D\uDE00", "b", "\uFF61", "a"))));
    }

    @Test
    void recoveryCodeInTheHowToIsThisCode() throws Exception {
        String source = Files.readString(Path.of("src/test/java/io/keyward/envelope/OfflineRecoveryTest.java"));
        String code = source.substring(source.indexOf("// recovery:begin\n") + "// recovery:begin\n".length(),
                source.indexOf("    // recovery:end"));
        String dedented = code.lines().map(l -> l.startsWith("    ") ? l.substring(4) : l)
                .collect(java.util.stream.Collectors.joining("\n")).strip();
        String howTo = Files.readString(Path.of("docs/how-to/offline-recovery.md"));
        assertTrue(howTo.contains(dedented), "docs/how-to/offline-recovery.md must show recover() as tested here");
    }

    @Test
    void sourceImportsNothingFromKeyward() throws Exception {
        Path source = Path.of("src/test/java/io/keyward/envelope/OfflineRecoveryTest.java");
        assertTrue(Files.exists(source), "run from the project directory");
        List<String> offending = new ArrayList<>();
        for (String line : Files.readAllLines(source, StandardCharsets.UTF_8)) {
            String code = line.strip();
            if (code.startsWith("*") || code.startsWith("/*") || code.startsWith("//")) {
                continue;   // comments may name keyward classes; code may not
            }
            if (code.contains("io" + ".keyward") && !code.equals("package io" + ".keyward.envelope;")) {
                offending.add(line);
            }
        }
        assertEquals(List.of(), offending);
    }

    /**
     * The package is shared with the codec, so a class could be used without an import; the bytecode cannot
     * hide it (string constants aside, which the source check covers).
     */
    @Test
    void bytecodeReferencesNoKeywardClass() throws Exception {
        String self = OfflineRecoveryTest.class.getName();
        // Import only this test's own class directory, not the whole package across the classpath: faster.
        Path classes = Path.of(OfflineRecoveryTest.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolve(OfflineRecoveryTest.class.getPackageName().replace('.', '/'));
        List<String> offending = new ArrayList<>();
        boolean sawSelf = false;
        for (JavaClass c : new ClassFileImporter().importPath(classes)) {
            if (!c.getName().equals(self) && !c.getName().startsWith(self + "$")) {
                continue;
            }
            sawSelf |= c.getName().equals(self);
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                String target = d.getTargetClass().getName();
                if (target.startsWith("io" + ".keyward.") && !target.equals(self) && !target.startsWith(self + "$")) {
                    offending.add(d.getDescription());
                }
            }
        }
        assertTrue(sawSelf, "did not find this class's bytecode under " + classes);
        assertEquals(List.of(), offending);
    }

    private static Map<String, String> context(JsonNode v) {
        Map<String, String> map = new HashMap<>();
        v.path("context").properties().forEach(e -> map.put(e.getKey(), e.getValue().asText()));
        return map;
    }

    private static byte[] resource(String name) throws Exception {
        try (InputStream in = OfflineRecoveryTest.class.getClassLoader().getResourceAsStream(name)) {
            return in.readAllBytes();
        }
    }
}
