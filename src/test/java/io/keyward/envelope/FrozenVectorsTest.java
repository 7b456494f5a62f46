package io.keyward.envelope;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyward.provider.KeySpec;
import io.keyward.provider.WrappedKeyInvalidException;
import io.keyward.provider.local.LocalKey;
import io.keyward.provider.local.LocalKeyProvider;
import io.keyward.provider.local.LocalKeyState;
import io.keyward.provider.local.LocalKms;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The frozen vectors of {@code src/test/resources/vectors/} (made once by {@link FrozenVectorGenerator}): every
 * valid one must decrypt with the committed test-only key through the real codec and the real local provider,
 * and every invalid one must be refused as {@code INVALID_CIPHERTEXT} at the stage it was built to hit.
 *
 * <p>Key lookup here is by key id across the whole vector file, not per tenant, so that the wrong-tenant vectors
 * reach the cryptographic checks instead of stopping at the tenant's key table as the service would.
 */
class FrozenVectorsTest {
    /** SHA-256 of envelopes-v1.json as generated. A changed digest means someone edited or regenerated them. */
    private static final String FROZEN_SHA256 = "2424cba74be1fe05a33df5f3892844ef5e2309d30875bce582ad0e24b8ad97d2";
    private static final String INVALID_CIPHERTEXT = "INVALID_CIPHERTEXT";
    private static final HexFormat HEX = HexFormat.of();
    private static final JsonNode VECTORS = load();

    @TempDir
    Path tmp;

    private final EnvelopeCodec codec = new EnvelopeCodec();
    private LocalKms kms;
    private LocalKeyProvider provider;

    /** Where a vector was refused; {@code null} stage means it opened. */
    private record Outcome(String result, String stage, byte[] plaintext, byte[] dek) {
        static Outcome refused(String stage) {
            return new Outcome(INVALID_CIPHERTEXT, stage, null, null);
        }
    }

    @BeforeEach
    void openCommittedKeyInACopy() throws IOException {
        // LocalKms chmods and may write state files: never point it at the committed directory.
        Path source = resource("vectors/" + VECTORS.path("kms").path("directory").asText());
        Path copy = tmp.resolve("local-kms");
        try (Stream<Path> files = Files.walk(source)) {
            for (Path p : files.toList()) {
                Path target = copy.resolve(source.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        kms = new LocalKms(copy);
        provider = new LocalKeyProvider(kms);
    }

    @Test
    void vectorFileIsFrozen() throws Exception {
        String text = Files.readString(resource("vectors/" + FrozenVectorGenerator.FILE), StandardCharsets.UTF_8)
                .replace("\r\n", "\n");
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        assertEquals(FROZEN_SHA256, HEX.formatHex(digest),
                "the frozen vectors changed; they are never regenerated or edited (add a new vector file instead)");
    }

    @Test
    void committedKeyIsTheOneEnabledTestOnlyKek() {
        assertTrue(VECTORS.path("kms").path("testOnly").asBoolean());
        List<LocalKey> keys = kms.list();
        assertEquals(1, keys.size());
        assertEquals(FrozenVectorGenerator.KEK_NAME, keys.get(0).name());
        assertEquals(LocalKeyState.ENABLED, keys.get(0).state());
    }

    @Test
    void validVectorsCoverTheRequiredCases() {
        Set<Integer> sizes = new HashSet<>();
        boolean emptyContext = false;
        boolean unicodeContext = false;
        Set<String> tenants = new HashSet<>();
        for (JsonNode v : VECTORS.path("valid")) {
            sizes.add(v.path("plaintextHex").asText().length() / 2);
            emptyContext |= v.path("context").isEmpty();
            unicodeContext |= v.path("context").toString().chars().anyMatch(c -> c > 0x7f);
            tenants.add(v.path("tenant").asText());
        }
        assertTrue(sizes.contains(0), "empty plaintext");
        assertTrue(sizes.stream().anyMatch(n -> n > 0 && n < 64), "small plaintext");
        assertTrue(sizes.contains(1024), "1 KiB plaintext");
        assertTrue(emptyContext, "empty context");
        assertTrue(unicodeContext, "non-empty context with non-ASCII text");
        assertEquals(2, tenants.size(), "two tenants");
    }

    @Test
    void invalidVectorsCoverTheRequiredCases() {
        Set<String> ids = new HashSet<>();
        Set<String> stages = new HashSet<>();
        for (JsonNode v : VECTORS.path("invalid")) {
            ids.add(v.path("id").asText());
            stages.add(v.path("refusedAt").asText());
            assertEquals(INVALID_CIPHERTEXT, v.path("result").asText(), v.path("id").asText());
        }
        assertTrue(ids.containsAll(List.of("bad-commitment", "swapped-wrapped-dek",
                "swapped-wrapped-dek-and-commitment", "wrong-tenant", "tenant-bound-in-aead", "truncated-in-header",
                "truncated-by-one-byte", "unknown-version", "unknown-suite", "bad-magic", "flipped-tag-bit",
                "wrong-context-value", "context-missing", "unknown-key-id")), ids.toString());
        assertEquals(Set.of("header", "key-id", "unwrap", "commitment", "aead"), stages);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validVectors")
    void validVectorDecryptsToItsPlaintext(String id, JsonNode v) {
        byte[] envelope = Base64.getDecoder().decode(v.path("envelopeBase64").asText());
        Outcome outcome = run(v.path("tenant").asText(), context(v), envelope, v.path("keyId").asText());

        assertEquals("OK", outcome.result(), id + " was refused at " + outcome.stage());
        assertEquals(v.path("dekHex").asText(), HEX.formatHex(outcome.dek()), "the provider unwrapped another DEK");
        assertEquals(v.path("commitmentHex").asText(),
                HEX.formatHex(DerivedKey.derive(outcome.dek()).commitment()));
        assertArrayEquals(HEX.parseHex(v.path("plaintextHex").asText()), outcome.plaintext());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidVectors")
    void invalidVectorIsRefusedAsInvalidCiphertext(String id, JsonNode v) {
        byte[] envelope = Base64.getDecoder().decode(v.path("envelopeBase64").asText());
        Outcome outcome = run(v.path("tenant").asText(), context(v), envelope, null);

        assertEquals(v.path("result").asText(), outcome.result(), id + " opened");
        assertEquals(v.path("refusedAt").asText(), outcome.stage(), id + " was refused, but not where it was built to be");
    }

    /**
     * What the service's decrypt path does, step by step, with each refusal mapped to INVALID_CIPHERTEXT and
     * labelled with the step that refused it.
     */
    private Outcome run(String tenant, EncryptionContext context, byte[] envelope, String expectedKeyId) {
        EnvelopeHeader header;
        try {
            header = codec.parseHeader(envelope);
        } catch (InvalidEnvelopeException e) {
            return Outcome.refused("header");
        }
        if (expectedKeyId != null) {
            assertEquals(expectedKeyId, header.keyId());
        }
        JsonNode key = VECTORS.path("keys").get(header.keyId());
        if (key == null) {
            return Outcome.refused("key-id");
        }
        KeySpec spec = provider.validate(key.path("keyUri").asText(), Map.of());
        byte[] dek;
        try {
            dek = provider.unwrap(spec, header.wrappedDek(), EnvelopeCodec.dekWrapAad(tenant, header.keyId()));
        } catch (WrappedKeyInvalidException e) {
            return Outcome.refused("unwrap");
        }
        if (dek.length != DerivedKey.DEK_BYTES) {
            return Outcome.refused("unwrap");
        }
        DerivedKey derived = DerivedKey.derive(dek);
        boolean commits = Arrays.equals(derived.commitment(), header.commitment());
        try {
            return new Outcome("OK", null, codec.open(tenant, envelope, header, derived, context), dek);
        } catch (InvalidEnvelopeException e) {
            return Outcome.refused(commits ? "aead" : "commitment");
        }
    }

    static Stream<Arguments> validVectors() {
        return arguments(VECTORS.path("valid"));
    }

    static Stream<Arguments> invalidVectors() {
        return arguments(VECTORS.path("invalid"));
    }

    private static Stream<Arguments> arguments(JsonNode array) {
        List<Arguments> out = new ArrayList<>();
        array.forEach(v -> out.add(Arguments.of(v.path("id").asText(), v)));
        return out.stream();
    }

    private static EncryptionContext context(JsonNode v) {
        Map<String, String> map = new LinkedHashMap<>();
        v.path("context").properties().forEach(e -> map.put(e.getKey(), e.getValue().asText()));
        return EncryptionContext.of(map);
    }

    private static JsonNode load() {
        try {
            JsonNode root = new ObjectMapper().readTree(resource("vectors/" + FrozenVectorGenerator.FILE).toFile());
            assertNotNull(root.get("valid"));
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path resource(String name) {
        try {
            return Path.of(FrozenVectorsTest.class.getClassLoader().getResource(name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
