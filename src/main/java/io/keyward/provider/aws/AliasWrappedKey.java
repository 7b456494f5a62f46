package io.keyward.provider.aws;

import io.keyward.provider.WrappedKeyInvalidException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * What {@code wrap} returns for a tenant key given as an alias ARN: the key ARN that Encrypt actually used, then
 * KMS's CiphertextBlob. Decrypt is then called with that key ARN, so data wrapped before the customer pointed the
 * alias at a new key still decrypts, and KMS refuses a blob that belongs to any other key.
 *
 * <pre>
 *   0x01 | u16 length of key ARN (big-endian) | key ARN (UTF-8) | CiphertextBlob
 * </pre>
 *
 * A key given as a key ARN gets the CiphertextBlob alone, exactly as KMS returned it (so it can be decrypted
 * with the AWS CLI and the key ARN, without keyward).
 */
record AliasWrappedKey(String keyArn, byte[] blob) {
    private static final byte VERSION = 1;
    private static final int MAX_ARN = 2048;

    byte[] encode() {
        byte[] arn = keyArn.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + 2 + arn.length + blob.length).put(VERSION).putShort((short) arn.length)
                .put(arn).put(blob).array();
    }

    static AliasWrappedKey decode(byte[] wrapped) {
        if (wrapped == null || wrapped.length < 4 || wrapped[0] != VERSION) {
            throw invalid();
        }
        ByteBuffer in = ByteBuffer.wrap(wrapped);
        in.get();
        int length = Short.toUnsignedInt(in.getShort());
        if (length == 0 || length > MAX_ARN || in.remaining() <= length) {
            throw invalid();
        }
        byte[] arn = new byte[length];
        in.get(arn);
        byte[] blob = new byte[in.remaining()];
        in.get(blob);
        return new AliasWrappedKey(new String(arn, StandardCharsets.UTF_8), blob);
    }

    private static WrappedKeyInvalidException invalid() {
        return new WrappedKeyInvalidException("the wrapped key is not in the aws-kms alias format");
    }
}
