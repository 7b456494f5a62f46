package io.keyward.seal;

import io.keyward.provider.KeySpec;
import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.local.LocalKeyProvider;
import io.keyward.provider.local.LocalKms;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The seal root key from a KMS: which source is chosen, and how start-up fails. */
class SealKmsRootTest {
    private static final Duration T = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private static String key(int fill) {
        byte[] k = new byte[32];
        java.util.Arrays.fill(k, (byte) fill);
        return Base64.getEncoder().encodeToString(k);
    }

    private static KmsRoot.Source source(String provider, String uri, String wrapped) {
        return KmsRoot.source(Optional.ofNullable(provider), Optional.ofNullable(uri), Map.of(),
                Optional.ofNullable(wrapped), T).orElseThrow();
    }

    @Test
    void exactlyOneRootSourceMayBeSet() {
        assertEquals(Optional.of(key(1)), SecretSealer.root(Optional.of(key(1)), Optional.empty(), false));
        assertEquals(Optional.empty(), SecretSealer.root(Optional.empty(), Optional.empty(), true), "kms alone");
        assertEquals(Optional.empty(), SecretSealer.root(Optional.of(" "), Optional.empty(), false), "blank = unset");
        IllegalStateException both = assertThrows(IllegalStateException.class,
                () -> SecretSealer.root(Optional.of(key(1)), Optional.empty(), true));
        assertTrue(both.getMessage().contains("keyward.seal.root-key and keyward.seal.kms.*"), both.getMessage());
        IllegalStateException file = assertThrows(IllegalStateException.class,
                () -> SecretSealer.root(Optional.empty(), Optional.of("/nowhere"), true));
        assertTrue(file.getMessage().contains("keyward.seal.root-key-file and keyward.seal.kms.*"), file.getMessage());
    }

    @Test
    void kmsSourceNeedsProviderKeyUriAndWrappedKeyTogether() {
        assertEquals(Optional.empty(), KmsRoot.source(Optional.empty(), Optional.empty(), Map.of(), Optional.empty(), T));
        KmsRoot.Source s = source("aws-kms", "arn:aws:kms:eu-west-1:1:key/k", "AAAA");
        assertEquals("aws-kms", s.provider());
        IllegalStateException partial = assertThrows(IllegalStateException.class, () -> KmsRoot.source(
                Optional.of("aws-kms"), Optional.empty(), Map.of(), Optional.of("AAAA"), T));
        assertTrue(partial.getMessage().contains("keyward.seal.kms.key-uri"), partial.getMessage());
        assertFalse(partial.getMessage().contains("keyward.seal.kms.provider"), partial.getMessage());
        IllegalStateException optionsOnly = assertThrows(IllegalStateException.class, () -> KmsRoot.source(
                Optional.empty(), Optional.empty(), Map.of("region", "eu-west-1"), Optional.empty(), T));
        assertTrue(optionsOnly.getMessage().contains("keyward.seal.kms.wrapped-root-key"), optionsOnly.getMessage());
    }

    @Test
    void aRootKeyWrappedByTheLocalKmsOpensWhatTheSameRootSealed() {
        LocalKms kms = new LocalKms(dir.resolve("local-kms"));
        kms.create("seal-root");
        LocalKeyProvider provider = new LocalKeyProvider(kms);
        KeySpec spec = provider.validate("local:seal-root", Map.of());
        SecretSealer plain = new SecretSealer(Optional.of(key(7)), dir);
        String sealed = plain.seal("pin-1234".getBytes(StandardCharsets.UTF_8), "acme|tk_1");
        String wrapped = Base64.getEncoder().encodeToString(plain.wrapRootKey(provider, spec));

        SecretSealer fromKms = new SecretSealer(provider, source("local", "local:seal-root", wrapped), List.of(),
                d -> { });
        assertEquals(plain.currentKeyId(), fromKms.currentKeyId());
        assertArrayEquals("pin-1234".getBytes(StandardCharsets.UTF_8), fromKms.unseal(sealed, "acme|tk_1"));
    }

    @Test
    void aRevokedKmsKeyStopsStartUpNamingTheProviderAndTheReason() {
        LocalKms kms = new LocalKms(dir.resolve("local-kms"));
        kms.create("seal-root");
        LocalKeyProvider provider = new LocalKeyProvider(kms);
        SecretSealer plain = new SecretSealer(Optional.of(key(8)), dir);
        String wrapped = Base64.getEncoder().encodeToString(
                plain.wrapRootKey(provider, provider.validate("local:seal-root", Map.of())));
        kms.disable("seal-root");

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new SecretSealer(provider,
                source("local", "local:seal-root", wrapped), List.of(), d -> { }));
        assertTrue(e.getMessage().contains("provider 'local'"), e.getMessage());
        assertTrue(e.getMessage().contains("revoked"), e.getMessage());
        assertFalse(e.getMessage().contains(key(8)), "never the key");
        assertFalse(e.getMessage().contains(wrapped), "nor the wrapped key");
    }

    @Test
    void aWrongBlobOrAMisconfiguredKeyStopsStartUp() {
        LocalKms kms = new LocalKms(dir.resolve("local-kms"));
        kms.create("seal-root");
        kms.create("other");
        LocalKeyProvider provider = new LocalKeyProvider(kms);
        SecretSealer plain = new SecretSealer(Optional.of(key(9)), dir);
        String wrapped = Base64.getEncoder().encodeToString(
                plain.wrapRootKey(provider, provider.validate("local:seal-root", Map.of())));

        IllegalStateException other = assertThrows(IllegalStateException.class, () -> new SecretSealer(provider,
                source("local", "local:other", wrapped), List.of(), d -> { }));
        assertTrue(other.getMessage().contains("does not open"), other.getMessage());
        IllegalStateException uri = assertThrows(IllegalStateException.class, () -> new SecretSealer(provider,
                source("local", "arn:nope", wrapped), List.of(), d -> { }));
        assertTrue(uri.getMessage().contains("misconfigured"), uri.getMessage());
        IllegalStateException b64 = assertThrows(IllegalStateException.class, () -> new SecretSealer(provider,
                source("local", "local:seal-root", "not base64!"), List.of(), d -> { }));
        assertTrue(b64.getMessage().contains("not base64"), b64.getMessage());
    }

    /** A KMS that is unavailable for the first {@code failures} unwraps, and answers {@code root} after. */
    private static KeyProvider flaky(int failures, byte[] root, AtomicInteger calls) {
        return new KeyProvider() {
            public String id() {
                return "flaky";
            }

            public KeySpec validate(String keyUri, Map<String, String> options) {
                return new KeySpec("flaky", keyUri, options);
            }

            public byte[] wrap(KeySpec spec, byte[] dataKey, byte[] aad) {
                throw new UnsupportedOperationException();
            }

            public byte[] unwrap(KeySpec spec, byte[] wrapped, byte[] aad) {
                assertArrayEquals(KmsRoot.AAD, aad, "the documented associated data");
                if (calls.incrementAndGet() <= failures) {
                    throw new KeyUnavailableException("kms answered 503");
                }
                return root.clone();
            }

            public void check(KeySpec spec) {
            }
        };
    }

    @Test
    void anUnavailableKmsIsRetriedWithGrowingBackoffUntilTheStartUpTimeout() {
        byte[] root = Base64.getDecoder().decode(key(5));
        AtomicLong now = new AtomicLong();
        List<Duration> sleeps = new ArrayList<>();
        KmsRoot.Sleeper sleeper = d -> {
            sleeps.add(d);
            now.addAndGet(d.toNanos());
        };
        AtomicInteger calls = new AtomicInteger();
        KmsRoot.Source s = source("flaky", "k", "AAAA");
        byte[] got = KmsRoot.unwrap(flaky(3, root, calls), s, now::get, sleeper);
        assertArrayEquals(root, got);
        assertEquals(4, calls.get());
        assertEquals(List.of(Duration.ofMillis(200), Duration.ofMillis(400), Duration.ofMillis(800)), sleeps);

        calls.set(0);
        sleeps.clear();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> KmsRoot.unwrap(flaky(Integer.MAX_VALUE, root, calls), s, now::get, sleeper));
        assertTrue(e.getMessage().contains("provider 'flaky'") && e.getMessage().contains("unavailable for PT1M"),
                e.getMessage());
        assertEquals(Duration.ofSeconds(60), sleeps.stream().reduce(Duration.ZERO, Duration::plus),
                "waited exactly the start-up timeout");
        assertTrue(sleeps.stream().allMatch(d -> d.compareTo(Duration.ofSeconds(5)) <= 0), "backoff is capped");
    }
}
