package io.keyward.testing.vault;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** Forwards requests to a real Vault, so {@link VaultTestServer} can add faults in front of it. */
final class UpstreamVault implements VaultBackend {
    private final String upstream;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    UpstreamVault(String upstream) {
        this.upstream = upstream.endsWith("/") ? upstream.substring(0, upstream.length() - 1) : upstream;
    }

    @Override
    public Reply handle(Request r) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(upstream + "/v1/" + r.path()
                + (r.query() == null ? "" : "?" + r.query()))).timeout(Duration.ofSeconds(30));
        if (r.token() != null) {
            b.header("X-Vault-Token", r.token());
        }
        if (r.namespace() != null) {
            b.header("X-Vault-Namespace", r.namespace());
        }
        b.header("X-Vault-Request", "true");
        HttpRequest.BodyPublisher body = r.body() == null || r.body().length == 0
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(r.body());
        b.method(r.method(), body);
        try {
            HttpResponse<byte[]> resp = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Reply(resp.statusCode(), resp.body(), Map.of());
        } catch (IOException e) {
            return Reply.error(502, "upstream Vault unreachable");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Reply.error(502, "interrupted");
        }
    }
}
