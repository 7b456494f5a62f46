package io.keyward.provider;

import java.util.function.Supplier;

/**
 * Who is asking a provider for what, for providers whose protocol carries it to the customer's side (the XKS
 * proxy API's {@code requestMetadata}, for one), so the customer's own logs say which tenant, key and request
 * caused each call. Set by the key service around every provider call, on the calling thread; a provider reads
 * it with {@link #current()} and must treat it as informational only, never as authorization.
 *
 * @param tenantId    the tenant whose key is used
 * @param tenantKeyId keyward's id of the tenant key
 * @param operation   {@code wrap}, {@code unwrap} or {@code check}
 * @param actor       e.g. {@code api-key:ak_x1} or {@code system:health-prober}
 * @param requestId   the request id echoed in {@code X-Request-Id}; null for background work
 */
public record CallContext(String tenantId, String tenantKeyId, String operation, String actor, String requestId) {
    private static final ThreadLocal<CallContext> CURRENT = new ThreadLocal<>();

    /** Used when a provider is called outside the key service (tests, tools). */
    public static final CallContext NONE = new CallContext(null, null, null, "unknown", null);

    /** The context of the provider call running on this thread, or {@link #NONE}. */
    public static CallContext current() {
        CallContext c = CURRENT.get();
        return c == null ? NONE : c;
    }

    /** Runs {@code work} with this context current, restoring the previous one afterwards. */
    public <T> T run(Supplier<T> work) {
        CallContext previous = CURRENT.get();
        CURRENT.set(this);
        try {
            return work.get();
        } finally {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        }
    }
}
