package io.keyward.helm;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy/kubernetes/keyward.yaml is the chart rendered with deploy/kubernetes/values.yaml, byte for byte, so the
 * plain-manifest quickstart cannot drift from the chart. Regenerate it after a chart change with
 * {@code ./mvnw -q -B test -Dtest=KubernetesQuickstartTest -Ddocs.regenerate=true}.
 */
class KubernetesQuickstartTest {
    private static final Path DIR = Path.of("deploy/kubernetes");
    private static final Path MANIFEST = DIR.resolve("keyward.yaml");
    private static final String HEADER = """
            # GENERATED from helm/keyward with deploy/kubernetes/values.yaml (release and namespace "keyward").
            # Do not edit: change the values or the chart, then regenerate with
            #   ./mvnw -q -B test -Dtest=KubernetesQuickstartTest -Ddocs.regenerate=true
            # Apply after creating the namespace and the Secrets it names: deploy/kubernetes/README.md.
            """;

    private static String fresh() {
        return HEADER + Chart.template(List.of(DIR.resolve("values.yaml")), Map.of());
    }

    @Test
    void committedManifestIsAFreshRenderOfTheChart() throws IOException {
        String fresh = fresh();
        if (Boolean.getBoolean("docs.regenerate")) {
            Files.writeString(MANIFEST, fresh);
        }
        assertTrue(Files.exists(MANIFEST), MANIFEST + " is missing: regenerate it with -Ddocs.regenerate=true");
        assertEquals(fresh, Files.readString(MANIFEST), MANIFEST + " is stale: regenerate it with "
                + "./mvnw -q -B test -Dtest=KubernetesQuickstartTest -Ddocs.regenerate=true");
    }

    @Test
    void quickstartRunsOnePodAndCarriesNoSecret() throws IOException {
        List<HasMetadata> resources = Chart.parse(Files.readString(MANIFEST));
        assertEquals(List.of(), Chart.all(resources, Secret.class), "the Secrets are created by hand (README.md)");
        assertEquals(1, Chart.one(resources, io.fabric8.kubernetes.api.model.apps.Deployment.class, Chart.RELEASE)
                .getSpec().getReplicas());
        assertTrue(resources.stream().allMatch(r -> Chart.NAMESPACE.equals(r.getMetadata().getNamespace())),
                "every object names its namespace");
    }
}
