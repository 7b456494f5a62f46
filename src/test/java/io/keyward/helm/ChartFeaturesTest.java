package io.keyward.helm;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What particular value sets switch on: workload identity per cloud, optional resources, network rules, databases. */
class ChartFeaturesTest {
    private static final Set<String> PRIVATE_RANGES = Set.of("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
            "169.254.0.0/16", "100.64.0.0/10", "127.0.0.0/8");
    private static final Set<String> WORKLOAD_IDENTITY = Set.of("eks.amazonaws.com/role-arn",
            "iam.gke.io/gcp-service-account", "azure.workload.identity/client-id", "azure.workload.identity/tenant-id");

    private static Map<String, String> saAnnotations(List<HasMetadata> r) {
        Map<String, String> a = Chart.one(r, ServiceAccount.class, Chart.RELEASE).getMetadata().getAnnotations();
        return a == null ? Map.of() : a;
    }

    private static Map<String, String> podLabels(List<HasMetadata> r) {
        return Chart.one(r, Deployment.class, Chart.RELEASE).getSpec().getTemplate().getMetadata().getLabels();
    }

    private static PodSpec pod(List<HasMetadata> r) {
        return Chart.one(r, Deployment.class, Chart.RELEASE).getSpec().getTemplate().getSpec();
    }

    private static Optional<EnvVar> env(List<HasMetadata> r, String name) {
        return ChartValueSetsTest.keywardContainer(r).getEnv().stream().filter(e -> e.getName().equals(name)).findFirst();
    }

    private static Map<String, String> config(List<HasMetadata> r) {
        return Chart.one(r, ConfigMap.class, Chart.RELEASE).getData();
    }

    @Test
    void awsValueSetAnnotatesTheServiceAccountForIrsaOnly() {
        List<HasMetadata> r = Chart.render("aws-values.yaml");
        assertEquals("arn:aws:iam::111122223333:role/keyward", saAnnotations(r).get("eks.amazonaws.com/role-arn"));
        assertEquals(Set.of("eks.amazonaws.com/role-arn"), identityAnnotations(r));
        assertFalse(podLabels(r).containsKey("azure.workload.identity/use"));
    }

    @Test
    void gcpValueSetAnnotatesForGkeWorkloadIdentityAndOpensTheMetadataServer() {
        List<HasMetadata> r = Chart.render("gcp-values.yaml");
        assertEquals("keyward@platform-prod.iam.gserviceaccount.com", saAnnotations(r).get("iam.gke.io/gcp-service-account"));
        assertEquals(Set.of("iam.gke.io/gcp-service-account"), identityAnnotations(r));
        List<NetworkPolicyEgressRule> egress = keywardPolicy(r).getSpec().getEgress();
        assertTrue(egress.stream().anyMatch(e -> cidrs(e).contains("169.254.169.254/32") && ports(e).contains(80)
                && cidrs(e).contains("169.254.169.252/32") && ports(e).contains(988)), "GKE metadata server egress");
    }

    @Test
    void azureValueSetAnnotatesTheServiceAccountAndLabelsThePods() {
        List<HasMetadata> r = Chart.render("azure-values.yaml");
        assertEquals("00000000-1111-2222-3333-444444444444", saAnnotations(r).get("azure.workload.identity/client-id"));
        assertEquals("55555555-6666-7777-8888-999999999999", saAnnotations(r).get("azure.workload.identity/tenant-id"));
        assertEquals(Set.of("azure.workload.identity/client-id", "azure.workload.identity/tenant-id"), identityAnnotations(r));
        assertEquals("true", podLabels(r).get("azure.workload.identity/use"), "the webhook mutates only labelled pods");
    }

    @Test
    void minimalValueSetHasNoWorkloadIdentity() {
        List<HasMetadata> r = Chart.render("minimal-values.yaml");
        assertEquals(Set.of(), identityAnnotations(r));
        assertFalse(podLabels(r).containsKey("azure.workload.identity/use"));
        assertTrue(keywardPolicy(r).getSpec().getEgress().stream().noneMatch(e -> ports(e).contains(988)),
                "no metadata server egress without GKE");
    }

    private static Set<String> identityAnnotations(List<HasMetadata> r) {
        return saAnnotations(r).keySet().stream().filter(WORKLOAD_IDENTITY::contains).collect(Collectors.toSet());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            // set,              replicas, hpa,   pdb,   serviceMonitor, ingress
            "minimal-values.yaml, 2,       false, true,  false,          false",
            "aws-values.yaml,     2,       false, true,  false,          false",
            "gcp-values.yaml,     2,       false, true,  false,          false",
            "azure-values.yaml,   2,       false, true,  false,          false",
            "ha-values.yaml,      -1,      true,  true,  true,           true",
            "dev-values.yaml,     1,       false, false, false,          false",
            "trial-values.yaml,   1,       false, false, false,          false",
    })
    void optionalResourcesExistExactlyWhenEnabled(String set, int replicas, boolean hpa, boolean pdb, boolean sm,
                                                  boolean ingress) {
        List<HasMetadata> r = Chart.render(set);
        Deployment d = Chart.one(r, Deployment.class, Chart.RELEASE);
        if (hpa) {
            assertNull(d.getSpec().getReplicas(), "the HPA owns the replica count");
        } else {
            assertEquals(replicas, d.getSpec().getReplicas());
        }
        assertEquals(hpa ? 1 : 0, Chart.all(r, HorizontalPodAutoscaler.class).size(), "HPA");
        assertEquals(pdb ? 1 : 0, Chart.all(r, PodDisruptionBudget.class).size(), "PDB");
        long monitors = Chart.all(r, GenericKubernetesResource.class).stream().filter(g -> g.getKind().equals("ServiceMonitor")).count();
        assertEquals(sm ? 1 : 0, monitors, "ServiceMonitor");
        assertEquals(ingress ? 1 : 0, Chart.all(r, Ingress.class).size(), "Ingress");
        List<NetworkPolicyIngressRule> in = keywardPolicy(r).getSpec().getIngress();
        assertEquals(1 + (sm ? 1 : 0) + (ingress ? 1 : 0), in.size(), "ingress rules: clients, plus Prometheus and the ingress controller when on");
    }

    @Test
    void haValueSetScalesSpreadsScrapesAndTerminatesTls() {
        List<HasMetadata> r = Chart.render("ha-values.yaml");
        HorizontalPodAutoscaler hpa = Chart.one(r, HorizontalPodAutoscaler.class, Chart.RELEASE);
        assertEquals(3, hpa.getSpec().getMinReplicas());
        assertEquals(10, hpa.getSpec().getMaxReplicas());
        assertEquals("Deployment", hpa.getSpec().getScaleTargetRef().getKind());
        assertEquals(65, hpa.getSpec().getMetrics().get(0).getResource().getTarget().getAverageUtilization());
        PodDisruptionBudget pdb = Chart.one(r, PodDisruptionBudget.class, Chart.RELEASE);
        assertEquals(1, pdb.getSpec().getMaxUnavailable().getIntVal());
        Map<String, String> selector = Chart.one(r, Deployment.class, Chart.RELEASE).getSpec().getSelector().getMatchLabels();
        assertEquals(selector, pdb.getSpec().getSelector().getMatchLabels());
        var spread = pod(r).getTopologySpreadConstraints();
        assertEquals(Set.of("topology.kubernetes.io/zone", "kubernetes.io/hostname"),
                spread.stream().map(t -> t.getTopologyKey()).collect(Collectors.toSet()));
        spread.forEach(t -> {
            assertEquals("DoNotSchedule", t.getWhenUnsatisfiable());
            assertEquals(selector, t.getLabelSelector().getMatchLabels());
        });
        GenericKubernetesResource sm = Chart.all(r, GenericKubernetesResource.class).stream()
                .filter(g -> g.getKind().equals("ServiceMonitor")).findFirst().orElseThrow();
        assertEquals("monitoring.coreos.com/v1", sm.getApiVersion());
        @SuppressWarnings("unchecked")
        Map<String, Object> endpoint = ((List<Map<String, Object>>) sm.get("spec", "endpoints")).get(0);
        assertEquals("/q/metrics", endpoint.get("path"));
        assertEquals("http", endpoint.get("port"));
        Ingress ingress = Chart.one(r, Ingress.class, Chart.RELEASE);
        assertEquals("keyward-tls", ingress.getSpec().getTls().get(0).getSecretName());
        assertEquals(List.of("keyward.platform.example"), ingress.getSpec().getTls().get(0).getHosts());
        assertEquals("http", ingress.getSpec().getRules().get(0).getHttp().getPaths().get(0).getBackend().getService().getPort().getName());
    }

    @Test
    void haValueSetSignsInWithOidcAndUnwrapsTheSealKeyAtItsKms() {
        List<HasMetadata> r = Chart.render("ha-values.yaml");
        assertEquals("https://keycloak.platform.example/realms/acme", env(r, "QUARKUS_OIDC_AUTH_SERVER_URL").orElseThrow().getValue());
        assertEquals("keyward-api", env(r, "QUARKUS_OIDC_TOKEN_AUDIENCE").orElseThrow().getValue());
        Map<String, String> cfg = config(r);
        assertEquals("true", cfg.get("KEYWARD_OIDC_ENABLED"));
        assertEquals("realm_access.roles", cfg.get("KEYWARD_OIDC_ROLES_CLAIM"));
        assertEquals("aws-kms", cfg.get("KEYWARD_SEAL_KMS_PROVIDER"));
        assertEquals("eu-west-1", cfg.get("KEYWARD_SEAL_KMS_OPTIONS_REGION"));
        assertFalse(cfg.containsKey("KEYWARD_SEAL_ROOT_KEY_FILE"), "one seal source");
        assertTrue(pod(r).getVolumes().stream().noneMatch(v -> v.getName().equals("seal")));
        ConfigMap props = Chart.one(r, ConfigMap.class, Chart.RELEASE + "-properties");
        assertTrue(props.getData().get("application.properties").contains("keyward.oidc.role-map.\"keyward-admin\"=admin"));
        VolumeMount mount = mount(r, "properties");
        assertEquals("/deployments/config", mount.getMountPath(), "keyward reads config/application.properties from its working dir");
        assertEquals("500", cfg.get("KEYWARD_LIMITS_MAX_BATCH_ITEMS"), "whole numbers stay whole");
        assertEquals("0.5", cfg.get("KEYWARD_CIRCUIT_BREAKER_FAILURE_RATIO"));
        assertEquals("true", env(r, "QUARKUS_LOG_CONSOLE_JSON_ENABLED").orElseThrow().getValue());
        assertEquals("5s", env(r, "QUARKUS_SHUTDOWN_DELAY").orElseThrow().getValue());
    }

    @Test
    void largeWholeNumbersInConfigKeepTheirDigits() {
        List<HasMetadata> r = Chart.parse(Chart.template(List.of(Chart.CI.resolve("minimal-values.yaml"),
                Path.of("src/test/resources/helm/large-numbers-values.yaml")), Map.of()));
        assertEquals("4294967296", config(r).get("KEYWARD_CACHE_MAX_BYTES"));
        assertEquals("1000000", config(r).get("KEYWARD_CACHE_MAX_MESSAGES"));
    }

    @Test
    void minimalValueSetMountsTheSealKeyFileAndTakesCredentialsFromSecrets() {
        List<HasMetadata> r = Chart.render("minimal-values.yaml");
        assertEquals("/etc/keyward/seal/root-key", config(r).get("KEYWARD_SEAL_ROOT_KEY_FILE"));
        Volume seal = pod(r).getVolumes().stream().filter(v -> v.getName().equals("seal")).findFirst().orElseThrow();
        assertEquals("keyward-seal", seal.getSecret().getSecretName());
        VolumeMount mount = mount(r, "seal");
        assertEquals("/etc/keyward/seal", mount.getMountPath());
        assertTrue(mount.getReadOnly());
        assertEquals("keyward-db", env(r, "QUARKUS_DATASOURCE_PG_PASSWORD").orElseThrow().getValueFrom().getSecretKeyRef().getName());
        assertEquals("keyward-db", env(r, "QUARKUS_DATASOURCE_PG_USERNAME").orElseThrow().getValueFrom().getSecretKeyRef().getName());
        assertEquals("keyward-bootstrap", env(r, "KEYWARD_BOOTSTRAP_TOKEN").orElseThrow().getValueFrom().getSecretKeyRef().getName());
        assertEquals("/var/lib/keyward", config(r).get("KEYWARD_DATA_DIR"));
        assertEquals("/tmp", mount(r, "tmp").getMountPath());
        assertEquals("/var/lib/keyward", mount(r, "data").getMountPath());
        assertNotNull(pod(r).getVolumes().stream().filter(v -> v.getName().equals("data")).findFirst().orElseThrow().getEmptyDir());
        assertEquals("30s", env(r, "QUARKUS_SHUTDOWN_TIMEOUT").orElseThrow().getValue());
        assertEquals(45L, pod(r).getTerminationGracePeriodSeconds());
        assertEquals("-XX:MaxRAMPercentage=75", env(r, "JAVA_TOOL_OPTIONS").orElseThrow().getValue());
    }

    private static VolumeMount mount(List<HasMetadata> r, String volume) {
        Container c = ChartValueSetsTest.keywardContainer(r);
        return c.getVolumeMounts().stream().filter(m -> m.getName().equals(volume)).findFirst().orElseThrow();
    }

    @Test
    void aConfigChangeRollsThePods() {
        String checksum = checksum(Chart.render("minimal-values.yaml"));
        String changed = checksum(Chart.parse(Chart.template(List.of(Chart.CI.resolve("minimal-values.yaml")),
                Map.of("cache.maxAge", "30s"))));
        assertNotNull(checksum);
        assertNotEquals(checksum, changed);
    }

    private static String checksum(List<HasMetadata> r) {
        return Chart.one(r, Deployment.class, Chart.RELEASE).getSpec().getTemplate().getMetadata().getAnnotations().get("checksum/config");
    }

    @Test
    void defaultNetworkPolicyLetsInLabelledNamespacesAndLetsOutOnlyDnsDatabaseAndPublicHttps() {
        List<HasMetadata> r = Chart.render("minimal-values.yaml");
        NetworkPolicy np = keywardPolicy(r);
        assertEquals(Chart.one(r, Deployment.class, Chart.RELEASE).getSpec().getSelector().getMatchLabels(),
                np.getSpec().getPodSelector().getMatchLabels());
        assertEquals(List.of("Ingress", "Egress"), np.getSpec().getPolicyTypes());
        NetworkPolicyIngressRule in = np.getSpec().getIngress().get(0);
        assertEquals(Map.of("keyward.io/client", "true"), in.getFrom().get(0).getNamespaceSelector().getMatchLabels());
        assertEquals("http", in.getPorts().get(0).getPort().getStrVal());

        List<NetworkPolicyEgressRule> egress = np.getSpec().getEgress();
        assertEquals(3, egress.size(), "DNS, database, key managers");
        NetworkPolicyEgressRule dns = egress.get(0);
        assertEquals(Set.of("UDP/53", "TCP/53"), dns.getPorts().stream().map(p -> p.getProtocol() + "/" + p.getPort().getIntVal()).collect(Collectors.toSet()));
        NetworkPolicyEgressRule db = egress.get(1);
        assertEquals(List.of("10.20.0.0/24"), cidrs(db));
        assertEquals(List.of(5432), ports(db));
        NetworkPolicyEgressRule kms = egress.get(2);
        IPBlock block = kms.getTo().get(0).getIpBlock();
        assertEquals("0.0.0.0/0", block.getCidr());
        assertEquals(PRIVATE_RANGES, Set.copyOf(block.getExcept()), "private, link-local, CGNAT and loopback ranges are out of reach");
        assertEquals(List.of(443), ports(kms));
        for (NetworkPolicyEgressRule e : egress) {
            boolean onlyDns = ports(e).stream().allMatch(p -> p == 53);
            assertTrue(onlyDns || (e.getTo() != null && !e.getTo().isEmpty()), "only DNS may go to any address: " + e);
        }
    }

    @Test
    void haValueSetAddsPrometheusTheIngressControllerAnInClusterDatabaseAndAnExplicitInternalVault() {
        NetworkPolicy np = keywardPolicy(Chart.render("ha-values.yaml"));
        List<Map<String, String>> from = np.getSpec().getIngress().stream()
                .map(i -> i.getFrom().get(0).getNamespaceSelector().getMatchLabels()).toList();
        assertTrue(from.contains(Map.of("kubernetes.io/metadata.name", "monitoring")), from.toString());
        assertTrue(from.contains(Map.of("kubernetes.io/metadata.name", "ingress-nginx")), from.toString());
        assertTrue(np.getSpec().getEgress().stream().anyMatch(e -> ports(e).equals(List.of(5432))
                && e.getTo().get(0).getPodSelector().getMatchLabels().equals(Map.of("cnpg.io/cluster", "keyward-db"))));
        assertTrue(np.getSpec().getEgress().stream().anyMatch(e -> cidrs(e).equals(List.of("10.8.0.5/32")) && ports(e).equals(List.of(8200))));
    }

    @Test
    void devValueSetRunsTheBundledDatabaseReachableOnlyFromKeyward() {
        List<HasMetadata> r = Chart.render("dev-values.yaml");
        String pg = Chart.RELEASE + "-postgresql";
        assertEquals("jdbc:postgresql://" + pg + ":5432/keyward", env(r, "QUARKUS_DATASOURCE_PG_JDBC_URL").orElseThrow().getValue());
        assertEquals(pg, env(r, "QUARKUS_DATASOURCE_PG_PASSWORD").orElseThrow().getValueFrom().getSecretKeyRef().getName());
        Secret secret = Chart.one(r, Secret.class, pg);
        assertEquals(Set.of("password"), secret.getData().keySet());
        assertTrue(ChartValueSetsTest.podSpecs(r).get(pg).getVolumes().stream().allMatch(v -> v.getEmptyDir() != null),
                "no persistence: development only");
        Map<String, String> keywardPods = Chart.one(r, Deployment.class, Chart.RELEASE).getSpec().getSelector().getMatchLabels();
        NetworkPolicy pgPolicy = Chart.one(r, NetworkPolicy.class, pg);
        assertEquals(keywardPods, pgPolicy.getSpec().getIngress().get(0).getFrom().get(0).getPodSelector().getMatchLabels());
        assertTrue(pgPolicy.getSpec().getEgress().isEmpty(), "the dev database reaches nothing");
        Map<String, String> pgPods = Chart.one(r, io.fabric8.kubernetes.api.model.apps.StatefulSet.class, pg).getSpec().getSelector().getMatchLabels();
        assertNotEquals(keywardPods, pgPods);
        assertTrue(keywardPolicy(r).getSpec().getEgress().stream().anyMatch(e -> ports(e).equals(List.of(5432))
                && pgPods.equals(e.getTo().get(0).getPodSelector().getMatchLabels())));
        assertEquals(
                Chart.one(r, Deployment.class, Chart.RELEASE).getSpec().getTemplate().getMetadata().getAnnotations().get("checksum/postgresql-password"),
                Chart.one(r, io.fabric8.kubernetes.api.model.apps.StatefulSet.class, pg).getSpec().getTemplate().getMetadata().getAnnotations().get("checksum/password"),
                "a new password restarts both sides together");
    }

    @Test
    void trialValueSetKeepsH2OnAClaimWithOnePodAtATime() {
        List<HasMetadata> r = Chart.render("trial-values.yaml");
        assertTrue(env(r, "QUARKUS_DATASOURCE_PG_JDBC_URL").isEmpty(), "no PostgreSQL: the embedded default");
        Deployment d = Chart.one(r, Deployment.class, Chart.RELEASE);
        assertEquals("Recreate", d.getSpec().getStrategy().getType());
        PersistentVolumeClaim pvc = Chart.one(r, PersistentVolumeClaim.class, Chart.RELEASE + "-data");
        assertEquals(pvc.getMetadata().getName(), pod(r).getVolumes().stream().filter(v -> v.getName().equals("data"))
                .findFirst().orElseThrow().getPersistentVolumeClaim().getClaimName());
    }

    static NetworkPolicy keywardPolicy(List<HasMetadata> r) {
        return Chart.one(r, NetworkPolicy.class, Chart.RELEASE);
    }

    private static List<String> cidrs(NetworkPolicyEgressRule e) {
        return e.getTo() == null ? List.of() : e.getTo().stream().map(NetworkPolicyPeer::getIpBlock).filter(Objects::nonNull)
                .map(IPBlock::getCidr).toList();
    }

    private static List<Integer> ports(NetworkPolicyEgressRule e) {
        return e.getPorts().stream().map(NetworkPolicyPort::getPort).map(p -> p.getIntVal()).toList();
    }
}
