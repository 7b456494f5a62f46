package io.keyward.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * helm/keyward, linted and rendered in-process by helm-java (Helm's Go library through JNA, no helm binary), and
 * what it renders parsed with the fabric8 Kubernetes model.
 */
final class Chart {
    static final Path DIR = Path.of("helm/keyward");
    static final Path CI = DIR.resolve("ci");
    static final String RELEASE = "keyward";
    static final String NAMESPACE = "keyward";

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Map<String, List<HasMetadata>> RENDERED = new java.util.concurrent.ConcurrentHashMap<>();

    private Chart() {
    }

    /** The value sets under helm/keyward/ci, by file name. */
    static List<String> valueSets() {
        try (Stream<Path> files = Files.list(CI)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** helm template with these values files (in order) and --set pairs; throws with Helm's message on failure. */
    static String template(List<Path> valuesFiles, Map<String, Object> set) {
        TemplateCommand t = new Helm(DIR).template().withName(RELEASE).withNamespace(NAMESPACE);
        valuesFiles.forEach(t::withValuesFile);
        set.forEach(t::set);
        return t.call();
    }

    static String template(Path valuesFile) {
        return template(List.of(valuesFile), Map.of());
    }

    /** A ci value set rendered and parsed, once per test run (tests only read what it returns). */
    static List<HasMetadata> render(String ciValueSet) {
        return RENDERED.computeIfAbsent(ciValueSet, s -> List.copyOf(parse(template(CI.resolve(s)))));
    }

    /**
     * helm lint with a value set. Helm's lint takes no values file here (helm-java's lint has only the chart
     * path), so the chart is copied with the value set merged into its values.yaml, as `ct lint` would lint it.
     */
    static LintResult lint(String ciValueSet) throws IOException {
        Path copy = Files.createTempDirectory("keyward-chart-lint");
        try {
            copyTree(DIR, copy);
            ObjectNode defaults = (ObjectNode) YAML.readTree(DIR.resolve("values.yaml").toFile());
            JsonNode set = YAML.readTree(CI.resolve(ciValueSet).toFile());
            merge(defaults, set);
            YAML.writeValue(copy.resolve("values.yaml").toFile(), defaults);
            return new Helm(copy).lint().strict().call();
        } finally {
            deleteTree(copy);
        }
    }

    /** Every document of a rendered stream, as the fabric8 model (kinds it does not know become generic). */
    static List<HasMetadata> parse(String rendered) {
        List<HasMetadata> out = new ArrayList<>();
        for (String doc : rendered.split("(?m)^---\\s*$")) {
            boolean empty = doc.lines().map(String::strip).allMatch(l -> l.isEmpty() || l.startsWith("#"));
            if (!empty) {
                out.add(SERIALIZATION.unmarshal(doc, HasMetadata.class));
            }
        }
        return out;
    }

    static <T extends HasMetadata> List<T> all(List<HasMetadata> resources, Class<T> type) {
        return resources.stream().filter(type::isInstance).map(type::cast).toList();
    }

    static <T extends HasMetadata> T one(List<HasMetadata> resources, Class<T> type, String name) {
        List<T> found = all(resources, type).stream().filter(r -> r.getMetadata().getName().equals(name)).toList();
        if (found.size() != 1) {
            throw new AssertionError("expected one " + type.getSimpleName() + " " + name + ", found " + found.size());
        }
        return found.get(0);
    }

    private static void merge(ObjectNode target, JsonNode overlay) {
        for (Iterator<Map.Entry<String, JsonNode>> it = overlay.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode existing = target.get(e.getKey());
            if (existing instanceof ObjectNode o && e.getValue().isObject()) {
                merge(o, e.getValue());
            } else {
                target.set(e.getKey(), e.getValue());
            }
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
