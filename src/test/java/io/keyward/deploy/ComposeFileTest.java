package io.keyward.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy/compose.yaml (the local trial) keeps the promises its README makes: keyward runs non-root on a read-only
 * root, nothing secret is written into the file, only loopback ports are published, every keyward/Quarkus variable
 * it sets is documented, and the dependencies it waits for can actually report healthy. The file is not run here
 * (no Docker engine); this test is what holds it.
 */
class ComposeFileTest {
    static final Path DEPLOY = Path.of("deploy");
    static final Path COMPOSE = DEPLOY.resolve("compose.yaml");
    static final Path WALKTHROUGH = DEPLOY.resolve("compose/README.md");
    static final Path CONFIGURATION = Path.of("docs/reference/configuration.md");

    /** Variable names that carry a credential: they may only point at a file (NAME_FILE=/run/secrets/...). */
    static final Pattern CREDENTIAL_NAME = Pattern.compile(
            "(?i)(.*_)?(PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIALS?|PIN|PRIVATE)(_.*)?|.*(ROOT|ACCESS|API)_KEY.*");
    /** Values that look like key material or a token: long base64/hex/base64url runs, or keyward's token prefix. */
    static final Pattern CREDENTIAL_VALUE = Pattern.compile("^(kw_.*|[A-Za-z0-9+/_-]{20,}={0,2})$");

    static JsonNode compose;

    @BeforeAll
    static void parse() throws IOException {
        compose = new ObjectMapper(new YAMLFactory()).readTree(COMPOSE.toFile());
    }

    static JsonNode service(String name) {
        JsonNode s = compose.path("services").path(name);
        assertTrue(s.isObject(), "compose.yaml has no service '" + name + "'");
        return s;
    }

    /** A service's environment in either Compose form (map, or list of NAME=value). */
    static Map<String, String> environment(JsonNode service) {
        Map<String, String> env = new LinkedHashMap<>();
        JsonNode e = service.path("environment");
        if (e.isObject()) {
            e.fields().forEachRemaining(f -> env.put(f.getKey(), f.getValue().isNull() ? null : f.getValue().asText()));
        } else if (e.isArray()) {
            for (JsonNode item : e) {
                String[] kv = item.asText().split("=", 2);
                env.put(kv[0], kv.length > 1 ? kv[1] : null);
            }
        }
        return env;
    }

    static List<String> strings(JsonNode node) {
        List<String> out = new ArrayList<>();
        if (node.isTextual()) {
            out.add(node.asText());
        } else if (node.isArray()) {
            // long syntax: env_file entries have a path, secrets a source
            node.forEach(n -> out.add(n.isObject() ? n.path(n.has("source") ? "source" : "path").asText() : n.asText()));
        }
        return out;
    }

    @Test
    void keywardRunsAsUid65532OnAReadOnlyRootWithOnlyTmpAndItsDataDirWritable() {
        JsonNode keyward = service("keyward");
        assertTrue(keyward.path("read_only").asBoolean(false), "keyward must set read_only: true");
        assertEquals("65532:65532", keyward.path("user").asText(), "keyward must run as 65532:65532");
        assertTrue(strings(keyward.path("tmpfs")).stream().anyMatch(t -> t.equals("/tmp") || t.startsWith("/tmp:")),
                "keyward needs a tmpfs on /tmp");
        String dataDir = environment(keyward).get("KEYWARD_DATA_DIR");
        assertEquals("/var/lib/keyward", dataDir);
        assertTrue(strings(keyward.path("volumes")).stream().anyMatch(v -> v.endsWith(":" + dataDir)),
                "the data dir " + dataDir + " must be a volume");
        assertTrue(strings(keyward.path("cap_drop")).contains("ALL"), "keyward must drop all capabilities");
    }

    @Test
    void noServiceSetsACredentialInline() {
        Set<String> declaredSecrets = new TreeSet<>();
        compose.path("secrets").fieldNames().forEachRemaining(declaredSecrets::add);
        List<String> offences = new ArrayList<>();
        compose.path("services").fields().forEachRemaining(s -> environment(s.getValue()).forEach((name, value) -> {
            if (value == null || value.isEmpty() || value.startsWith("${")) {
                return;
            }
            if (name.endsWith("_FILE")) {
                Matcher m = Pattern.compile("^/run/secrets/([A-Za-z0-9._-]+)$").matcher(value);
                if (!m.matches() || !declaredSecrets.contains(m.group(1))
                        || !strings(s.getValue().path("secrets")).contains(m.group(1))) {
                    offences.add(s.getKey() + ": " + name + " must name a secret the service mounts");
                }
                return;
            }
            if (CREDENTIAL_NAME.matcher(name).matches()) {
                offences.add(s.getKey() + ": " + name + " is set inline; it must come from compose/secrets/");
            }
            if (!value.startsWith("/") && CREDENTIAL_VALUE.matcher(value).matches()) {
                offences.add(s.getKey() + ": " + name + " has a value that looks like a key or token");
            }
        }));
        assertTrue(offences.isEmpty(), String.join("\n", offences));
    }

    @Test
    void secretAndEnvFilesLiveOnlyInTheGitIgnoredSecretsDirectory() throws IOException {
        List<String> files = new ArrayList<>();
        compose.path("secrets").forEach(s -> files.add(s.path("file").asText()));
        compose.path("services").forEach(s -> files.addAll(strings(s.path("env_file"))));
        assertFalse(files.isEmpty(), "the keyward secrets must come from files");
        for (String f : files) {
            assertTrue(f.startsWith("compose/secrets/"), f + " is outside compose/secrets/");
        }
        List<String> ignored = Files.readAllLines(DEPLOY.resolve("compose/.gitignore"));
        assertTrue(ignored.contains("secrets/"), "deploy/compose/.gitignore must ignore secrets/");
        assertTrue(strings(service("keyward").path("env_file")).contains("compose/secrets/keyward.env"));
        assertEquals("/run/secrets/seal-root-key", environment(service("keyward")).get("KEYWARD_SEAL_ROOT_KEY_FILE"));
    }

    @Test
    void everyPublishedPortIsBoundToLoopbackAndKeywardsPortIsPublished() {
        List<String> offences = new ArrayList<>();
        Map<String, List<String>> containerPorts = new LinkedHashMap<>();
        compose.path("services").fields().forEachRemaining(s -> {
            for (JsonNode p : s.getValue().path("ports")) {
                String hostIp;
                String target;
                if (p.isObject()) {
                    hostIp = p.path("host_ip").asText("");
                    target = p.path("target").asText();
                } else {
                    String[] parts = p.asText().split(":");
                    hostIp = parts.length == 3 ? parts[0] : "";
                    target = parts[parts.length - 1];
                }
                if (!hostIp.equals("127.0.0.1")) {
                    offences.add(s.getKey() + " publishes " + p + " on '" + hostIp + "', not 127.0.0.1");
                }
                containerPorts.computeIfAbsent(s.getKey(), k -> new ArrayList<>()).add(target.replace("/tcp", ""));
            }
        });
        assertTrue(offences.isEmpty(), String.join("\n", offences));
        // keyward shares kms-net's network namespace, so its port is published there.
        String mode = service("keyward").path("network_mode").asText("");
        String owner = mode.startsWith("service:") ? mode.substring("service:".length()) : "keyward";
        assertTrue(containerPorts.getOrDefault(owner, List.of()).contains("8080"),
                "keyward's port 8080 is not published (looked on service '" + owner + "')");
    }

    @Test
    void everyKeywardAndQuarkusVariableSetOrMentionedIsDocumented() throws IOException {
        List<Pattern> documented = documentedVariables();
        Set<String> used = new TreeSet<>(environment(service("keyward")).keySet());
        Matcher m = Pattern.compile("\\b(KEYWARD|QUARKUS)_[A-Z0-9_]+").matcher(Files.readString(WALKTHROUGH));
        while (m.find()) {
            used.add(m.group());
        }
        Set<String> undocumented = new TreeSet<>();
        for (String name : used) {
            if (name.matches("(KEYWARD|QUARKUS)_.*") && documented.stream().noneMatch(p -> p.matcher(name).matches())) {
                undocumented.add(name);
            }
        }
        assertTrue(used.contains("KEYWARD_SEAL_ROOT_KEY_FILE"), "sanity: the keyward service's variables were read");
        assertTrue(undocumented.isEmpty(), "not in docs/reference/configuration.md: " + undocumented);
    }

    /** Every back-quoted upper-case variable name of the configuration reference; {@code <P>} matches any word. */
    static List<Pattern> documentedVariables() throws IOException {
        List<Pattern> out = new ArrayList<>();
        Matcher m = Pattern.compile("`((?:KEYWARD|QUARKUS)_[A-Z0-9_<>]+)`").matcher(Files.readString(CONFIGURATION));
        while (m.find()) {
            out.add(Pattern.compile(Pattern.quote(m.group(1)).replaceAll("<[A-Z ]+>", "\\\\E[A-Z0-9_]+\\\\Q")));
        }
        assertTrue(out.size() > 20, "sanity: the configuration reference lists its env vars");
        return out;
    }

    @Test
    void keywardWaitsOnlyForDependenciesThatCanReportHealthy() {
        JsonNode keyward = service("keyward");
        assertTrue(keyward.path("healthcheck").isMissingNode(),
                "keyward's image has no shell or curl: a Compose healthcheck cannot run inside it");
        JsonNode deps = keyward.path("depends_on");
        assertTrue(deps.isObject() && deps.size() >= 3, "keyward must wait for postgres, localstack and vault-init");
        for (Iterator<Map.Entry<String, JsonNode>> it = deps.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> d = it.next();
            String condition = d.getValue().path("condition").asText();
            JsonNode dep = service(d.getKey());
            if (condition.equals("service_healthy")) {
                assertTrue(dep.path("healthcheck").path("test").isArray(), d.getKey() + " has no healthcheck to wait for");
            } else {
                assertEquals("service_completed_successfully", condition, d.getKey() + ": unexpected condition");
                assertEquals("no", dep.path("restart").asText("no"), d.getKey() + " is a one-shot service");
            }
        }
    }

    @Test
    void filesTheServicesMountExist() {
        JsonNode init = service("vault-init");
        String script = strings(init.path("entrypoint")).get(1);
        String mount = strings(init.path("volumes")).get(0);
        String[] parts = mount.split(":");
        assertEquals("/init", parts[1]);
        Path hostDir = DEPLOY.resolve(parts[0]).normalize();
        assertTrue(Files.isRegularFile(hostDir.resolve(script.substring("/init/".length()))), script + " is missing");
        for (String policy : List.of("keyward-globex.hcl", "keyward-globex-deny.hcl")) {
            assertTrue(Files.isRegularFile(hostDir.resolve(policy)), policy + " is missing");
        }
    }

    @Test
    void theDockerfileKeywardIsBuiltFromExists() {
        JsonNode build = service("keyward").path("build");
        Path context = DEPLOY.resolve(build.path("context").asText(".")).normalize();
        Path dockerfile = context.resolve(build.path("dockerfile").asText("Dockerfile")).normalize();
        assertEquals(Path.of("src/main/docker/Dockerfile.jvm"), dockerfile);
        assertTrue(Files.isRegularFile(dockerfile), dockerfile + " does not exist");
    }
}
