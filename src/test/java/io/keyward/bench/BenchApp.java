package io.keyward.bench;

import io.keyward.keys.CryptoService;
import io.keyward.tenant.TenantService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.net.URI;

/** What the in-app scenarios reach: the running test app's base URI and the beans they drive in-process. */
record BenchApp(URI base, CryptoService crypto, TenantService tenants, MeterRegistry meters) {

    URI uri(String path) {
        return base.resolve(path);
    }

    /** keyward_provider_calls_total for one provider and operation (null: every operation), as counted so far. */
    double providerCalls(String provider, String operation) {
        return meters.find("keyward.provider.calls").tag("provider", provider).counters().stream()
                .filter(c -> operation == null || operation.equals(c.getId().getTag("operation")))
                .mapToDouble(Counter::count).sum();
    }
}
