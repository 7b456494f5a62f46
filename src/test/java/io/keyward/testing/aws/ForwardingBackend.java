package io.keyward.testing.aws;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Forwards every request to a real peer (LocalStack in a container) so that {@link FaultInjectingHttpServer} can
 * put the network faults the contract needs (down, slow, throttling, counting) in front of it. Throttling is
 * answered here in the peer's own protocol: KMS's ThrottlingException or STS's Throttling.
 */
public final class ForwardingBackend implements FaultInjectingHttpServer.Backend {
    // java.net.http sets these itself.
    private static final Set<String> RESTRICTED = Set.of("connection", "content-length", "expect", "host", "upgrade");
    private final URI upstream;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public ForwardingBackend(URI upstream) {
        this.upstream = upstream;
    }

    @Override
    public FaultInjectingHttpServer.Reply handle(FaultInjectingHttpServer.Call call) {
        String path = call.rawPath() == null || call.rawPath().isEmpty() ? "/" : call.rawPath();
        URI target = upstream.resolve(path + (call.rawQuery() == null ? "" : "?" + call.rawQuery()));
        HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(30))
                .method(call.method(), HttpRequest.BodyPublishers.ofByteArray(call.body()));
        for (Map.Entry<String, List<String>> h : call.headers().entrySet()) {
            if (!RESTRICTED.contains(h.getKey())) {
                h.getValue().forEach(v -> request.header(h.getKey(), v));
            }
        }
        try {
            HttpResponse<byte[]> response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            String type = response.headers().firstValue("content-type").orElse("application/octet-stream");
            return new FaultInjectingHttpServer.Reply(response.statusCode(), type, response.body());
        } catch (IOException e) {
            return KmsEmulator.error(503, "ServiceUnavailable", "upstream unreachable");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return KmsEmulator.error(503, "ServiceUnavailable", "interrupted");
        }
    }

    @Override
    public FaultInjectingHttpServer.Reply throttled(FaultInjectingHttpServer.Call call) {
        String target = call.header("x-amz-target");
        return target != null && target.startsWith("TrentService.")
                ? KmsEmulator.error(400, "ThrottlingException", "Rate exceeded")
                : StsEmulator.error(400, "Sender", "Throttling", "Rate exceeded");
    }
}
