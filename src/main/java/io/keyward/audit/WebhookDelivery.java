package io.keyward.audit;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * POSTs audit events to tenants' webhooks, off the request path, with bounded, jittered retries. Each event is
 * delivered on its own (a receiver orders and checks them by {@code chainSeq}); a delivery that still fails after
 * {@link #MAX_ATTEMPTS} is given up and logged, and the event stays in the trail for {@code audit:export}.
 */
@ApplicationScoped
public class WebhookDelivery {
    private static final Logger LOG = Logger.getLogger(WebhookDelivery.class);
    public static final String SIGNATURE_HEADER = "X-Keyward-Signature";

    /** Limits as data (STYLE.md): 6 attempts over about 8 s at most, then the export is the way to catch up. */
    static final int MAX_ATTEMPTS = 6;
    static final long BASE_DELAY_MS = 250;
    static final long MAX_DELAY_MS = 4_000;
    /** Deliveries waiting or in flight; beyond this new events are not sent (logged and counted). */
    static final int MAX_PENDING = 10_000;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final AuditWebhooks webhooks;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "keyward-audit-webhook");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    public WebhookDelivery(AuditWebhooks webhooks) {
        this.webhooks = webhooks;
    }

    /**
     * Queues {@code e} for the tenant's webhook, if it has one now. The lookup is synchronous, so an event recorded
     * after a webhook was removed is never sent to it.
     */
    void submit(AuditEvent e) {
        if (e.tenantId() == null) {
            return;
        }
        AuditWebhooks.Target target;
        try {
            target = webhooks.target(e.tenantId()).orElse(null);
        } catch (RuntimeException ex) {
            LOG.errorf("audit webhook lookup failed: tenant=%s event=%s (%s)", e.tenantId(), e.id(), ex.getMessage());
            return;
        }
        if (target == null) {
            return;
        }
        if (pending.incrementAndGet() > MAX_PENDING) {
            pending.decrementAndGet();
            LOG.errorf("audit webhook queue full: event %s of tenant %s not sent (%d dropped so far)", e.id(),
                    e.tenantId(), dropped.incrementAndGet());
            Arrays.fill(target.secret(), (byte) 0);
            return;
        }
        byte[] body = AuditLine.of(e).json();
        HttpRequest request = HttpRequest.newBuilder(URI.create(target.url())).timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json")
                .header(SIGNATURE_HEADER, signature(target.secret(), body))
                .header("X-Keyward-Event-Id", e.id())
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        Arrays.fill(target.secret(), (byte) 0);
        schedule(new Delivery(e.tenantId(), e.id(), request), 1, 0);
    }

    private record Delivery(String tenantId, String eventId, HttpRequest request) {
    }

    private void schedule(Delivery d, int attempt, long delayMs) {
        try {
            scheduler.schedule(() -> attempt(d, attempt), delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException shuttingDown) {
            pending.decrementAndGet();
        }
    }

    private void attempt(Delivery d, int attempt) {
        http.sendAsync(d.request(), HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
            if (error == null && response.statusCode() / 100 == 2) {
                pending.decrementAndGet();
                return;
            }
            String why = error != null ? error.getClass().getSimpleName() : "HTTP " + response.statusCode();
            if (attempt >= MAX_ATTEMPTS) {
                pending.decrementAndGet();
                LOG.errorf("audit webhook gave up after %d attempts: tenant=%s event=%s (%s; %d given up so far)",
                        attempt, d.tenantId(), d.eventId(), why, failed.incrementAndGet());
                return;
            }
            LOG.debugf("audit webhook attempt %d failed: tenant=%s event=%s (%s)", attempt, d.tenantId(), d.eventId(),
                    why);
            schedule(d, attempt + 1, delayMs(attempt));
        });
    }

    /**
     * "Equal jitter" exponential backoff: after attempt n the wait is uniformly random in [d/2, d] with
     * d = min(MAX, BASE * 2^(n-1)), so retries of many events after one outage do not arrive in lockstep.
     */
    static long delayMs(int failedAttempt) {
        long d = Math.min(MAX_DELAY_MS, BASE_DELAY_MS << Math.min(failedAttempt - 1, 20));
        return d / 2 + ThreadLocalRandom.current().nextLong(d / 2 + 1);
    }

    /** {@code sha256=} and the lower-case hex HMAC-SHA256 of the exact body bytes under the tenant's secret. */
    static String signature(byte[] secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK provides HmacSHA256", e);
        }
    }

    /** Deliveries given up after the last attempt, and events not sent because the queue was full. */
    public long failedDeliveries() {
        return failed.get();
    }

    public long droppedDeliveries() {
        return dropped.get();
    }

    @PreDestroy
    void stop() {
        scheduler.shutdownNow();
    }
}
