package io.keyward.audit;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;

/**
 * The hash of an audit event and the canonical encoding it is computed over (docs/explanation/audit-trail.md,
 * "Canonical encoding"). Changing a single byte here breaks every stored chain: the encoding is versioned by its
 * {@link #DOMAIN} prefix and must never change under the same prefix.
 */
public final class AuditChain {
    /** Domain separation and format version: the first bytes hashed for every event. */
    public static final String DOMAIN = "keyward.audit.v1";
    /** The previous hash of the first event of every chain. */
    public static final String GENESIS = "0".repeat(64);
    /** The chain of events that belong to no tenant; no tenant id can start with '_'. */
    public static final String GLOBAL_CHAIN = "_global";

    /**
     * Creation times are hashed and exported with exactly microsecond precision, the finest both H2 and PostgreSQL
     * store for TIMESTAMP WITH TIME ZONE, so a value read back from the database hashes to what was written.
     */
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
            .withZone(ZoneOffset.UTC);

    private AuditChain() {
    }

    public static String chainOf(String tenantId) {
        return tenantId == null ? GLOBAL_CHAIN : tenantId;
    }

    /** {@code t} as the database will store it. */
    public static Instant truncate(Instant t) {
        return t.truncatedTo(ChronoUnit.MICROS);
    }

    /** {@code 2026-11-29T09:09:15.123456Z}: UTC, always six fraction digits. */
    public static String time(Instant t) {
        return TIME.format(truncate(t));
    }

    /** Lower-case hex SHA-256 of the canonical encoding of one event at {@code chainSeq} after {@code prevHash}. */
    public static String hash(long chainSeq, String prevHash, String id, String tenantId, String keyId, String actor,
            String action, String outcome, String detail, String requestId, Instant createdAt) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.writeBytes(DOMAIN.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(ByteBuffer.allocate(8).putLong(chainSeq).array());
        for (String field : new String[] {prevHash, id, tenantId, keyId, actor, action, outcome, detail, requestId,
                time(createdAt)}) {
            field(out, field);
        }
        return HexFormat.of().formatHex(sha256(out.toByteArray()));
    }

    /** The hash {@code e} should carry, from its own fields. */
    public static String hash(AuditEvent e) {
        return hash(e.chainSeq(), e.prevHash(), e.id(), e.tenantId(), e.keyId(), e.actor(), e.action(), e.outcome(),
                e.detail(), e.requestId(), e.createdAt());
    }

    /** Absent: one byte 0x00. Present: 0x01, the UTF-8 length as 4 bytes big-endian, the UTF-8 bytes. */
    private static void field(ByteArrayOutputStream out, String value) {
        if (value == null) {
            out.write(0);
            return;
        }
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        out.write(1);
        out.writeBytes(ByteBuffer.allocate(4).putInt(b.length).array());
        out.writeBytes(b);
    }

    private static byte[] sha256(byte[] in) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(in);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK provides SHA-256", e);
        }
    }
}
