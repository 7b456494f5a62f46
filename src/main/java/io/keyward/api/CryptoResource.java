package io.keyward.api;

import io.keyward.audit.Actor;
import io.keyward.config.KeywardConfig;
import io.keyward.envelope.EncryptionContext;
import io.keyward.error.ErrorCode;
import io.keyward.error.KeywardException;
import io.keyward.keys.CryptoService;
import io.keyward.tenant.Tenant;
import io.keyward.tenant.TenantService;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/** The data plane: role {@code app} scoped to the tenant, or {@code admin}. */
@Path("/v1/tenants")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class CryptoResource {
    /** Header and wrapped key on top of the plaintext: what a ciphertext may add. */
    private static final int ENVELOPE_OVERHEAD = 16 * 1024;

    private final RequestInfo request;
    private final CryptoService crypto;
    private final int maxPlaintext;
    private final int maxBatch;

    public CryptoResource(RequestInfo request, CryptoService crypto, KeywardConfig config) {
        this.request = request;
        this.crypto = crypto;
        this.maxPlaintext = config.limits().maxPlaintextBytes();
        this.maxBatch = config.limits().maxBatchItems();
    }

    @POST
    @Path("{t: [^/:]+}/encrypt")
    public Dto.Ciphertext encrypt(@PathParam("t") String t, Dto.Encrypt body) {
        Tenant tenant = tenant(t);
        Inputs.body(body);
        byte[] plaintext = Inputs.base64(body.plaintext(), "plaintext", maxPlaintext);
        EncryptionContext ctx = Inputs.context(body.context());
        try {
            CryptoService.Sealed s = crypto.encrypt(tenant, plaintext, ctx, request.actor());
            return new Dto.Ciphertext(Inputs.b64(s.ciphertext()), s.keyId());
        } finally {
            Arrays.fill(plaintext, (byte) 0);
        }
    }

    @POST
    @Path("{t: [^/:]+}/decrypt")
    public Dto.Plaintext decrypt(@PathParam("t") String t, Dto.Decrypt body) {
        Tenant tenant = tenant(t);
        Inputs.body(body);
        byte[] ct = Inputs.base64(body.ciphertext(), "ciphertext", (long) maxPlaintext + ENVELOPE_OVERHEAD);
        byte[] plaintext = crypto.decrypt(tenant, ct, Inputs.context(body.context()), request.actor());
        try {
            return new Dto.Plaintext(Inputs.b64(plaintext));
        } finally {
            Arrays.fill(plaintext, (byte) 0);
        }
    }

    @POST
    @Path("{t: [^/:]+}/encrypt:batch")
    public Dto.Items<Dto.BatchResult> encryptBatch(@PathParam("t") String t, Dto.Batch body) {
        Tenant tenant = tenant(t);
        Actor actor = request.actor();
        return batch(body, item -> {
            byte[] plaintext = Inputs.base64(item.plaintext(), "plaintext", maxPlaintext);
            try {
                CryptoService.Sealed s = crypto.encrypt(tenant, plaintext, Inputs.context(item.context()), actor);
                return new Dto.BatchResult(item.id(), Inputs.b64(s.ciphertext()), s.keyId(), null, null);
            } finally {
                Arrays.fill(plaintext, (byte) 0);
            }
        });
    }

    @POST
    @Path("{t: [^/:]+}/decrypt:batch")
    public Dto.Items<Dto.BatchResult> decryptBatch(@PathParam("t") String t, Dto.Batch body) {
        Tenant tenant = tenant(t);
        Actor actor = request.actor();
        return batch(body, item -> {
            byte[] ct = Inputs.base64(item.ciphertext(), "ciphertext", (long) maxPlaintext + ENVELOPE_OVERHEAD);
            byte[] plaintext = crypto.decrypt(tenant, ct, Inputs.context(item.context()), actor);
            try {
                return new Dto.BatchResult(item.id(), null, null, Inputs.b64(plaintext), null);
            } finally {
                Arrays.fill(plaintext, (byte) 0);
            }
        });
    }

    @POST
    @Path("{t: [^/:]+}/rewrap")
    public Dto.Ciphertext rewrap(@PathParam("t") String t, Dto.Decrypt body) {
        Tenant tenant = tenant(t);
        Inputs.body(body);
        byte[] ct = Inputs.base64(body.ciphertext(), "ciphertext", (long) maxPlaintext + ENVELOPE_OVERHEAD);
        CryptoService.Sealed s = crypto.rewrap(tenant, ct, Inputs.context(body.context()), request.actor());
        return new Dto.Ciphertext(Inputs.b64(s.ciphertext()), s.keyId());
    }

    /** {@code rewrap} per item, with per-item errors; like {@code decrypt:batch} in, never any plaintext out. */
    @POST
    @Path("{t: [^/:]+}/rewrap:batch")
    public Dto.Items<Dto.BatchResult> rewrapBatch(@PathParam("t") String t, Dto.Batch body) {
        Tenant tenant = tenant(t);
        Actor actor = request.actor();
        return batch(body, item -> {
            byte[] ct = Inputs.base64(item.ciphertext(), "ciphertext", (long) maxPlaintext + ENVELOPE_OVERHEAD);
            CryptoService.Sealed s = crypto.rewrap(tenant, ct, Inputs.context(item.context()), actor);
            return new Dto.BatchResult(item.id(), Inputs.b64(s.ciphertext()), s.keyId(), null, null);
        });
    }

    @POST
    @Path("{t: [^/:]+}/datakey")
    public Dto.DataKeyView datakey(@PathParam("t") String t, Dto.DataKeyRequest body) {
        Tenant tenant = tenant(t);
        EncryptionContext ctx = Inputs.context(body == null ? null : body.context());
        CryptoService.DataKey dk = crypto.generateDataKey(tenant, ctx, request.actor());
        try {
            return new Dto.DataKeyView(Inputs.b64(dk.plaintextKey()), Inputs.b64(dk.wrappedKey()), dk.keyId());
        } finally {
            Arrays.fill(dk.plaintextKey(), (byte) 0);
        }
    }

    @POST
    @Path("{t: [^/:]+}/datakey:unwrap")
    public Dto.PlaintextKey unwrapDatakey(@PathParam("t") String t, Dto.UnwrapDataKey body) {
        Tenant tenant = tenant(t);
        Inputs.body(body);
        byte[] wrapped = Inputs.base64(body.wrappedKey(), "wrappedKey", ENVELOPE_OVERHEAD);
        byte[] dek = crypto.unwrapDataKey(tenant, wrapped, Inputs.context(body.context()), request.actor());
        try {
            return new Dto.PlaintextKey(Inputs.b64(dek));
        } finally {
            Arrays.fill(dek, (byte) 0);
        }
    }

    private Tenant tenant(String t) {
        TenantService.requireValidId(t);
        request.requireTenantAccess(t);
        return crypto.resolve(t);
    }

    private Dto.Items<Dto.BatchResult> batch(Dto.Batch body, Function<Dto.BatchItem, Dto.BatchResult> op) {
        Inputs.body(body);
        List<Dto.BatchItem> items = body.items();
        if (items == null || items.isEmpty()) {
            throw KeywardException.of(ErrorCode.INVALID_REQUEST, "items must be a non-empty array");
        }
        if (items.size() > maxBatch) {
            throw KeywardException.of(ErrorCode.PAYLOAD_TOO_LARGE,
                    "a batch holds at most " + maxBatch + " items; got " + items.size());
        }
        List<Dto.BatchResult> out = new ArrayList<>(items.size());
        for (Dto.BatchItem item : items) {
            if (item == null) {
                out.add(new Dto.BatchResult(null, null, null, null,
                        new Dto.ItemError(ErrorCode.INVALID_REQUEST.name(), "item must be an object")));
                continue;
            }
            if (item.id() != null && item.id().length() > 256) {
                out.add(new Dto.BatchResult(null, null, null, null,
                        new Dto.ItemError(ErrorCode.INVALID_REQUEST.name(), "id is at most 256 characters")));
                continue;
            }
            try {
                out.add(op.apply(item));
            } catch (KeywardException e) {
                out.add(new Dto.BatchResult(item.id(), null, null, null, new Dto.ItemError(e.code().name(), e.detail())));
            }
        }
        return new Dto.Items<>(out);
    }
}
