package io.keyward.api;

import io.keyward.audit.Actor;
import io.keyward.auth.Caller;
import io.keyward.error.ErrorCode;
import io.keyward.error.KeywardException;
import jakarta.enterprise.context.RequestScoped;

/** Per-request facts set by {@link HttpFilters}: the request id and the authenticated caller. */
@RequestScoped
public class RequestInfo {
    private String requestId;
    private Caller caller;
    private long startNanos;

    void start(String id, long nanos) {
        this.requestId = id;
        this.startNanos = nanos;
    }

    void authenticated(Caller c) {
        this.caller = c;
    }

    public String requestId() {
        return requestId;
    }

    long startNanos() {
        return startNanos;
    }

    public Caller caller() {
        if (caller == null) {
            throw KeywardException.of(ErrorCode.UNAUTHENTICATED, "a bearer token is required");
        }
        return caller;
    }

    public Actor actor() {
        return new Actor(caller().auditName(), requestId);
    }

    /** Admin-only operations. */
    public void requireAdmin() {
        if (!caller().isAdmin()) {
            throw KeywardException.of(ErrorCode.FORBIDDEN, "this operation requires the admin role");
        }
    }

    /**
     * Administration of one tenant (its keys, audit trail, revoke/restore): admin, or tenant-admin scoped to it.
     * Checked before the tenant is looked up, so a caller learns nothing about tenants outside its scope.
     */
    public void requireTenantAdmin(String tenantId) {
        if (!caller().mayAdministerTenant(tenantId)) {
            throw KeywardException.of(ErrorCode.FORBIDDEN,
                    "this operation requires the admin role, or tenant-admin for this tenant");
        }
    }

    /** Data-plane operations on one tenant: admin, or app scoped to that tenant. */
    public void requireTenantAccess(String tenantId) {
        if (!caller().mayUseTenant(tenantId)) {
            throw KeywardException.of(ErrorCode.FORBIDDEN, "this caller may not use this tenant's data plane");
        }
    }
}
