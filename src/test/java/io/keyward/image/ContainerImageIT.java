package io.keyward.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyward.testing.Dirs;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarInputStream;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The image Jib built into target/keyward-image.tar (docs/how-to/build-the-image.md): its config says non-root,
 * java -jar from /deployments and the data directory, exactly as Dockerfile.jvm does; its layers hold no shell and
 * nothing the app's user could rewrite; and it runs, read-only, as uid 65532, and encrypts.
 */
class ContainerImageIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String USER = "65532:65532";
    private static final String DATA_DIR = "/var/lib/keyward";
    private static final Set<String> SHELLS = Set.of("sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "csh",
            "tcsh", "fish", "busybox", "toybox", "jrunscript", "jshell");
    /** The only paths the image gives to uid 65532: its home and the data directory. */
    private static final Set<String> OWNED_BY_APP_USER = Set.of("home/nonroot", "var/lib/keyward");

    private static ImageTarball image;
    private static JsonNode config;

    @BeforeAll
    static void openImage() throws IOException {
        assumeFalse(Boolean.getBoolean("keyward.image.it.skip"), "keyward.image.it.skip: the image is checked in the H2 pass");
        Path tarball = Path.of(System.getProperty("keyward.image.tarball", "target/keyward-image.tar"));
        assertTrue(Files.isRegularFile(tarball), tarball + " missing: verify builds it in pre-integration-test");
        image = ImageTarball.open(tarball);
        config = image.config().get("config");
    }

    @Test
    void configRunsJavaJarFromDeploymentsAsUid65532() {
        assertEquals(USER, config.path("User").asText());
        assertEquals("/deployments", config.path("WorkingDir").asText());
        List<String> entrypoint = strings(config.path("Entrypoint"));
        assertEquals("java", entrypoint.get(0), "exec form, no shell: " + entrypoint);
        assertEquals(List.of("-jar", "/deployments/quarkus-run.jar"),
                entrypoint.subList(entrypoint.size() - 2, entrypoint.size()));
        assertTrue(entrypoint.contains("-XX:MaxRAMPercentage=75"), entrypoint.toString());
        assertTrue(entrypoint.contains("-Djava.util.logging.manager=org.jboss.logmanager.LogManager"), entrypoint.toString());
        assertTrue(config.path("Cmd").isMissingNode() || config.path("Cmd").isNull() || config.path("Cmd").isEmpty(),
                "no Cmd appended to the entrypoint");
        assertTrue(config.path("ExposedPorts").has("8080/tcp"));
        assertEquals(DATA_DIR, env(config).get("KEYWARD_DATA_DIR"));
        assertEquals(List.of("keyward/keyward:" + config.path("Labels").path("org.opencontainers.image.version").asText()),
                image.repoTags());
    }

    @Test
    void dockerfileJvmDeclaresTheSameUserDirectoriesPortEnvironmentAndEntrypoint() throws IOException {
        Map<String, List<String>> finalStage = finalStageInstructions(Path.of("src/main/docker/Dockerfile.jvm"));
        assertEquals(List.of(config.path("User").asText()), finalStage.get("USER"));
        assertEquals(List.of(config.path("WorkingDir").asText()), finalStage.get("WORKDIR"));
        assertEquals(List.of("8080"), finalStage.get("EXPOSE"));
        assertEquals(List.of("KEYWARD_DATA_DIR=" + DATA_DIR), finalStage.get("ENV"));
        List<String> entrypoint = strings(JSON.readTree(finalStage.get("ENTRYPOINT").get(0)));
        assertEquals(strings(config.path("Entrypoint")), entrypoint);
    }

    @Test
    void layersHoldNoShellAndNothingTheAppUserCanRewrite() throws IOException {
        Map<String, ImageTarball.Entry> fs = image.fileSystem();
        List<String> problems = new ArrayList<>();
        for (ImageTarball.Entry e : fs.values()) {
            if (SHELLS.contains(e.name()) && !e.isDirectory()) {
                problems.add("shell-like program " + e.path());
            }
            if ((e.mode() & 06000) != 0) {
                problems.add("setuid/setgid " + e.path());
            }
            boolean appOwned = OWNED_BY_APP_USER.contains(e.path());
            if (appOwned ? e.uid() != 65532 || e.gid() != 65532 : e.uid() != 0 || e.gid() != 0) {
                problems.add("owner " + e.uid() + ":" + e.gid() + " " + e.path());
            }
            if (e.type() != 'l' && (e.mode() & 0002) != 0 && !e.path().equals("tmp")) {
                problems.add("world-writable " + e.path());
            }
            if (e.isRegularFile() && (e.mode() & 0111) != 0 && !e.name().contains(".so")
                    && !e.path().matches("usr/lib/jvm/keyward-jre/(bin/(java|keytool)|lib/(jspawnhelper|jexec))")) {
                problems.add("unexpected executable " + e.path());
            }
        }
        assertEquals(List.of(), problems);
        assertFalse(fs.containsKey("bin/sh") || fs.containsKey("usr/bin/sh"), "no /bin/sh");
        assertEquals(01777, fs.get("tmp").mode(), "/tmp is the sticky, world-writable scratch directory");
        for (String fastJar : List.of("deployments/quarkus-run.jar", "deployments/lib/boot", "deployments/lib/main",
                "deployments/app", "deployments/quarkus/quarkus-application.dat")) {
            assertNotNull(fs.get(fastJar), fastJar + " in the image");
        }
        assertEquals("../lib/jvm/keyward-jre/bin/java", fs.get("usr/bin/java").linkTarget(), "java on the PATH");
    }

    @Test
    void quarkusRunJarExportsThePkcs11BindingAndTheJreHasIt() throws IOException {
        try (JarInputStream jar = new JarInputStream(new ByteArrayInputStream(image.read("deployments/quarkus-run.jar")))) {
            String addExports = jar.getManifest().getMainAttributes().getValue("Add-Exports");
            assertNotNull(addExports, "java -jar reads Add-Exports from the manifest");
            assertTrue(addExports.contains("jdk.crypto.cryptoki/sun.security.pkcs11.wrapper"), addExports);
        }
        String release = new String(image.read("usr/lib/jvm/keyward-jre/release"), StandardCharsets.UTF_8);
        String modules = release.lines().filter(l -> l.startsWith("MODULES=")).findFirst().orElseThrow();
        for (String module : List.of("jdk.crypto.cryptoki", "jdk.crypto.ec", "java.sql", "jdk.unsupported")) {
            assertTrue(modules.contains(module), module + " in the JRE: " + modules);
        }
    }

    @Test
    void runsOnAReadOnlyRootAsUid65532AndEncrypts() throws Exception {
        assumeTrue(ReadOnlyRoot.available(), "needs root and unshare (mount and PID namespaces) on this host");
        Path work = Path.of("target/image-run").toAbsolutePath();
        Dirs.deleteTree(work);
        Path root = work.resolve("rootfs");
        Path data = Files.createDirectories(work.resolve("data"));
        Path tmp = Files.createDirectories(work.resolve("tmp"));
        Files.setAttribute(data, "unix:uid", 65532);
        Files.setAttribute(data, "unix:gid", 65532);
        Files.setAttribute(tmp, "unix:mode", 01777);
        image.extractTo(root);

        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Map<String, String> env = env(config);
        env.put("KEYWARD_PORT", Integer.toString(port));
        List<String> entrypoint = strings(config.path("Entrypoint"));
        try (ReadOnlyRoot run = ReadOnlyRoot.start(root, data, tmp, DATA_DIR, config.path("WorkingDir").asText(),
                config.path("User").asText(), entrypoint, env, work.resolve("keyward.log"))) {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String base = "http://127.0.0.1:" + port;
            awaitReady(http, base, run, work.resolve("keyward.log"));

            ProcessHandle java = run.entrypointProcess("/deployments/quarkus-run.jar").orElseThrow();
            assertEquals("65532 65532 65532 65532", ReadOnlyRoot.status(java.pid(), "Uid:"));
            assertEquals("65532 65532 65532 65532", ReadOnlyRoot.status(java.pid(), "Gid:"));
            assertEquals("", ReadOnlyRoot.status(java.pid(), "Groups:"), "no supplementary groups");
            assertEquals("0000000000000000", ReadOnlyRoot.status(java.pid(), "CapEff:"), "no capabilities");

            String admin = "Bearer " + Files.readString(data.resolve("bootstrap-token")).trim();
            post(http, base + "/v1/local-kms/keys", admin, Map.of("name", "image-kek"), 201);
            post(http, base + "/v1/tenants", admin, Map.of("id", "image-acme", "name", "Image"), 201);
            post(http, base + "/v1/tenants/image-acme/keys", admin,
                    Map.of("provider", "local", "keyUri", "local:image-kek"), 201);
            String pt = Base64.getEncoder().encodeToString("from the image".getBytes(StandardCharsets.UTF_8));
            JsonNode sealed = post(http, base + "/v1/tenants/image-acme/encrypt", admin,
                    Map.of("plaintext", pt, "context", Map.of("k", "v")), 200);
            JsonNode opened = post(http, base + "/v1/tenants/image-acme/decrypt", admin,
                    Map.of("ciphertext", sealed.get("ciphertext").asText(), "context", Map.of("k", "v")), 200);
            assertEquals(pt, opened.get("plaintext").asText());
        }
        assertTrue(Files.exists(data.resolve("db")), "the H2 database went to the data directory");
        assertTrue(Files.exists(data.resolve("local-kms/image-kek")), "local KMS keys went to the data directory");
        Dirs.deleteTree(work);
    }

    private static void awaitReady(HttpClient http, String base, ReadOnlyRoot run, Path log) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (System.nanoTime() < deadline) {
            assertTrue(run.isAlive(), () -> "the image's entrypoint exited:\n" + tail(log));
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/q/health/ready"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(500);
        }
        throw new AssertionError("not ready within 180 s:\n" + tail(log));
    }

    private static JsonNode post(HttpClient http, String url, String auth, Map<String, ?> body, int expected)
            throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", auth).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(expected, r.statusCode(), url + ": " + r.body());
        return JSON.readTree(r.body());
    }

    /** USER, WORKDIR, EXPOSE, ENV, ENTRYPOINT of the last FROM stage, continuation lines joined. */
    private static Map<String, List<String>> finalStageInstructions(Path dockerfile) throws IOException {
        String joined = Files.readString(dockerfile).replaceAll("\\\\\\n", " ");
        Map<String, List<String>> stage = new HashMap<>();
        for (String line : joined.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList()) {
            String[] parts = line.split("\\s+", 2);
            String instruction = parts[0].toUpperCase();
            if (instruction.equals("FROM")) {
                stage.clear();
            }
            stage.computeIfAbsent(instruction, k -> new ArrayList<>()).add(parts.length > 1 ? parts[1] : "");
        }
        return stage;
    }

    private static Map<String, String> env(JsonNode config) {
        Map<String, String> env = new HashMap<>();
        for (String kv : strings(config.path("Env"))) {
            int eq = kv.indexOf('=');
            env.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return env;
    }

    private static List<String> strings(JsonNode array) {
        List<String> list = new ArrayList<>();
        array.forEach(n -> list.add(n.asText()));
        return list;
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return lines.subList(Math.max(0, lines.size() - 40), lines.size()).stream().collect(Collectors.joining("\n"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
