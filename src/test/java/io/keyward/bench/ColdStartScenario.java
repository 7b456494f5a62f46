package io.keyward.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyward.testing.Dirs;

import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

/**
 * Scenario 6: the packaged jar ({@code java -jar target/quarkus-app/quarkus-run.jar}, prod profile, H2 default).
 * A first run prepares a data directory (bootstrap token, a local key, a tenant, one ciphertext) and stops; the
 * measured run starts on that directory and polls decrypt every 10 ms: cold start = process start → first 200.
 * RSS is VmRSS from /proc/&lt;pid&gt;/status right after that decrypt. No target in issue 7: informative rows.
 */
final class ColdStartScenario {
    static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");
    private static final ObjectMapper JSON = new ObjectMapper();

    static void run(BenchSettings s, BenchResults out) throws Exception {
        if (!s.coldStart() || !Files.exists(JAR)) {
            out.add(BenchRow.missing("cold-start", "process start → first decrypt",
                    s.coldStart() ? "no packaged jar: run the bench through verify" : "not run in smoke mode"));
            out.add(new BenchRow("cold-start", "self VmRSS (reader check)", (double) vmRssKib(ProcessHandle.current()
                    .pid()), "KiB", null, null, null, BenchRow.Status.INFO, "this JVM, to check the /proc reader"));
            return;
        }
        Path data = Path.of("target/bench/cold-start-data").toAbsolutePath();
        Dirs.deleteTree(data);
        HttpClient http = HttpClient.newHttpClient();
        int port = freePort();
        Process prep = start(data, port);
        String token;
        String ciphertext;
        try {
            Path tokenFile = data.resolve("bootstrap-token");
            long giveUp = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (!ready(http, port) && System.nanoTime() < giveUp) {
                Thread.sleep(100);
            }
            token = Files.readString(tokenFile).trim();
            post(http, port, token, "/v1/local-kms/keys", Map.of("name", "cold-kek"), 201);
            post(http, port, token, "/v1/tenants", Map.of("id", "cold", "name", "cold"), 201);
            post(http, port, token, "/v1/tenants/cold/keys", Map.of("provider", "local", "keyUri", "local:cold-kek"),
                    201);
            String pt = Base64.getEncoder().encodeToString(new byte[1024]);
            ciphertext = JSON.readTree(post(http, port, token, "/v1/tenants/cold/encrypt",
                    Map.of("plaintext", pt, "context", Map.of("k", "v")), 200)).path("ciphertext").asText();
        } finally {
            stop(prep);
        }
        String body = JSON.writeValueAsString(Map.of("ciphertext", ciphertext, "context", Map.of("k", "v")));
        long t0 = System.nanoTime();
        Process measured = start(data, port);
        try {
            long giveUp = t0 + Duration.ofSeconds(120).toNanos();
            HttpRequest decrypt = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                            + "/v1/tenants/cold/decrypt")).header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
            int status = -1;
            while (status != 200 && System.nanoTime() < giveUp) {
                try {
                    status = http.send(decrypt, HttpResponse.BodyHandlers.discarding()).statusCode();
                } catch (ConnectException e) {
                    Thread.sleep(10);
                }
            }
            double millis = (System.nanoTime() - t0) / 1e6;
            if (status != 200) {
                throw new IllegalStateException("the packaged app did not decrypt within 120 s");
            }
            long rss = vmRssKib(measured.pid());
            out.add(BenchRow.info("cold-start", "process start → first decrypt", millis, "ms", null, null,
                    "java -jar, prod profile, H2 under " + data.getFileName() + ", default JVM flags"));
            out.add(BenchRow.info("cold-start", "RSS after first decrypt", rss / 1024.0, "MiB", null, null,
                    "VmRSS of the app process"));
        } finally {
            stop(measured);
        }
    }

    static long vmRssKib(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS for pid " + pid);
    }

    private static Process start(Path data, int port) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Dkeyward.data-dir=" + data, "-jar", JAR.toString());
        pb.environment().put("KEYWARD_PORT", Integer.toString(port));
        pb.environment().put("QUARKUS_SHUTDOWN_DELAY", "0s");
        pb.redirectErrorStream(true).redirectOutput(data.resolveSibling("cold-start.log").toFile());
        Files.createDirectories(data);
        return pb.start();
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
    }

    private static boolean ready(HttpClient http, int port) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready"))
                    .build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String post(HttpClient http, int port, String token, String path, Map<String, ?> body, int expect)
            throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != expect) {
            throw new IllegalStateException(path + " answered " + r.statusCode() + ", expected " + expect);
        }
        return r.body();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
