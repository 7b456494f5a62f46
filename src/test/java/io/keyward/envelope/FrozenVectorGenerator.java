package io.keyward.envelope;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyward.provider.KeySpec;
import io.keyward.provider.local.LocalKeyProvider;
import io.keyward.provider.local.LocalKms;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Made the frozen envelope vectors in {@code src/test/resources/vectors/} once. Not a test, never run by the
 * build: the vectors' value is that they were produced by an earlier build and must keep decrypting (or keep
 * being refused) with every later one. Regenerating them would hide exactly the regressions they exist to catch.
 *
 * <p>Run by hand only to create a new, separate vector set (for instance for a new format version), into an
 * empty directory:
 * <pre>
 * ./mvnw -q -o test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp target/classes:target/test-classes:$(cat target/cp.txt) io.keyward.envelope.FrozenVectorGenerator DIR
 * </pre>
 * It refuses to write into a directory that already holds vectors or a local KMS.
 */
public final class FrozenVectorGenerator {
    static final String KEK_NAME = "vector-kek";
    static final String TENANT_ACME = "acme-corp";
    static final String TENANT_GLOBEX = "globex";
    // Same shape as TenantService's ids: "tk_" + 20 chars of [a-z2-7].
    static final String KEY_ACME = "tk_vectoracmecorpkey234";
    static final String KEY_GLOBEX = "tk_vectorglobexkey23456";
    static final String KEY_UNKNOWN = "tk_vectorunknownkey2345";
    static final String FILE = "envelopes-v1.json";

    private static final HexFormat HEX = HexFormat.of();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final EnvelopeCodec codec = new EnvelopeCodec();
    private final LocalKeyProvider provider;
    private final KeySpec spec;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final ArrayNode valid = json.createArrayNode();
    private final ArrayNode invalid = json.createArrayNode();

    /** A DEK as keyward holds it: plaintext, wrapped for one tenant and tenant key, and derived. */
    private record Dek(String tenant, String keyId, byte[] plaintext, byte[] wrapped, DerivedKey derived) {
    }

    /** One valid vector as generated, for building the invalid ones from it. */
    private record Sealed(String tenant, Dek dek, EncryptionContext context, byte[] envelope) {
        int headerLength() {
            return 5 + dek.keyId.length() + 2 + dek.wrapped.length + DerivedKey.COMMITMENT_BYTES;
        }

        byte[] body() {
            return Arrays.copyOfRange(envelope, headerLength(), envelope.length);
        }
    }

    private FrozenVectorGenerator(LocalKms kms) {
        this.provider = new LocalKeyProvider(kms);
        this.spec = provider.validate(LocalKeyProvider.SCHEME + KEK_NAME, Map.of());
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "src/test/resources/vectors");
        if (Files.exists(out.resolve(FILE)) || Files.exists(out.resolve("local-kms"))) {
            System.err.println(out + " already holds frozen vectors; they are never regenerated. Choose a new,"
                    + " empty directory for a new vector set.");
            System.exit(2);
        }
        Files.createDirectories(out);
        LocalKms kms = new LocalKms(out.resolve("local-kms"));
        kms.create(KEK_NAME);
        FrozenVectorGenerator generator = new FrozenVectorGenerator(kms);
        String text = generator.generate();
        Files.writeString(out.resolve(FILE), text, StandardCharsets.UTF_8);
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        System.out.println("wrote " + out.resolve(FILE) + " sha256=" + HEX.formatHex(digest));
    }

    private String generate() throws Exception {
        Dek dek1 = dek(TENANT_ACME, KEY_ACME);
        Dek dek2 = dek(TENANT_ACME, KEY_ACME);
        Dek dek3 = dek(TENANT_ACME, KEY_ACME);
        Dek dek4 = dek(TENANT_GLOBEX, KEY_GLOBEX);

        // --- valid ---------------------------------------------------------------------------------------
        valid("empty-plaintext", "empty plaintext, empty context", dek1, new byte[0], Map.of());
        Sealed small = valid("small-no-context",
                "small plaintext, empty context; shares its DEK (and so its whole header) with empty-plaintext, as"
                        + " envelopes sealed by one cached DEK do", dek1, utf8("hello, keyward"), Map.of());
        Sealed worked = valid("worked-example",
                "the worked example of docs/reference/envelope-format.md", dek2, utf8("hello"),
                Map.of("purpose", "docs"));
        valid("small-unicode-context",
                "non-ASCII plaintext and context; the keys U+FF61 and U+1F600 sort differently by UTF-8 bytes"
                        + " (U+FF61 first) than by UTF-16 code units (U+1F600 first)", dek3,
                utf8("Gr\u00fc\u00dfe, \u4e16\u754c \uD83D\uDD10"),
                Map.of("purpose", "invoice", "customer", "Zo\u00eb \u00c5ngstr\u00f6m",
                        "\uFF61", "halfwidth ideographic full stop", "\uD83D\uDE00", "grinning face"));
        byte[] kib = new byte[1024];
        for (int i = 0; i < kib.length; i++) {
            kib[i] = (byte) i;
        }
        valid("one-kib-with-context", "1 KiB plaintext (bytes 00..ff repeated), two context entries", dek3, kib,
                Map.of("object", "s3://acme-invoices/2024/06/0001.pdf", "env", "prod"));
        Sealed globexEmpty = valid("globex-empty-plaintext-unicode-context",
                "second tenant and tenant key, empty plaintext, non-ASCII context", dek4, new byte[0],
                Map.of("r\u00e9gion", "\u00eele-de-france"));
        valid("globex-small", "second tenant, small plaintext", dek4, utf8("globex payroll row 17"),
                Map.of("table", "payroll"));

        // --- invalid: header ---------------------------------------------------------------------------
        byte[] env = worked.envelope;
        int h = worked.headerLength();
        invalid("empty-envelope", "zero bytes", worked, new byte[0], "header");
        invalid("bad-magic", "first magic byte 'k' instead of 'K'", worked, set(env, 0, 'k'), "header");
        invalid("unknown-version", "version byte 0x02", worked, set(env, 2, 0x02), "header");
        invalid("unknown-suite", "suite byte 0x02", worked, set(env, 3, 0x02), "header");
        invalid("truncated-in-header", "cut inside the wrapped DEK", worked, Arrays.copyOf(env, 40), "header");
        invalid("truncated-below-minimum-body", "header intact, 27 body bytes: shorter than nonce + tag", worked,
                Arrays.copyOf(env, h + 27), "header");

        // --- invalid: key id, unwrap -------------------------------------------------------------------
        invalid("unknown-key-id", "header names a tenant key id that does not exist", worked,
                concat(EnvelopeCodec.header(KEY_UNKNOWN, dek2.wrapped, dek2.derived.commitment()), worked.body()),
                "key-id");
        invalid("key-id-of-other-tenant", "acme-corp envelope whose header names globex's tenant key id: the"
                + " DEK's wrap AAD binds acme-corp's key id, so it does not unwrap", worked,
                concat(EnvelopeCodec.header(KEY_GLOBEX, dek2.wrapped, dek2.derived.commitment()), worked.body()),
                "unwrap");
        invalidAs("wrong-tenant", "worked-example presented as tenant globex: the DEK's wrap AAD binds acme-corp",
                TENANT_GLOBEX, worked.context, env, "unwrap");
        invalid("wrapped-dek-from-other-tenant", "worked-example with globex's wrapped DEK and commitment (same"
                + " KEK): the wrap AAD binds tenant and key id, so the provider refuses it", worked,
                concat(EnvelopeCodec.header(KEY_ACME, dek4.wrapped, dek4.derived.commitment()), worked.body()),
                "unwrap");

        // --- invalid: key commitment -------------------------------------------------------------------
        invalid("bad-commitment", "first commitment byte flipped (0x01)", worked, flip(env, h - 32, 0x01),
                "commitment");
        invalid("swapped-wrapped-dek", "worked-example with the wrapped DEK of small-unicode-context (same tenant"
                + " and key, so it unwraps) but its own commitment: the commitment check refuses it", worked,
                concat(EnvelopeCodec.header(KEY_ACME, dek3.wrapped, dek2.derived.commitment()), worked.body()),
                "commitment");

        // --- invalid: AEAD -----------------------------------------------------------------------------
        invalid("swapped-wrapped-dek-and-commitment", "worked-example with both the wrapped DEK and the"
                + " commitment of small-unicode-context: unwraps and commits, the AEAD tag fails", worked,
                concat(EnvelopeCodec.header(KEY_ACME, dek3.wrapped, dek3.derived.commitment()), worked.body()),
                "aead");
        Dek forGlobex = dek(TENANT_GLOBEX, KEY_GLOBEX);
        byte[] sealedForAcme = codec.seal(TENANT_ACME, KEY_GLOBEX, forGlobex.wrapped, forGlobex.derived,
                utf8("sealed for acme-corp"), EncryptionContext.EMPTY);
        invalidAs("tenant-bound-in-aead", "DEK wrapped for globex, but the AEAD sealed with tenant acme-corp in"
                + " its AAD; opened as globex: unwraps, commits, the AEAD tag fails", TENANT_GLOBEX,
                EncryptionContext.EMPTY, sealedForAcme, "aead");
        invalid("truncated-by-one-byte", "last tag byte removed", worked, Arrays.copyOf(env, env.length - 1),
                "aead");
        invalid("appended-byte", "one 0x00 byte appended", worked, Arrays.copyOf(env, env.length + 1), "aead");
        invalid("flipped-tag-bit", "top bit of the last tag byte flipped", worked, flip(env, env.length - 1, 0x80),
                "aead");
        invalid("flipped-ciphertext-bit", "low bit of the first ciphertext byte flipped", worked,
                flip(env, h + 12, 0x01), "aead");
        invalid("flipped-nonce-bit", "low bit of the first nonce byte flipped", worked, flip(env, h, 0x01), "aead");
        invalid("flipped-key-id-bit", "a key id letter changed case ('v' to 'V'): still a well-formed header,"
                + " naming a key id that does not exist", worked, flip(env, 5 + 3, 0x20), "key-id");
        invalidAs("wrong-context-value", "worked-example opened with purpose=doc", TENANT_ACME,
                ctx(Map.of("purpose", "doc")), env, "aead");
        invalidAs("context-missing", "worked-example opened with an empty context", TENANT_ACME,
                EncryptionContext.EMPTY, env, "aead");
        invalidAs("context-extra-entry", "worked-example opened with one more context entry", TENANT_ACME,
                ctx(Map.of("purpose", "docs", "x", "y")), env, "aead");
        invalidAs("context-added", "small-no-context opened with a context", TENANT_ACME,
                ctx(Map.of("purpose", "docs")), small.envelope, "aead");
        invalidAs("context-of-other-vector", "globex-empty-plaintext-unicode-context opened with"
                + " globex-small's context", TENANT_GLOBEX, ctx(Map.of("table", "payroll")), globexEmpty.envelope,
                "aead");

        ObjectNode root = json.createObjectNode();
        root.put("description", "Frozen keyward envelope v1 test vectors. Generated once by "
                + FrozenVectorGenerator.class.getName() + "; never regenerate. See README.md.");
        root.put("format", "keyward envelope v1 (docs/reference/envelope-format.md)");
        root.put("generated", LocalDate.now(ZoneOffset.UTC).toString());
        ObjectNode kms = root.putObject("kms");
        kms.put("provider", LocalKeyProvider.ID);
        kms.put("directory", "local-kms");
        kms.put("testOnly", true);
        ObjectNode keys = root.putObject("keys");
        key(keys, KEY_ACME, TENANT_ACME);
        key(keys, KEY_GLOBEX, TENANT_GLOBEX);
        root.set("valid", valid);
        root.set("invalid", invalid);
        return json.writeValueAsString(root) + "\n";
    }

    private void key(ObjectNode keys, String keyId, String tenant) {
        ObjectNode k = keys.putObject(keyId);
        k.put("tenant", tenant);
        k.put("provider", LocalKeyProvider.ID);
        k.put("keyUri", spec.keyUri());
    }

    private Dek dek(String tenant, String keyId) {
        byte[] plaintext = new byte[DerivedKey.DEK_BYTES];
        RANDOM.nextBytes(plaintext);
        byte[] wrapped = provider.wrap(spec, plaintext, EnvelopeCodec.dekWrapAad(tenant, keyId));
        return new Dek(tenant, keyId, plaintext, wrapped, DerivedKey.derive(plaintext));
    }

    private Sealed valid(String id, String description, Dek dek, byte[] plaintext, Map<String, String> context) {
        EncryptionContext ctx = ctx(context);
        byte[] envelope = codec.seal(dek.tenant, dek.keyId, dek.wrapped, dek.derived, plaintext, ctx);
        ObjectNode v = valid.addObject();
        v.put("id", id);
        v.put("description", description);
        v.put("tenant", dek.tenant);
        v.put("keyId", dek.keyId);
        putContext(v, ctx);
        v.put("plaintextHex", HEX.formatHex(plaintext));
        v.put("dekHex", HEX.formatHex(dek.plaintext));
        v.put("commitmentHex", HEX.formatHex(dek.derived.commitment()));
        v.put("envelopeBase64", Base64.getEncoder().encodeToString(envelope));
        return new Sealed(dek.tenant, dek, ctx, envelope);
    }

    private void invalid(String id, String description, Sealed base, byte[] envelope, String refusedAt) {
        invalidAs(id, description, base.tenant, base.context, envelope, refusedAt);
    }

    private void invalidAs(String id, String description, String tenant, EncryptionContext ctx, byte[] envelope,
            String refusedAt) {
        ObjectNode v = invalid.addObject();
        v.put("id", id);
        v.put("description", description);
        v.put("tenant", tenant);
        putContext(v, ctx);
        v.put("envelopeBase64", Base64.getEncoder().encodeToString(envelope));
        v.put("refusedAt", refusedAt);
        v.put("result", "INVALID_CIPHERTEXT");
    }

    private static void putContext(ObjectNode v, EncryptionContext ctx) {
        ObjectNode c = v.putObject("context");
        ctx.asMap().forEach(c::put);
    }

    private static EncryptionContext ctx(Map<String, String> map) {
        return EncryptionContext.of(new LinkedHashMap<>(map));
    }

    private static byte[] set(byte[] b, int index, int value) {
        byte[] copy = b.clone();
        copy[index] = (byte) value;
        return copy;
    }

    private static byte[] flip(byte[] b, int index, int mask) {
        byte[] copy = b.clone();
        copy[index] ^= (byte) mask;
        return copy;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
