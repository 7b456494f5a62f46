package io.keyward.provider.xks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyward.provider.Backoff;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.ProviderSettings;
import io.keyward.provider.xks.XksErrors.Operation;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * Sends signed XKS proxy API requests: one JDK HTTP client per TLS configuration (HTTPS only, HTTP/1.1 as the spec
 * requires every proxy to support), each request signed with the AWS SDK's SigV4 signer for the service
 * {@code kms-xks-proxy} (XKS proxy API, "Appendix A"), every attempt bounded by the attempt timeout and by the
 * operation's deadline, and retryable failures (throttling, 5xx, timeouts, refused connections) retried at most
 * {@code maxRetries} times with jittered exponential backoff that never sleeps past the deadline.
 */
final class XksClient {
    static final String SIGNING_NAME = "kms-xks-proxy";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AwsV4HttpSigner SIGNER = AwsV4HttpSigner.create();
    /** Headers the JDK client sets itself and refuses from callers. */
    private static final Set<String> RESTRICTED = Set.of("host", "content-length", "connection", "expect", "upgrade");
    private static final Pattern ERROR_NAME = Pattern.compile("[A-Za-z]{1,64}");
    private static final long MIN_ATTEMPT_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final int MAX_CLIENTS = 64;
    /**
     * Longest response body keyward reads. The largest answer of the XKS API is encrypt's: a 4300-byte ciphertext in
     * base64 and a few small fields, under 6 KiB; error bodies are under 1 KiB. 64 KiB leaves room for a chatty proxy
     * or a load balancer's error page and still bounds what a hostile host can make keyward hold.
     */
    static final int MAX_RESPONSE = 64 * 1024;

    private final ProviderSettings settings;
    private final long baseBackoffNanos;
    private final Map<String, HttpClient> clients = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, HttpClient> eldest) {
            return size() > MAX_CLIENTS;
        }
    };

    XksClient(ProviderSettings settings) {
        this.settings = settings;
        long eighth = settings.attemptTimeout().toNanos() / 8;
        this.baseBackoffNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(25),
                Math.min(eighth, TimeUnit.MILLISECONDS.toNanos(250)));
    }

    /** The clock of one provider operation, which may send several requests. */
    record Deadline(long atNanos) {
        long remainingNanos() {
            return atNanos - System.nanoTime();
        }
    }

    Deadline start() {
        return new Deadline(System.nanoTime() + settings.deadline().toNanos());
    }

    static ObjectNode object() {
        return JSON.createObjectNode();
    }

    /** Posts {@code body} to {@code uri}, retrying what may pass; returns the JSON of a 200 answer. */
    JsonNode post(XksKeyReference key, Map<String, String> options, Operation op, URI uri, ObjectNode body,
            Deadline deadline) {
        byte[] payload;
        try {
            payload = JSON.writeValueAsBytes(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write an XKS request", e);
        }
        HttpClient http = client(key, options);
        int retries = 0;
        while (true) {
            try {
                if (deadline.remainingNanos() < MIN_ATTEMPT_NANOS) {
                    throw XksFailure.unavailableNoRetry("no answer from the XKS proxy at " + key.authority()
                            + " within the " + settings.deadline().toMillis() + " ms deadline");
                }
                return attempt(http, key, options, op, uri, payload, deadline);
            } catch (XksFailure f) {
                if (!f.retryable() || retries >= settings.maxRetries()) {
                    throw giveUp(f, retries);
                }
                long pause = backoff(retries);
                if (deadline.remainingNanos() - pause < MIN_ATTEMPT_NANOS) {
                    throw giveUp(f, retries);
                }
                sleep(pause, f, retries);
                retries++;
            } catch (ProviderException e) {
                throw e;
            } catch (RuntimeException unexpected) {
                // A library bug must not escape the SPI, nor its message (it may quote a request): type only.
                throw new KeyUnavailableException("calling the XKS proxy failed unexpectedly ("
                        + unexpected.getClass().getSimpleName() + ")");
            }
        }
    }

    private JsonNode attempt(HttpClient http, XksKeyReference key, Map<String, String> options, Operation op,
            URI uri, byte[] payload, Deadline deadline) {
        long timeoutNanos = Math.min(deadline.remainingNanos(), settings.attemptTimeout().toNanos());
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofNanos(timeoutNanos))
                .POST(HttpRequest.BodyPublishers.ofByteArray(payload));
        sign(key, options, uri, payload).headers().forEach((name, values) -> {
            if (!RESTRICTED.contains(name.toLowerCase(Locale.ROOT))) {
                values.forEach(v -> request.header(name, v));
            }
        });
        CompletableFuture<HttpResponse<byte[]>> future = http.sendAsync(request.build(), CappedBody.HANDLER);
        HttpResponse<byte[]> response;
        try {
            // The request timeout bounds the JDK's own wait; this bounds ours, whatever the JDK does.
            response = future.get(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw XksFailure.unavailable("no answer from the XKS proxy at " + key.authority() + " in time");
        } catch (InterruptedException e) {
            future.cancel(true);
            throw XksErrors.fromException(e, key);
        } catch (ExecutionException e) {
            throw XksErrors.fromException(e.getCause() == null ? e : e.getCause(), key);
        }
        JsonNode json = parse(response.body());
        if (response.statusCode() == 200) {
            if (json == null || !json.isObject()) {
                throw XksFailure.misconfigured("the XKS proxy at " + key.authority() + " answered " + op.name()
                        .toLowerCase(Locale.ROOT) + " without a JSON object: is " + key.baseUri() + " an XKS proxy?");
            }
            return json;
        }
        String name = text(json, "errorName");
        if (name != null && !ERROR_NAME.matcher(name).matches()) {
            name = null;
        }
        throw XksErrors.fromAnswer(op, response.statusCode(), name, text(json, "errorMessage"), key,
                secrets(options));
    }

    /** The credentials a request was sent with, which no message built from the proxy's answer may repeat. */
    private static List<String> secrets(Map<String, String> options) {
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        for (String name : XksKeyReference.SECRETS) {
            String v = options.get(name);
            if (v != null) {
                out.add(v);
            }
        }
        return out;
    }

    /**
     * Reads a response body of at most {@link #MAX_RESPONSE} bytes. The proxy's host is the tenant's to choose, so it
     * may stream without end; the JDK's {@code ofByteArray()} would hold all of it in memory. A declared
     * {@code Content-Length} over the cap is refused before a byte is read; a body that grows past it (chunked, or
     * lying about its length) is cancelled there, which closes the connection. Either way the response fails with
     * {@link ResponseTooLargeException}.
     */
    static final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {
        static final HttpResponse.BodyHandler<byte[]> HANDLER = info -> new CappedBody(
                info.headers().firstValueAsLong("Content-Length").orElse(-1L), MAX_RESPONSE);

        private final CompletableFuture<byte[]> body = new CompletableFuture<>();
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final long declared;
        private final int cap;
        private Flow.Subscription subscription;

        CappedBody(long declared, int cap) {
            this.declared = declared;
            this.cap = cap;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (declared > cap) {
                tooLarge();
                return;
            }
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (body.isDone()) {
                return;
            }
            for (ByteBuffer b : items) {
                if ((long) out.size() + b.remaining() > cap) {
                    tooLarge();
                    return;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                out.writeBytes(chunk);
            }
        }

        private void tooLarge() {
            subscription.cancel();
            body.completeExceptionally(new ResponseTooLargeException(cap));
        }

        @Override
        public void onError(Throwable t) {
            body.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            body.complete(out.toByteArray());
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return body;
        }
    }

    /** The proxy's answer was longer than {@link #MAX_RESPONSE}: not read further. */
    static final class ResponseTooLargeException extends java.io.IOException {
        ResponseTooLargeException(int cap) {
            super("response body over " + cap + " bytes", null);
        }
    }

    private static SdkHttpRequest sign(XksKeyReference key, Map<String, String> options, URI uri, byte[] payload) {
        SdkHttpRequest unsigned = SdkHttpRequest.builder()
                .method(SdkHttpMethod.POST)
                .uri(uri)
                .putHeader("Content-Type", "application/json")
                .build();
        AwsCredentialsIdentity credentials = AwsCredentialsIdentity.create(key.accessKeyId(),
                options.get(XksKeyReference.SECRET_ACCESS_KEY));
        SignedRequest signed = SIGNER.sign(r -> r.identity(credentials)
                .request(unsigned)
                .payload(ContentStreamProvider.fromByteArray(payload))
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, SIGNING_NAME)
                .putProperty(AwsV4HttpSigner.REGION_NAME, key.region()));
        return signed.request();
    }

    private HttpClient client(XksKeyReference key, Map<String, String> options) {
        String id = XksKeyReference.tlsKey(options);
        synchronized (clients) {
            HttpClient c = clients.get(id);
            if (c == null) {
                c = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(settings.attemptTimeout())
                        // A proxy redirect would leave the signed host: never followed.
                        .followRedirects(HttpClient.Redirect.NEVER)
                        .sslContext(XksTls.context(key.caPem(), key.clientCertPem(),
                                options.get(XksKeyReference.CLIENT_KEY)))
                        .build();
                clients.put(id, c);
            }
            return c;
        }
    }

    private static JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        try {
            return JSON.readTree(body);
        } catch (java.io.IOException notJson) {
            // A load balancer's HTML page, say: the status alone will do.
            return null;
        }
    }

    static String text(JsonNode json, String field) {
        if (json == null || !json.isObject()) {
            return null;
        }
        JsonNode v = json.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    private static ProviderException giveUp(XksFailure f, int retries) {
        if (retries > 0 && f.error() instanceof KeyUnavailableException) {
            return new KeyUnavailableException(f.error().getMessage() + " (" + (retries + 1) + " attempts)");
        }
        return f.error();
    }

    private long backoff(int retries) {
        return Backoff.equalJitterNanos(baseBackoffNanos, Math.min(retries, 6), TimeUnit.SECONDS.toNanos(1));
    }

    private static void sleep(long nanos, XksFailure f, int retries) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw giveUp(f, retries);
        }
    }

    static List<String> strings(JsonNode array) {
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        if (array != null && array.isArray()) {
            array.forEach(v -> {
                if (v.isTextual()) {
                    out.add(v.asText());
                }
            });
        }
        return out;
    }
}
