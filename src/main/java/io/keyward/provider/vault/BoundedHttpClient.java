package io.keyward.provider.vault;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The JDK client the Vault driver sends through ({@code VaultConfig.httpClient}), bounding every request by the
 * attempt timeout and by what is left of the calling provider operation's deadline.
 *
 * <p>Why a wrapper: vault-java-driver 6.2 takes its open/read timeouts in whole seconds and applies them per request
 * ({@code Rest.connectTimeoutSeconds/readTimeoutSeconds}), so a 300 ms attempt timeout, or the last 200 ms of a
 * deadline, cannot be expressed through its configuration. The driver is still given the timeouts rounded up to
 * seconds (its own bound); this client narrows each request to the precise remaining budget.
 */
final class BoundedHttpClient extends HttpClient {
    private final HttpClient delegate;
    private final Duration attemptTimeout;
    private final ThreadLocal<Long> deadlineNanos = new ThreadLocal<>();

    BoundedHttpClient(HttpClient delegate, Duration attemptTimeout) {
        this.delegate = delegate;
        this.attemptTimeout = attemptTimeout;
    }

    /** Bounds requests sent by the current thread until {@link #clearDeadline()}. */
    void setDeadline(long nanoTime) {
        deadlineNanos.set(nanoTime);
    }

    void clearDeadline() {
        deadlineNanos.remove();
    }

    private HttpRequest bounded(HttpRequest request) throws HttpTimeoutException {
        Duration timeout = attemptTimeout;
        Long deadline = deadlineNanos.get();
        if (deadline != null) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new HttpTimeoutException("deadline reached before the request was sent");
            }
            timeout = Duration.ofNanos(Math.min(left, attemptTimeout.toNanos()));
        }
        return HttpRequest.newBuilder(request, (name, value) -> true).timeout(timeout).build();
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        return delegate.send(bounded(request), handler);
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
            HttpResponse.BodyHandler<T> handler) {
        try {
            return delegate.sendAsync(bounded(request), handler);
        } catch (HttpTimeoutException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
            HttpResponse.BodyHandler<T> handler, HttpResponse.PushPromiseHandler<T> push) {
        try {
            return delegate.sendAsync(bounded(request), handler, push);
        } catch (HttpTimeoutException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public Optional<CookieHandler> cookieHandler() {
        return delegate.cookieHandler();
    }

    @Override
    public Optional<Duration> connectTimeout() {
        return delegate.connectTimeout();
    }

    @Override
    public Redirect followRedirects() {
        return delegate.followRedirects();
    }

    @Override
    public Optional<ProxySelector> proxy() {
        return delegate.proxy();
    }

    @Override
    public SSLContext sslContext() {
        return delegate.sslContext();
    }

    @Override
    public SSLParameters sslParameters() {
        return delegate.sslParameters();
    }

    @Override
    public Optional<Authenticator> authenticator() {
        return delegate.authenticator();
    }

    @Override
    public Version version() {
        return delegate.version();
    }

    @Override
    public Optional<Executor> executor() {
        return delegate.executor();
    }
}
