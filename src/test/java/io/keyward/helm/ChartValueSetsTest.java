package io.keyward.helm;

import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What must hold for every value set in helm/keyward/ci: it lints, every pod is locked down, keyward's probes and
 * resources are right, and secrets travel only by reference.
 */
class ChartValueSetsTest {
    /**
     * Environment variables that carry secrets: only ever from a secretKeyRef. A wrapped root key is not one (only
     * its KMS opens it), so KEYWARD_SEAL_KMS_WRAPPED_ROOT_KEY may be plain configuration.
     */
    private static final Pattern SENSITIVE = Pattern.compile("PASSWORD|_TOKEN$|SECRET|(?<!WRAPPED)_ROOT_KEY$|ROOT_KEYS$|_PIN");
    private static final String PG = Chart.RELEASE + "-postgresql";

    static Stream<String> valueSets() {
        return Chart.valueSets().stream();
    }

    /** The pod specs of every workload, by workload name. */
    static Map<String, PodSpec> podSpecs(List<HasMetadata> resources) {
        Map<String, PodSpec> pods = new LinkedHashMap<>();
        Chart.all(resources, Deployment.class).forEach(d -> pods.put(d.getMetadata().getName(), d.getSpec().getTemplate().getSpec()));
        Chart.all(resources, StatefulSet.class).forEach(s -> pods.put(s.getMetadata().getName(), s.getSpec().getTemplate().getSpec()));
        return pods;
    }

    static Container keywardContainer(List<HasMetadata> resources) {
        PodSpec pod = Chart.one(resources, Deployment.class, Chart.RELEASE).getSpec().getTemplate().getSpec();
        return pod.getContainers().stream().filter(c -> c.getName().equals("keyward")).findFirst().orElseThrow();
    }

    @Test
    void theCiValueSetsTheIssueAsksForExist() {
        assertTrue(Chart.valueSets().containsAll(List.of("minimal-values.yaml", "aws-values.yaml", "gcp-values.yaml",
                "azure-values.yaml", "ha-values.yaml", "dev-values.yaml")), Chart.valueSets().toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valueSets")
    void lintPassesStrictly(String set) throws IOException {
        LintResult lint = Chart.lint(set);
        assertFalse(lint.isFailed(), set + ": " + lint.getMessages());
        assertTrue(lint.getMessages().stream().noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]")),
                set + ": " + lint.getMessages());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valueSets")
    void everyPodRunsNonRootReadOnlyWithNoCapabilities(String set) {
        Map<String, PodSpec> pods = podSpecs(Chart.render(set));
        assertTrue(pods.containsKey(Chart.RELEASE), set + " renders keyward's Deployment");
        pods.forEach((name, pod) -> {
            PodSecurityContext psc = pod.getSecurityContext();
            assertNotNull(psc, name + " has a pod securityContext");
            assertEquals(Boolean.TRUE, psc.getRunAsNonRoot(), name + " runAsNonRoot");
            assertNotNull(psc.getRunAsUser(), name + " names its user");
            assertTrue(psc.getRunAsUser() > 0, name + " is not root");
            assertNotNull(psc.getFsGroup(), name + " fsGroup");
            assertEquals("RuntimeDefault", psc.getSeccompProfile().getType(), name + " seccomp");
            assertEquals(Boolean.FALSE, pod.getAutomountServiceAccountToken(), name + " mounts no API token");
            List<Container> containers = new ArrayList<>(pod.getContainers());
            if (pod.getInitContainers() != null) {
                containers.addAll(pod.getInitContainers());
            }
            for (Container c : containers) {
                SecurityContext sc = c.getSecurityContext();
                String who = name + "/" + c.getName();
                assertNotNull(sc, who + " has a securityContext");
                assertEquals(Boolean.TRUE, sc.getRunAsNonRoot(), who + " runAsNonRoot");
                assertTrue(sc.getRunAsUser() != null && sc.getRunAsUser() > 0, who + " runs as a non-root uid");
                assertEquals(Boolean.TRUE, sc.getReadOnlyRootFilesystem(), who + " read-only root");
                assertEquals(Boolean.FALSE, sc.getAllowPrivilegeEscalation(), who + " no privilege escalation");
                assertNotEquals(Boolean.TRUE, sc.getPrivileged(), who + " not privileged");
                assertEquals(List.of("ALL"), sc.getCapabilities().getDrop(), who + " drops ALL capabilities");
                assertTrue(sc.getCapabilities().getAdd() == null || sc.getCapabilities().getAdd().isEmpty(), who + " adds none");
                assertEquals("RuntimeDefault", sc.getSeccompProfile().getType(), who + " seccomp");
            }
        });
        PodSpec keyward = pods.get(Chart.RELEASE);
        assertEquals(65532L, keyward.getSecurityContext().getRunAsUser(), "the image's uid");
        assertEquals(65532L, keyward.getSecurityContext().getRunAsGroup(), "the image's gid");
        assertEquals(65532L, keyward.getSecurityContext().getFsGroup(), "volumes writable by the image's group");
        SecurityContext container = keyward.getContainers().get(0).getSecurityContext();
        assertEquals(65532L, container.getRunAsUser());
    }

    private static void assertNotEquals(Object unexpected, Object actual, String message) {
        org.junit.jupiter.api.Assertions.assertNotEquals(unexpected, actual, message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valueSets")
    void keywardIsProbedOnItsHealthEndpointsOnPort8080(String set) {
        Container c = keywardContainer(Chart.render(set));
        assertEquals(1, c.getPorts().size());
        assertEquals("http", c.getPorts().get(0).getName());
        assertEquals(8080, c.getPorts().get(0).getContainerPort());
        assertProbe(c.getLivenessProbe(), "/q/health/live");
        assertProbe(c.getReadinessProbe(), "/q/health/ready");
        assertProbe(c.getStartupProbe(), "/q/health/started");
    }

    private static void assertProbe(Probe probe, String path) {
        assertNotNull(probe, path);
        assertEquals(path, probe.getHttpGet().getPath());
        assertEquals("http", probe.getHttpGet().getPort().getStrVal(), path + " on the http (8080) port");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valueSets")
    void everyContainerHasRequestsAndAMemoryLimit(String set) {
        podSpecs(Chart.render(set)).forEach((name, pod) -> pod.getContainers().forEach(c -> {
            ResourceRequirements r = c.getResources();
            String who = name + "/" + c.getName();
            assertNotNull(r, who);
            assertNotNull(r.getRequests().get("cpu"), who + " cpu request");
            assertNotNull(r.getRequests().get("memory"), who + " memory request");
            assertNotNull(r.getLimits().get("memory"), who + " memory limit");
        }));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valueSets")
    void secretsTravelOnlyByReference(String set) {
        List<HasMetadata> resources = Chart.render(set);
        boolean bundled = podSpecs(resources).containsKey(PG);
        for (Secret s : Chart.all(resources, Secret.class)) {
            assertTrue(bundled && s.getMetadata().getName().equals(PG),
                    set + ": the only Secret the chart may write is the bundled dev database's: " + s.getMetadata().getName());
        }
        podSpecs(resources).forEach((name, pod) -> pod.getContainers().forEach(c -> {
            for (EnvVar e : c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()) {
                if (SENSITIVE.matcher(e.getName()).find()) {
                    assertNull(e.getValue(), set + ": " + e.getName() + " has an inline value");
                    assertNotNull(e.getValueFrom().getSecretKeyRef(), set + ": " + e.getName() + " comes from a Secret");
                }
            }
        }));
        for (ConfigMap cm : Chart.all(resources, ConfigMap.class)) {
            for (String key : cm.getData().keySet()) {
                assertFalse(SENSITIVE.matcher(key).find(), set + ": ConfigMap " + cm.getMetadata().getName() + " carries " + key);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valueSets")
    void configMapVariablesAreDocumentedKeywardProperties(String set) throws IOException {
        List<Pattern> documented = documentedEnvVars();
        ConfigMap cm = Chart.one(Chart.render(set), ConfigMap.class, Chart.RELEASE);
        assertFalse(cm.getData().isEmpty());
        for (String key : cm.getData().keySet()) {
            assertTrue(documented.stream().anyMatch(p -> p.matcher(key).matches()),
                    set + ": " + key + " is not an environment variable of docs/reference/configuration.md");
        }
    }

    /** The Env var column of configuration.md's keyward.* rows, with <P> and <NAME> as patterns. */
    static List<Pattern> documentedEnvVars() throws IOException {
        String doc = Files.readString(Path.of("docs/reference/configuration.md"));
        Matcher m = Pattern.compile("(?m)^\\| `keyward\\.[^`]+` \\| `(KEYWARD_[A-Z0-9_<>]+)`").matcher(doc);
        List<Pattern> out = new ArrayList<>();
        while (m.find()) {
            String regex = Pattern.quote(m.group(1))
                    .replace("<P>", "\\E(AWS|GCP|AZURE|VAULT|PKCS11|XKS)\\Q")
                    .replace("<NAME>", "\\E[A-Z0-9]+\\Q");
            out.add(Pattern.compile(regex));
        }
        assertTrue(out.size() > 30, "read the documented variables: " + out.size());
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valueSets")
    void theServiceSendsHttpToTheContainerPort(String set) {
        Service svc = Chart.one(Chart.render(set), Service.class, Chart.RELEASE);
        assertEquals("ClusterIP", svc.getSpec().getType());
        assertEquals("http", svc.getSpec().getPorts().get(0).getName());
        assertEquals("http", svc.getSpec().getPorts().get(0).getTargetPort().getStrVal());
        Deployment d = Chart.one(Chart.render(set), Deployment.class, Chart.RELEASE);
        assertEquals(d.getSpec().getSelector().getMatchLabels(), svc.getSpec().getSelector());
    }

    @Test
    void appVersionIsTheProjectVersionAndTheDefaultImageTag() throws IOException {
        String pom = Files.readString(Path.of("pom.xml"));
        Matcher v = Pattern.compile("<artifactId>keyward</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        assertTrue(v.find());
        String chart = Files.readString(Chart.DIR.resolve("Chart.yaml"));
        assertTrue(chart.contains("appVersion: \"" + v.group(1) + "\""), "Chart.yaml appVersion is " + v.group(1));
        assertEquals("ghcr.io/keyward/keyward:" + v.group(1), keywardContainer(Chart.render("minimal-values.yaml")).getImage());
    }
}
