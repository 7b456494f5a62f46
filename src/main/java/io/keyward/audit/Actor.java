package io.keyward.audit;

/**
 * Who caused an operation and under which request, carried from the API down to the audit trail.
 *
 * @param name      e.g. {@code api-key:ak_x1} or {@code system:prober}
 * @param requestId the request id echoed in {@code X-Request-Id}; null for background work
 */
public record Actor(String name, String requestId) {
    public static final Actor PROBER = new Actor("system:health-prober", null);
    public static final Actor SYSTEM = new Actor("system", null);
}
