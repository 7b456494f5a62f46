package io.keyward.bench;

import com.google.crypto.tink.subtle.AesGcmJce;
import com.google.crypto.tink.subtle.Random;
import io.keyward.envelope.DerivedKey;
import io.keyward.envelope.EncryptionContext;
import io.keyward.envelope.EnvelopeCodec;
import io.keyward.envelope.EnvelopeHeader;
import io.keyward.envelope.InvalidEnvelopeException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.security.GeneralSecurityException;
import java.util.Map;

/**
 * The limit and keyward's codec, in-process (scenario "codec"). {@code raw*}: Tink's AES-256-GCM ({@link AesGcmJce},
 * what a caller would do with a key it already holds). {@code keyward*}: what CryptoService does per message once
 * the DEK is cached: seal = header + AAD (tenant, header, context) + AES-GCM; open = header parsing, the DEK wrap
 * AAD it keys the decrypt cache with, the key-commitment check, then AES-GCM. The cache lookup itself is not here
 * (the HTTP and tenant-scale scenarios include it).
 */
@State(Scope.Thread)
public class CodecBenchmark {
    @Param({"64", "1024", "65536", "1048576"})
    public int size;

    private AesGcmJce raw;
    private byte[] rawCiphertext;
    private final EnvelopeCodec codec = new EnvelopeCodec();
    private DerivedKey key;
    private byte[] wrapped;
    private final EncryptionContext context = EncryptionContext.of(Map.of("table", "cards", "row", "42"));
    private byte[] envelope;
    private byte[] plaintext;
    private static final String TENANT = "bench-tenant";
    private static final String KEY_ID = "key-0123456789abcdef";
    private static final byte[] NO_AAD = new byte[0];

    @Setup
    public void setUp() throws GeneralSecurityException {
        plaintext = Random.randBytes(size);
        raw = new AesGcmJce(Random.randBytes(32));
        rawCiphertext = raw.encrypt(plaintext, NO_AAD);
        key = DerivedKey.derive(Random.randBytes(DerivedKey.DEK_BYTES));
        // The size of a local-provider wrapped DEK (Tink AES-GCM keyset ciphertext), roughly an AWS KMS blob's.
        wrapped = Random.randBytes(184);
        envelope = codec.seal(TENANT, KEY_ID, wrapped, key, plaintext, context);
    }

    @Benchmark
    public byte[] rawSeal() throws GeneralSecurityException {
        return raw.encrypt(plaintext, NO_AAD);
    }

    @Benchmark
    public byte[] rawOpen() throws GeneralSecurityException {
        return raw.decrypt(rawCiphertext, NO_AAD);
    }

    @Benchmark
    public byte[] keywardSeal() {
        return codec.seal(TENANT, KEY_ID, wrapped, key, plaintext, context);
    }

    @Benchmark
    public byte[] keywardOpen() throws InvalidEnvelopeException {
        EnvelopeHeader header = codec.parseHeader(envelope);
        byte[] aad = EnvelopeCodec.dekWrapAad(TENANT, header.keyId());
        if (aad.length == 0) {
            throw new IllegalStateException();
        }
        return codec.open(TENANT, envelope, header, key, context);
    }
}
