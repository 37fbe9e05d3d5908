package org.diffusionworker.deploy;

import static org.diffusionworker.testing.DeployFiles.at;
import static org.diffusionworker.testing.DeployFiles.list;
import static org.diffusionworker.testing.DeployFiles.map;
import static org.diffusionworker.testing.DeployFiles.ofKind;
import static org.diffusionworker.testing.DeployFiles.onlyOfKind;
import static org.diffusionworker.testing.DeployFiles.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.diffusionworker.testing.DeployFiles;
import org.junit.jupiter.api.Test;

/**
 * The deployment files against the application they deploy, without Docker or a cluster: probe paths and port, every
 * environment variable a real setting, KEDA on the real group and topic, grace periods above the shutdown grace,
 * pinned images, partitions and replicas, Strimzi objects, the alert rules in both places, the dashboard
 * provisionable as is. With kubectl, promtool and docker-compose installed, also what they render and check
 * (skipped, and said so, where they are missing). Metric names against a running worker: {@link DeployedWorkerTest}.
 */
class DeploymentManifestsTest {

    private static final Properties APP = DeployFiles.applicationProperties();
    private static final String REQUESTS = APP.getProperty("diffusionworker.kafka.requests-topic");
    private static final String EVENTS = APP.getProperty("diffusionworker.kafka.events-topic");
    private static final String DEAD_LETTERS = APP.getProperty("diffusionworker.kafka.dead-letter-topic");
    private static final String GROUP = APP.getProperty("diffusionworker.kafka.group-id");
    private static final String CONTROL = APP.getProperty("diffusionworker.kafka.control-topic");
    private static final Set<String> PROBE_PATHS = Set.of("/q/health/started", "/q/health/ready", "/q/health/live");
    private static final Path K8S = DeployFiles.K8S;
    /** Before the warm-up starts: the JVM, Quarkus, DJL's natives and the model (about a minute on a busy node). */
    private static final Duration JVM_START_AND_MODEL_LOAD = Duration.ofMinutes(1);
    private static final String READINESS_WITHOUT_ASSIGNMENT =
            "MP_MESSAGING_INCOMING_GENERATION_REQUESTS_HEALTH_TOPIC_VERIFICATION_READINESS_DISABLED";

    private static Map<String, Object> baseDeployment() {
        return DeployFiles.yamlFile(K8S.resolve("base/deployment.yaml"));
    }

    private static Map<String, Object> container(Map<String, Object> deployment) {
        List<Object> containers = list(at(deployment, "spec", "template", "spec", "containers"));
        assertEquals(1, containers.size(), "one container");
        return map(containers.get(0));
    }

    /** The worker's environment in an overlay, as kustomize builds it: base worker.env merged with the literals. */
    private static Map<String, String> overlayEnvironment(String overlay) {
        Map<String, String> env = new LinkedHashMap<>(DeployFiles.envFile(K8S.resolve("base/worker.env")));
        if (overlay != null) {
            Map<String, Object> k = DeployFiles.yamlFile(K8S.resolve("overlays/" + overlay + "/kustomization.yaml"));
            for (Object generator : list(k.get("configMapGenerator"))) {
                for (Object literal : list(map(generator).get("literals"))) {
                    String l = literal.toString();
                    env.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1));
                }
            }
        }
        return env;
    }

    private static Duration shutdownGrace(Map<String, String> env) {
        String value = env.getOrDefault("DIFFUSIONWORKER_WORKER_SHUTDOWN_GRACE",
                DeployFiles.workerConfigKeys().get("diffusionworker.worker.shutdown-grace"));
        return DeployFiles.duration(value);
    }

    private static int requestPartitions() {
        for (Map<String, Object> topic : DeployFiles.yamlDocuments(K8S.resolve("components/strimzi/kafkatopics.yaml"))) {
            if (REQUESTS.equals(text(topic, "metadata", "name"))) {
                return Integer.parseInt(text(topic, "spec", "partitions"));
            }
        }
        throw new AssertionError("no KafkaTopic " + REQUESTS);
    }

    private static Map<String, Object> kafkaTrigger(Map<String, Object> scaledObject) {
        for (Object trigger : list(at(scaledObject, "spec", "triggers"))) {
            if ("kafka".equals(text(trigger, "type"))) {
                return map(trigger);
            }
        }
        throw new AssertionError("no kafka trigger");
    }

    // --- the Deployment -----------------------------------------------------------------------------------------------

    @Test
    void probesUseQuarkusHealthEndpointsOnTheHttpPort() {
        Map<String, Object> c = container(baseDeployment());
        int httpPort = Integer.parseInt(APP.getProperty("quarkus.http.port", "8080"));
        Map<String, Integer> ports = new LinkedHashMap<>();
        list(c.get("ports")).forEach(p -> ports.put(text(p, "name"), Integer.parseInt(text(p, "containerPort"))));
        assertEquals(httpPort, ports.get("http"), "container port 'http' is quarkus.http.port");
        Map<String, String> expected = Map.of("startupProbe", "/q/health/started", "readinessProbe", "/q/health/ready",
                "livenessProbe", "/q/health/live");
        expected.forEach((probe, path) -> {
            assertEquals(path, text(c, probe, "httpGet", "path"), probe);
            Object port = at(c, probe, "httpGet", "port");
            assertTrue(ports.containsKey(String.valueOf(port)) || String.valueOf(httpPort).equals(String.valueOf(port)),
                    probe + " port " + port + " is not a port of the container " + ports);
        });
        // Model load and warm-up happen before the HTTP server answers: the startup probe must allow the warm-up time.
        long startupSeconds = Long.parseLong(text(c, "startupProbe", "periodSeconds"))
                * Long.parseLong(text(c, "startupProbe", "failureThreshold"));
        Duration warmUp = DeployFiles.duration(overlayEnvironment(null).getOrDefault(
                "DIFFUSIONWORKER_WORKER_WARM_UP_TIMEOUT",
                DeployFiles.workerConfigKeys().get("diffusionworker.worker.warm-up-timeout")));
        assertTrue(startupSeconds >= warmUp.plus(JVM_START_AND_MODEL_LOAD).toSeconds(), "startup probe allows "
                + startupSeconds + " s; JVM start and model load (" + JVM_START_AND_MODEL_LOAD + ") and the warm-up ("
                + warmUp + ") may take longer");
        assertEquals(List.of("serve"), list(c.get("args")), "the container runs `serve`");

        Map<String, Object> service = DeployFiles.yamlFile(K8S.resolve("base/service.yaml"));
        assertEquals("http", text(service, "spec", "ports", 0, "targetPort"));
        Map<String, Object> monitor = DeployFiles.yamlFile(K8S.resolve("components/monitoring/servicemonitor.yaml"));
        assertEquals("/q/metrics", text(monitor, "spec", "endpoints", 0, "path"));
        assertEquals(text(service, "spec", "ports", 0, "name"), text(monitor, "spec", "endpoints", 0, "port"));
    }

    @Test
    void everyEnvironmentVariableIsASettingSomethingReads() {
        Map<String, String> variables = new LinkedHashMap<>();
        overlayEnvironment(null).keySet().forEach(v -> variables.put(v, "k8s/base/worker.env"));
        for (String overlay : List.of("cpu", "gpu")) {
            overlayEnvironment(overlay).keySet().forEach(v -> variables.putIfAbsent(v, "k8s/overlays/" + overlay));
        }
        list(container(baseDeployment()).get("env")).forEach(e -> variables.put(text(e, "name"), "k8s/base/deployment.yaml"));
        Map<String, Object> sasl = DeployFiles.yamlFile(K8S.resolve("components/kafka-sasl-tls/deployment-sasl-tls.yaml"));
        list(at(sasl, "spec", "template", "spec", "containers", 0, "env"))
                .forEach(e -> variables.put(text(e, "name"), "k8s/components/kafka-sasl-tls"));
        Map<String, Object> compose = DeployFiles.yamlFile(DeployFiles.COMPOSE);
        for (String service : List.of("worker", "worker-gpu")) {
            map(at(compose, "services", service, "environment")).keySet()
                    .forEach(v -> variables.put(v, "docker-compose.yml " + service));
        }
        for (String dockerfile : List.of("deploy/Dockerfile", "deploy/Dockerfile.gpu")) {
            DeployFiles.dockerfileEnv(DeployFiles.ROOT.resolve(dockerfile)).keySet()
                    .forEach(v -> variables.put(v, dockerfile));
        }
        assertTrue(variables.size() > 10, "found the variables: " + variables);

        List<String> meaningless = new ArrayList<>();
        variables.forEach((variable, where) -> {
            if (DeployFiles.meaningOf(variable).isEmpty()) {
                meaningless.add(variable + " (" + where + ")");
            }
        });
        assertEquals(List.of(), meaningless, "environment variables that no configuration key, Kafka client setting"
                + " or library reads");

        // The system properties passed in JAVA_TOOL_OPTIONS must be DJL's.
        List<String> javaToolOptions = new ArrayList<>();
        list(container(baseDeployment()).get("env")).stream().filter(e -> "JAVA_TOOL_OPTIONS".equals(text(e, "name")))
                .forEach(e -> javaToolOptions.add(text(e, "value")));
        for (String service : List.of("worker", "worker-gpu")) {
            javaToolOptions.add(text(compose, "services", service, "environment", "JAVA_TOOL_OPTIONS"));
        }
        assertEquals(3, javaToolOptions.stream().filter(o -> o != null && o.contains("num_threads")).count(),
                "JAVA_TOOL_OPTIONS sets libtorch's threads in k8s and both compose workers: " + javaToolOptions);
        for (String options : javaToolOptions) {
            Matcher m = Pattern.compile("-D([^=\\s]+)=").matcher(options);
            while (m.find()) {
                assertTrue(DeployFiles.readers(m.group(1), "ai/djl/pytorch/engine/PtEngine.class"),
                        m.group(1) + " is not read by DJL's PyTorch engine");
            }
        }
        assertTrue(DeployFiles.meaningOf(READINESS_WITHOUT_ASSIGNMENT).isPresent(), "a connector attribute");
        assertTrue(DeployFiles.meaningOf("MP_MESSAGING_INCOMING_GENERATION_REQUESTS_NO_SUCH_ATTRIBUTE").isEmpty());
    }

    @Test
    void gracePeriodsAreLongerThanTheShutdownGrace() {
        long termination = Long.parseLong(text(baseDeployment(), "spec", "template", "spec",
                "terminationGracePeriodSeconds"));
        for (String overlay : List.of("cpu", "gpu")) {
            Duration grace = shutdownGrace(overlayEnvironment(overlay));
            assertTrue(termination > grace.toSeconds(), overlay + ": terminationGracePeriodSeconds " + termination
                    + " must exceed diffusionworker.worker.shutdown-grace " + grace);
        }
        Map<String, Object> compose = DeployFiles.yamlFile(DeployFiles.COMPOSE);
        for (String service : List.of("worker", "worker-gpu")) {
            Map<String, Object> s = map(at(compose, "services", service));
            Map<String, String> env = new LinkedHashMap<>();
            map(s.get("environment")).forEach((k, v) -> env.put(k, String.valueOf(v)));
            Duration stop = DeployFiles.duration(String.valueOf(s.get("stop_grace_period")));
            assertTrue(stop.compareTo(shutdownGrace(env)) > 0, service + ": stop_grace_period " + stop
                    + " must exceed the shutdown grace " + shutdownGrace(env));
        }
    }

    // --- autoscaling ----------------------------------------------------------------------------------------------

    @Test
    void kedaScalesOnTheWorkersGroupAndTopicWithinThePartitions() {
        Map<String, Object> scaled = DeployFiles.yamlFile(K8S.resolve("components/keda/scaledobject.yaml"));
        Map<String, Object> trigger = kafkaTrigger(scaled);
        Map<String, Object> metadata = map(trigger.get("metadata"));
        assertEquals(GROUP, metadata.get("consumerGroup"), "the worker's consumer group (application.properties)");
        assertEquals(REQUESTS, metadata.get("topic"), "topic is set, to the requests topic");
        assertEquals(APP.getProperty("mp.messaging.incoming.generation-requests.auto.offset.reset"),
                metadata.get("offsetResetPolicy"), "KEDA's offset reset policy is the consumer's");
        assertEquals(overlayEnvironment(null).get("KAFKA_BOOTSTRAP_SERVERS"), metadata.get("bootstrapServers"),
                "KEDA reads the same cluster as the worker");
        assertEquals("diffusion-worker", text(scaled, "spec", "scaleTargetRef", "name"));
        int lagThreshold = Integer.parseInt(String.valueOf(metadata.get("lagThreshold")));
        assertTrue(lagThreshold > 0);

        int partitions = requestPartitions();
        int max = Integer.parseInt(text(scaled, "spec", "maxReplicaCount"));
        int min = Integer.parseInt(text(scaled, "spec", "minReplicaCount"));
        assertTrue(max <= partitions, "maxReplicaCount " + max + " > " + partitions + " partitions");
        assertTrue(min >= 1 && min <= max, "minReplicaCount " + min);
        assertNotNull(at(scaled, "spec", "fallback", "replicas"), "fallback");
        assertTrue(Integer.parseInt(text(scaled, "spec", "fallback", "replicas")) <= max);
        int scaleDownWindow = Integer.parseInt(text(scaled, "spec", "advanced", "horizontalPodAutoscalerConfig",
                "behavior", "scaleDown", "stabilizationWindowSeconds"));
        assertTrue(scaleDownWindow >= 300, "slow scale-down: " + scaleDownWindow + " s");

        // The same partition count where compose creates the topics.
        Matcher m = Pattern.compile("--topic " + Pattern.quote(REQUESTS) + " --partitions (\\d+)")
                .matcher(DeployFiles.read(DeployFiles.COMPOSE));
        assertTrue(m.find(), "docker-compose.yml creates " + REQUESTS);
        assertEquals(partitions, Integer.parseInt(m.group(1)), "compose and Strimzi agree on the partitions");

        // The HPA for clusters without KEDA: same group and topic, same bounds.
        Map<String, Object> hpa = DeployFiles.yamlFile(K8S.resolve(
                "components/prometheus-adapter-hpa/horizontalpodautoscaler.yaml"));
        assertTrue(Integer.parseInt(text(hpa, "spec", "maxReplicas")) <= partitions);
        Map<String, Object> labels = map(at(hpa, "spec", "metrics", 0, "external", "metric", "selector", "matchLabels"));
        assertEquals(GROUP, labels.get("consumergroup"));
        assertEquals(REQUESTS, labels.get("topic"));
        assertEquals(String.valueOf(lagThreshold), text(hpa, "spec", "metrics", 0, "external", "target", "averageValue"),
                "the HPA targets the same lag per worker as KEDA");
    }

    // --- images ---------------------------------------------------------------------------------------------------

    @Test
    void everyImageIsPinned() {
        List<String> unpinned = new ArrayList<>();
        Map<String, Object> compose = DeployFiles.yamlFile(DeployFiles.COMPOSE);
        map(compose.get("services")).forEach((name, service) -> {
            String image = text(service, "image");
            if (image == null || !pinned(image)) {
                unpinned.add("docker-compose.yml " + name + ": " + image);
            }
        });
        for (String dockerfile : List.of("deploy/Dockerfile", "deploy/Dockerfile.gpu")) {
            Set<String> stages = new TreeSet<>();
            for (String line : DeployFiles.read(DeployFiles.ROOT.resolve(dockerfile)).split("\n")) {
                Matcher m = Pattern.compile("^FROM\\s+(?:--platform=\\S+\\s+)?(\\S+)(?:\\s+AS\\s+(\\S+))?",
                        Pattern.CASE_INSENSITIVE).matcher(line);
                if (m.find()) {
                    if (!stages.contains(m.group(1)) && !pinned(m.group(1))) {
                        unpinned.add(dockerfile + ": " + m.group(1));
                    }
                    if (m.group(2) != null) {
                        stages.add(m.group(2));
                    }
                }
                Matcher copy = Pattern.compile("--from=(\\S+)").matcher(line);
                if (copy.find() && !stages.contains(copy.group(1)) && !pinned(copy.group(1))) {
                    unpinned.add(dockerfile + ": COPY --from=" + copy.group(1));
                }
            }
        }
        for (String k : List.of("base", "overlays/cpu", "overlays/gpu")) {
            for (Object image : list(DeployFiles.yamlFile(K8S.resolve(k + "/kustomization.yaml")).get("images"))) {
                String tag = text(image, "newTag");
                if (tag == null || tag.isBlank() || "latest".equals(tag)) {
                    unpinned.add("k8s/" + k + ": " + image);
                }
            }
        }
        assertEquals(List.of(), unpinned, "images without a fixed tag (or :latest)");
        String deploymentImage = text(container(baseDeployment()), "image");
        assertTrue(list(DeployFiles.yamlFile(K8S.resolve("base/kustomization.yaml")).get("images")).stream()
                .anyMatch(i -> deploymentImage.equals(text(i, "name"))), "kustomize sets the tag of " + deploymentImage);
    }

    private static boolean pinned(String image) {
        if (image.contains("@sha256:")) {
            return true;
        }
        int slash = image.lastIndexOf('/');
        int colon = image.lastIndexOf(':');
        return colon > slash && !image.substring(colon + 1).isBlank() && !image.endsWith(":latest");
    }

    // --- Kafka: Strimzi topics and users ----------------------------------------------------------------------

    @Test
    void strimziTopicsAndUsersMatchTheApplication() {
        List<Map<String, Object>> topics = DeployFiles.yamlDocuments(K8S.resolve("components/strimzi/kafkatopics.yaml"));
        List<Map<String, Object>> users = DeployFiles.yamlDocuments(K8S.resolve("components/strimzi/kafkausers.yaml"));
        for (Map<String, Object> o : concat(topics, users)) {
            assertEquals("kafka.strimzi.io/v1", o.get("apiVersion"), text(o, "metadata", "name"));
        }
        assertEquals(Set.of(REQUESTS, EVENTS, DEAD_LETTERS, CONTROL),
                new TreeSet<>(topics.stream().map(t -> text(t, "metadata", "name")).toList()));
        for (String topic : List.of(REQUESTS, EVENTS, DEAD_LETTERS, CONTROL)) {
            assertTrue(DeployFiles.read(DeployFiles.COMPOSE).contains("--topic " + topic + " "),
                    "docker-compose.yml creates " + topic);
        }

        Map<String, Set<String>> worker = acls(users, "diffusion-worker");
        assertTrue(worker.get("topic:" + REQUESTS).contains("Read"), "worker reads requests: " + worker);
        assertTrue(worker.get("group:" + GROUP).contains("Read"), "worker commits as its group: " + worker);
        assertTrue(worker.get("topic:" + EVENTS).contains("Write"), "worker writes events: " + worker);
        assertTrue(worker.get("topic:" + DEAD_LETTERS).contains("Write"), "worker writes dead letters: " + worker);
        assertFalse(worker.getOrDefault("topic:" + REQUESTS, Set.of()).contains("Write"), "least privilege");
        assertTrue(worker.get("topic:" + CONTROL).contains("Read"), "worker reads cancels: " + worker);
        assertFalse(worker.get("topic:" + CONTROL).contains("Write"), "least privilege: " + worker);
        // Terminal events go out in transactions under transactional ids "<prefix>-<random>".
        String prefix = DeployFiles.read(DeployFiles.APPLICATION_PROPERTIES).lines()
                .filter(l -> l.startsWith("diffusionworker.kafka.transactional-id-prefix=")).findFirst()
                .orElseThrow().split("=", 2)[1];
        assertTrue(worker.getOrDefault("transactionalId:" + prefix + "-", Set.of()).contains("Write"),
                "worker writes transactions as " + prefix + "-*: " + worker);
        assertTrue(worker.getOrDefault("cluster:", Set.of()).contains("IdempotentWrite"), worker.toString());

        Map<String, Set<String>> producer = acls(users, "diffusion-producer");
        assertTrue(producer.get("topic:" + REQUESTS).contains("Write"), "producers write requests: " + producer);
        assertTrue(producer.get("topic:" + EVENTS).contains("Read"), "producers read events: " + producer);
        assertTrue(producer.get("topic:" + CONTROL).contains("Write"), "producers send cancels: " + producer);
    }

    private static Map<String, Set<String>> acls(List<Map<String, Object>> users, String name) {
        Map<String, Object> user = users.stream().filter(u -> name.equals(text(u, "metadata", "name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no KafkaUser " + name));
        Map<String, Set<String>> acls = new LinkedHashMap<>();
        for (Object acl : list(at(user, "spec", "authorization", "acls"))) {
            assertTrue(map(acl).containsKey("operations") && !map(acl).containsKey("operation"),
                    "v1 uses operations: " + acl);
            // A cluster resource has no name.
            Object resourceName = map(map(acl).get("resource")).getOrDefault("name", "");
            acls.computeIfAbsent(text(acl, "resource", "type") + ":" + resourceName, k -> new TreeSet<>())
                    .addAll(list(map(acl).get("operations")).stream().map(Object::toString).toList());
        }
        return acls;
    }

    private static List<Map<String, Object>> concat(List<Map<String, Object>> a, List<Map<String, Object>> b) {
        List<Map<String, Object>> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    // --- monitoring -------------------------------------------------------------------------------------------------

    @Test
    void prometheusRuleHoldsTheSameRulesAsTheRulesFile() {
        Map<String, Object> rule = DeployFiles.yamlFile(K8S.resolve("components/monitoring/prometheusrule.yaml"));
        assertEquals(DeployFiles.yamlFile(DeployFiles.ALERT_RULES).get("groups"), at(rule, "spec", "groups"),
                "k8s/components/monitoring/prometheusrule.yaml and deploy/monitoring/prometheus/rules differ");
    }

    @Test
    void dashboardIsProvisionedAsItIs() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(DeployFiles.DASHBOARD.toFile());
        assertTrue(dashboard.path("__inputs").isMissingNode(), "no __inputs: the file is provisioned, not imported");
        assertFalse(DeployFiles.read(DeployFiles.DASHBOARD).contains("${DS_"), "no datasource placeholders");
        Map<String, Object> datasources = DeployFiles.yamlFile(DeployFiles.ROOT.resolve(
                "deploy/monitoring/grafana/provisioning/datasources/prometheus.yml"));
        String uid = text(datasources, "datasources", 0, "uid");
        Set<Integer> ids = new TreeSet<>();
        List<String> titles = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            assertTrue(ids.add(panel.path("id").asInt()), "panel ids are unique");
            titles.add(panel.path("title").asText());
            if (panel.path("type").asText().equals("row")) {
                continue;
            }
            assertEquals(uid, panel.path("datasource").path("uid").asText(), panel.path("title").asText());
            for (JsonNode target : panel.path("targets")) {
                assertEquals(uid, target.path("datasource").path("uid").asText(), panel.path("title").asText());
                assertFalse(target.path("expr").asText().isBlank());
            }
        }
        for (String wanted : List.of("Consumer lag per partition (kafka-exporter)", "Consumer lag, total",
                "Requests/s by outcome and code", "Images/s per worker", "Batch size", "Queue delay",
                "End-to-end latency", "Upload latency", "Images in the worker", "Ready workers")) {
            assertTrue(titles.contains(wanted), "panel '" + wanted + "' in " + titles);
        }
        // The compose mounts match the provisioning files' paths.
        Map<String, Object> provider = DeployFiles.yamlFile(DeployFiles.ROOT.resolve(
                "deploy/monitoring/grafana/provisioning/dashboards/diffusion-worker.yml"));
        String path = text(provider, "providers", 0, "options", "path");
        Map<String, Object> compose = DeployFiles.yamlFile(DeployFiles.COMPOSE);
        assertTrue(list(at(compose, "services", "grafana", "volumes")).contains(
                "./deploy/monitoring/grafana/dashboards:" + path + ":ro"), "grafana mounts the dashboards at " + path);
    }

    @Test
    void metricsNotFromTheWorkerAreKafkaExportersOrPrometheusOwn() {
        Set<String> exporter = new java.util.HashSet<>(DeployFiles.kafkaExporterMetrics());
        exporter.addAll(DeployFiles.kubeStateMetrics());
        List<String> unknown = new ArrayList<>();
        DeployFiles.allQueries().forEach((where, expr) -> {
            Set<String> names = DeployFiles.metricNames(expr);
            assertFalse(names.isEmpty(), where + " selects no metric: " + expr);
            for (String name : names) {
                boolean worker = name.startsWith("diffusion_") || name.startsWith("kafka_consumer_")
                        || name.startsWith("kafka_producer_");
                if (!worker && !exporter.contains(name) && !DeployFiles.PROMETHEUS_SYNTHETIC.contains(name)) {
                    unknown.add(where + ": " + name);
                }
            }
        });
        assertEquals(List.of(), unknown,
                "metric names that neither the worker, kafka-exporter, kube-state-metrics nor Prometheus make");
    }

    @Test
    void metricNamesAreReadFromPromql() {
        assertEquals(Set.of("diffusion_batch_images_bucket"), DeployFiles.metricNames(
                "histogram_quantile(0.95, sum by (le) (rate(diffusion_batch_images_bucket{job=\"x\"}[$__rate_interval])))"));
        assertEquals(Set.of("kafka_consumergroup_lag", "diffusion_requests_total"), new TreeSet<>(DeployFiles.metricNames(
                "sum(kafka_consumergroup_lag{topic=\"a\"}) > 0 and on() (sum(increase(diffusion_requests_total[10m]))"
                        + " or on() vector(0)) == 0")));
        assertEquals(Set.of("up"), DeployFiles.metricNames("up{job=\"diffusion-worker\"} == 0"));
        assertEquals(Set.of("x"), DeployFiles.metricNames("deriv(sum(x)[10m:1m]) > 1e3 offset 5m"));
    }

    // --- the tools' own checks, where the tools are installed -----------------------------------------------

    @Test
    void promtoolAcceptsTheConfigAndTheRulesAndTheirUnitTestsPass() {
        assumeTrue(DeployFiles.installed("promtool"),
                "promtool is not installed (Debian: apt-get install -y prometheus): Prometheus checks skipped");
        for (List<String> command : List.of(
                List.of("promtool", "check", "config", DeployFiles.PROMETHEUS_CONFIG.toString()),
                List.of("promtool", "check", "rules", DeployFiles.ALERT_RULES.toString()),
                List.of("promtool", "test", "rules", DeployFiles.ALERT_TESTS.toString()))) {
            DeployFiles.Result r = DeployFiles.run(DeployFiles.ROOT, command);
            assertNotNull(r, command.toString());
            assertEquals(0, r.exitCode(), String.join(" ", command) + "\n" + r.output());
        }
    }

    @Test
    void dockerComposeAcceptsTheFile() {
        assumeTrue(DeployFiles.installed("docker-compose"),
                "docker-compose is not installed (Debian: apt-get install -y docker-compose): compose check skipped");
        ProcessBuilder pb = new ProcessBuilder("docker-compose", "-f", "docker-compose.yml", "config", "-q")
                .directory(DeployFiles.ROOT.toFile()).redirectErrorStream(true);
        // Placeholders for the secrets compose requires from .env; nothing runs.
        pb.environment().putAll(Map.of("MINIO_ROOT_USER", "check-only", "MINIO_ROOT_PASSWORD", "check-only",
                "GRAFANA_ADMIN_PASSWORD", "check-only", "COMPOSE_PROFILES", "monitoring,gpu"));
        try {
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.waitFor(), "docker-compose config -q\n" + out);
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    void renderedOverlaysPassTheSameChecks() {
        assumeTrue(DeployFiles.installed("kubectl"),
                "kubectl is not installed: the rendered overlays are not checked (the source files are, above)");
        Map<String, List<Map<String, Object>>> rendered = new LinkedHashMap<>();
        for (String k : List.of("k8s/overlays/cpu", "k8s/overlays/gpu", "k8s/overlays/kafka-strimzi",
                "src/test/resources/deploy/kustomize/cpu-secured", "src/test/resources/deploy/kustomize/cpu-hpa")) {
            DeployFiles.Result r = DeployFiles.run(DeployFiles.ROOT, List.of("kubectl", "kustomize", k));
            assertNotNull(r);
            assertEquals(0, r.exitCode(), "kubectl kustomize " + k + "\n" + r.output());
            rendered.put(k, DeployFiles.yamlDocuments(r.output()));
        }
        for (String k : List.of("k8s/overlays/cpu", "k8s/overlays/gpu", "src/test/resources/deploy/kustomize/cpu-secured",
                "src/test/resources/deploy/kustomize/cpu-hpa")) {
            List<Map<String, Object>> objects = rendered.get(k);
            Map<String, Object> deployment = theWorkers(objects, "Deployment");
            Map<String, Object> c = container(deployment);
            Map<String, Object> configMap = workerConfig(objects);
            Map<String, String> env = new LinkedHashMap<>();
            map(configMap.get("data")).forEach((key, value) -> env.put(key, String.valueOf(value)));
            assertTrue(list(at(c, "envFrom")).stream().anyMatch(e -> text(configMap, "metadata", "name")
                    .equals(text(e, "configMapRef", "name"))), k + ": the container reads the generated ConfigMap");
            for (String variable : env.keySet()) {
                assertTrue(DeployFiles.meaningOf(variable).isPresent(), k + ": " + variable);
            }
            for (Object e : list(c.get("env"))) {
                assertTrue(DeployFiles.meaningOf(text(e, "name")).isPresent(), k + ": " + text(e, "name"));
            }
            long termination = Long.parseLong(text(deployment, "spec", "template", "spec",
                    "terminationGracePeriodSeconds"));
            assertTrue(termination > shutdownGrace(env).toSeconds(), k + ": grace " + termination);
            for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
                assertTrue(PROBE_PATHS.contains(text(c, probe, "httpGet", "path")), k + " " + probe);
            }
            assertTrue(pinned(text(c, "image")), k + ": " + text(c, "image"));
            for (Map<String, Object> scaled : ofKind(objects, "ScaledObject")) {
                assertEquals(GROUP, text(kafkaTrigger(scaled), "metadata", "consumerGroup"));
                assertEquals(REQUESTS, text(kafkaTrigger(scaled), "metadata", "topic"));
                assertTrue(Integer.parseInt(text(scaled, "spec", "maxReplicaCount")) <= requestPartitions());
                assertEquals(text(deployment, "metadata", "name"), text(scaled, "spec", "scaleTargetRef", "name"));
            }
            Map<String, Object> service = theWorkers(objects, "Service");
            Map<String, Object> selector = map(at(service, "spec", "selector"));
            Map<String, Object> podLabels = map(at(deployment, "spec", "template", "metadata", "labels"));
            selector.forEach((key, value) -> assertEquals(value, podLabels.get(key), k + ": Service selects the pods"));
        }
        Map<String, Object> gpu = theWorkers(rendered.get("k8s/overlays/gpu"), "Deployment");
        Map<String, Object> gpuContainer = container(gpu);
        assertEquals("1", text(gpuContainer, "resources", "limits", "nvidia.com/gpu"));
        assertTrue(list(at(gpu, "spec", "template", "spec", "tolerations")).stream()
                .anyMatch(t -> "nvidia.com/gpu".equals(text(t, "key"))), "GPU toleration");
        // The nvidia.com/gpu limit places the pod; a label only GPU Feature Discovery sets would leave it Pending.
        assertEquals(Map.of("kubernetes.io/arch", "amd64"), at(gpu, "spec", "template", "spec", "nodeSelector"),
                "GPU node selector: the architecture only");
        Map<String, Object> gpuConfig = map(workerConfig(rendered.get("k8s/overlays/gpu")).get("data"));
        assertEquals("gpu", gpuConfig.get("DIFFUSIONWORKER_MODEL_DEVICE"));
        assertEquals("1", String.valueOf(gpuConfig.get("DIFFUSIONWORKER_WORKER_REPLICAS")), "one model replica per GPU");
        assertTrue(text(gpuContainer, "image").endsWith("-cu128"), "the GPU image: " + text(gpuContainer, "image"));
        Map<String, Object> cpuConfig = map(workerConfig(rendered.get("k8s/overlays/cpu")).get("data"));
        assertEquals("cpu", cpuConfig.get("DIFFUSIONWORKER_MODEL_DEVICE"));
        // Monitoring brings the trace backend, and the workers export to its Service.
        for (String k : List.of("k8s/overlays/cpu", "k8s/overlays/gpu")) {
            Map<String, Object> config = map(workerConfig(rendered.get(k)).get("data"));
            assertEquals("otlp", config.get("DIFFUSIONWORKER_TRACING_EXPORTER"), k);
            URI endpoint = URI.create(String.valueOf(config.get("QUARKUS_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")));
            assertTrue(ofKind(rendered.get(k), "Service").stream().anyMatch(s -> endpoint.getHost().equals(
                    text(s, "metadata", "name")) && list(at(s, "spec", "ports")).stream()
                    .anyMatch(port -> String.valueOf(endpoint.getPort()).equals(text(port, "port")))),
                    k + ": a Service answers " + endpoint);
        }
        List<Map<String, Object>> strimzi = rendered.get("k8s/overlays/kafka-strimzi");
        assertEquals(4, ofKind(strimzi, "KafkaTopic").size());
        assertEquals(2, ofKind(strimzi, "KafkaUser").size());
        strimzi.forEach(o -> assertEquals("my-cluster", text(o, "metadata", "labels", "strimzi.io/cluster")));
    }

    /** The worker's generated ConfigMap (the dashboard's ConfigMap may sit beside it). */
    private static Map<String, Object> workerConfig(List<Map<String, Object>> objects) {
        List<Map<String, Object>> found = ofKind(objects, "ConfigMap").stream()
                .filter(c -> text(c, "metadata", "name").startsWith("diffusion-worker-config")).toList();
        assertEquals(1, found.size(), "one worker ConfigMap");
        return found.get(0);
    }

    /** The rendered overlays (kubectl kustomize), or a skipped test where kubectl is missing. */
    private static Map<String, List<Map<String, Object>>> renderOverlays() {
        assumeTrue(DeployFiles.installed("kubectl"), "kubectl is not installed: rendered overlays not checked");
        Map<String, List<Map<String, Object>>> rendered = new LinkedHashMap<>();
        for (String k : List.of("k8s/overlays/cpu", "k8s/overlays/gpu", "src/test/resources/deploy/kustomize/cpu-secured",
                "src/test/resources/deploy/kustomize/cpu-hpa")) {
            DeployFiles.Result r = DeployFiles.run(DeployFiles.ROOT, List.of("kubectl", "kustomize", k));
            assertNotNull(r);
            assertEquals(0, r.exitCode(), "kubectl kustomize " + k + "\n" + r.output());
            rendered.put(k, DeployFiles.yamlDocuments(r.output()));
        }
        return rendered;
    }

    /** The one object of {@code kind} that belongs to the worker (the monitoring component adds a Jaeger beside it). */
    private static Map<String, Object> theWorkers(List<Map<String, Object>> objects, String kind) {
        List<Map<String, Object>> workers = ofKind(objects, kind).stream()
                .filter(o -> "diffusion-worker".equals(text(o, "metadata", "labels", "app.kubernetes.io/name")))
                .toList();
        assertEquals(1, workers.size(), "one " + kind + " of the worker");
        return workers.get(0);
    }

    @Test
    void tracesGoNowhereByDefaultAndToTheJaegerOfTheMonitoringProfile() {
        Map<String, Object> compose = DeployFiles.yamlFile(DeployFiles.COMPOSE);
        Map<String, Object> jaeger = map(at(compose, "services", "jaeger"));
        assertEquals(List.of("monitoring"), list(jaeger.get("profiles")));
        assertTrue(pinned(text(jaeger, "image")), text(jaeger, "image"));
        for (String service : List.of("worker", "worker-gpu")) {
            Map<String, Object> env = map(at(compose, "services", service, "environment"));
            assertEquals("${DIFFUSION_TRACING_EXPORTER:-none}", env.get("DIFFUSIONWORKER_TRACING_EXPORTER"), service);
            assertEquals("jaeger", URI.create(String.valueOf(env.get("QUARKUS_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")))
                    .getHost(), service);
        }
        assertEquals("none", DeployFiles.applicationProperties().getProperty("diffusionworker.tracing.exporter"));
        Map<String, Object> jaegerDeployment = DeployFiles.yamlDocuments(DeployFiles.read(
                K8S.resolve("components/monitoring/jaeger.yaml"))).get(0);
        assertTrue(pinned(text(container(jaegerDeployment), "image")));
    }

    // --- issue 27: what a platform team checks -------------------------------------------------------------------

    @Test
    void rolloutsDoNotWaitForAPartition() {
        // A surge pod at the partition count gets no partition: it must become ready anyway, or not surge at all.
        Map<String, List<Map<String, Object>>> rendered = renderOverlays();
        rendered.forEach((k, objects) -> {
            Map<String, Object> deployment = theWorkers(objects, "Deployment");
            int surge = Integer.parseInt(text(deployment, "spec", "strategy", "rollingUpdate", "maxSurge"));
            String decoupled = String.valueOf(map(workerConfig(objects).get("data")).get(READINESS_WITHOUT_ASSIGNMENT));
            assertTrue(surge == 0 || "true".equals(decoupled), k + ": maxSurge " + surge
                    + " with readiness waiting for a partition stalls at the partition count");
            assertEquals("1", text(onlyOfKind(objects, "PodDisruptionBudget"), "spec", "maxUnavailable"), k);
        });
        Map<String, Object> gpu = theWorkers(rendered.get("k8s/overlays/gpu"), "Deployment");
        assertEquals("0", text(gpu, "spec", "strategy", "rollingUpdate", "maxSurge"), "a surge pod needs a spare GPU");
        assertEquals("1", text(container(gpu), "resources", "limits", "nvidia.com/gpu"));
        Map<String, Object> compose = DeployFiles.yamlFile(DeployFiles.COMPOSE);
        for (String service : List.of("worker", "worker-gpu")) {
            assertEquals("true", text(compose, "services", service, "environment", READINESS_WITHOUT_ASSIGNMENT),
                    service);
        }
        // The application's own default still waits for an assignment (the local run and the tests keep it).
        assertEquals("true", APP.getProperty(
                "mp.messaging.incoming.generation-requests.health-topic-verification-enabled"));
    }

    @Test
    void gpuOverlayScalesOnItsOwnFigures() {
        Map<String, List<Map<String, Object>>> rendered = renderOverlays();
        Map<String, Object> cpu = onlyOfKind(rendered.get("k8s/overlays/cpu"), "ScaledObject");
        Map<String, Object> gpu = onlyOfKind(rendered.get("k8s/overlays/gpu"), "ScaledObject");
        int cpuThreshold = Integer.parseInt(text(kafkaTrigger(cpu), "metadata", "lagThreshold"));
        int gpuThreshold = Integer.parseInt(text(kafkaTrigger(gpu), "metadata", "lagThreshold"));
        assertTrue(gpuThreshold > cpuThreshold, "a GPU worker drains faster: " + gpuThreshold + " vs " + cpuThreshold);
        assertEquals("1", text(cpu, "spec", "minReplicaCount"), "CPU: never to zero");
        assertEquals("0", text(gpu, "spec", "minReplicaCount"), "GPU: scales to zero when idle");
        String readme = DeployFiles.read(K8S.resolve("README.md"));
        assertTrue(readme.contains("lagThreshold: \"" + gpuThreshold + "\"") || readme.contains("**" + gpuThreshold
                + "**"), "k8s/README.md derives the GPU threshold " + gpuThreshold);
    }

    @Test
    void imagesAreLinuxAmd64Everywhere() {
        for (String dockerfile : List.of("deploy/Dockerfile", "deploy/Dockerfile.gpu")) {
            List<String> froms = DeployFiles.read(DeployFiles.ROOT.resolve(dockerfile)).lines()
                    .filter(l -> l.startsWith("FROM ")).toList();
            assertTrue(froms.get(froms.size() - 1).startsWith("FROM --platform=linux/amd64 "),
                    dockerfile + ": the runtime stage is linux/amd64: " + froms);
            froms.forEach(f -> assertTrue(f.startsWith("FROM --platform="), dockerfile + ": " + f));
        }
        Map<String, Object> compose = DeployFiles.yamlFile(DeployFiles.COMPOSE);
        for (String service : List.of("worker", "worker-gpu")) {
            assertEquals("linux/amd64", text(compose, "services", service, "platform"), service);
        }
        assertEquals(Map.of("kubernetes.io/arch", "amd64"),
                at(baseDeployment(), "spec", "template", "spec", "nodeSelector"));
        // The root .dockerignore (builders without BuildKit) keeps the same context as the CPU image's own file.
        assertEquals(ignorePatterns("deploy/Dockerfile.dockerignore"), ignorePatterns(".dockerignore"));
    }

    private static List<String> ignorePatterns(String file) {
        return DeployFiles.read(DeployFiles.ROOT.resolve(file)).lines().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }

    @Test
    void threadsFollowTheContainersCpus() {
        Map<String, Object> c = container(baseDeployment());
        Map<String, Object> env = new LinkedHashMap<>();
        list(c.get("env")).forEach(e -> env.put(text(e, "name"), e));
        assertEquals("requests.cpu", text(env.get("WORKER_CPUS"), "valueFrom", "resourceFieldRef", "resource"));
        assertEquals(text(c, "name"), text(env.get("WORKER_CPUS"), "valueFrom", "resourceFieldRef", "containerName"));
        String options = text(env.get("JAVA_TOOL_OPTIONS"), "value");
        assertTrue(options.contains("-XX:ActiveProcessorCount=$(WORKER_CPUS)")
                && options.contains("-Dai.djl.pytorch.num_threads=$(WORKER_CPUS)"), options);
        assertEquals("$(WORKER_CPUS)", text(env.get("OMP_NUM_THREADS"), "value"));
        // Kubernetes expands $(VAR) only from variables defined earlier in the list.
        List<String> order = new ArrayList<>(env.keySet());
        assertTrue(order.indexOf("WORKER_CPUS") < order.indexOf("JAVA_TOOL_OPTIONS"), order.toString());

        // Compose: a CPU limit per worker, and the same number in the JVM's and libtorch's settings.
        Map<String, Object> compose = DeployFiles.yamlFile(DeployFiles.COMPOSE);
        for (String service : List.of("worker", "worker-gpu")) {
            String cpus = String.valueOf(at(compose, "services", service, "cpus")).replace("${WORKER_CPUS:-2}", "2");
            String java = text(compose, "services", service, "environment", "JAVA_TOOL_OPTIONS")
                    .replace("${WORKER_CPUS:-2}", "2");
            String omp = text(compose, "services", service, "environment", "OMP_NUM_THREADS")
                    .replace("${WORKER_CPUS:-2}", "2");
            int n = (int) Double.parseDouble(cpus);
            assertTrue(java.contains("-XX:ActiveProcessorCount=" + n) && java.contains("num_threads=" + n)
                    && omp.equals(String.valueOf(n)), service + ": cpus " + cpus + ", " + java + ", OMP " + omp);
        }
    }

    @Test
    void alertsWaitLongerThanAStartOrADrainAndTheProbesAllowAStart() {
        Duration warmUp = DeployFiles.duration(
                DeployFiles.workerConfigKeys().get("diffusionworker.worker.warm-up-timeout"));
        Duration grace = shutdownGrace(overlayEnvironment("cpu"));
        for (Object group : list(DeployFiles.yamlFile(DeployFiles.ALERT_RULES).get("groups"))) {
            for (Object rule : list(map(group).get("rules"))) {
                String alert = text(rule, "alert");
                if (alert.equals("DiffusionWorkerNotReady") || alert.equals("DiffusionWorkerDown")) {
                    Duration wait = DeployFiles.duration(text(rule, "for"));
                    assertTrue(wait.compareTo(warmUp.plus(JVM_START_AND_MODEL_LOAD)) > 0 && wait.compareTo(grace) > 0,
                            alert + " for " + wait + " must exceed a start (" + warmUp + " + "
                                    + JVM_START_AND_MODEL_LOAD + ") and a drain (" + grace + ")");
                }
            }
        }
        Map<String, Object> gpuPatch = DeployFiles.yamlFile(K8S.resolve("overlays/gpu/deployment-gpu.yaml"));
        long gpuStartup = 5L * Long.parseLong(text(gpuPatch, "spec", "template", "spec", "containers", 0,
                "startupProbe", "failureThreshold"));
        assertTrue(gpuStartup >= warmUp.plus(JVM_START_AND_MODEL_LOAD).toSeconds(), "GPU startup " + gpuStartup);
    }

    @Test
    void everyAlertHasARunbookInTheRepository() {
        Path runbooks = DeployFiles.ROOT.resolve("docs/runbooks/diffusion-worker-alerts.md");
        Set<String> anchors = new TreeSet<>();
        DeployFiles.read(runbooks).lines().filter(l -> l.startsWith("## "))
                .forEach(l -> anchors.add(l.substring(3).strip().toLowerCase(java.util.Locale.ROOT)));
        List<String> missing = new ArrayList<>();
        for (Object group : list(DeployFiles.yamlFile(DeployFiles.ALERT_RULES).get("groups"))) {
            for (Object rule : list(map(group).get("rules"))) {
                String alert = text(rule, "alert");
                String anchor = alert.toLowerCase(java.util.Locale.ROOT);
                String url = text(rule, "annotations", "runbook_url");
                if (!(DeployFiles.ROOT.relativize(runbooks) + "#" + anchor).equals(url) || !anchors.contains(anchor)) {
                    missing.add(alert + " -> " + url);
                }
            }
        }
        assertEquals(List.of(), missing, "alerts without a runbook section in " + runbooks);
        assertTrue(anchors.size() >= 11, anchors.toString());
    }

    @Test
    void networkPolicyLetsThroughWhatTheWorkerUsesAndNothingElse() {
        Map<String, List<Map<String, Object>>> rendered = renderOverlays();
        for (String k : List.of("k8s/overlays/cpu", "k8s/overlays/gpu")) {
            List<Map<String, Object>> objects = rendered.get(k);
            Map<String, Object> policy = onlyOfKind(objects, "NetworkPolicy");
            Map<String, Object> pods = map(at(theWorkers(objects, "Deployment"), "spec", "template", "metadata",
                    "labels"));
            map(at(policy, "spec", "podSelector", "matchLabels")).forEach((key, value) ->
                    assertEquals(value, pods.get(key), k + ": the policy selects the workers"));
            assertEquals(List.of("Ingress", "Egress"), list(at(policy, "spec", "policyTypes")));
            // Ingress: the metrics port only, from the monitoring namespace.
            List<Object> ingress = list(at(policy, "spec", "ingress"));
            assertEquals(1, ingress.size());
            assertEquals("http", text(ingress.get(0), "ports", 0, "port"));
            // Egress: where worker.env points (service.namespace.svc:port), DNS, the trace endpoint.
            Map<String, Object> env = map(workerConfig(objects).get("data"));
            Map<String, Set<String>> allowed = new LinkedHashMap<>();
            for (Object rule : list(at(policy, "spec", "egress"))) {
                String ns = text(rule, "to", 0, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name");
                String pod = text(rule, "to", 0, "podSelector", "matchLabels", "app.kubernetes.io/name");
                String target = ns != null ? "namespace " + ns : "pod " + pod;
                for (Object port : list(map(rule).get("ports"))) {
                    allowed.computeIfAbsent(target, x -> new TreeSet<>()).add(text(port, "port"));
                }
            }
            URI kafka = URI.create("kafka://" + env.get("KAFKA_BOOTSTRAP_SERVERS"));
            URI s3 = URI.create(String.valueOf(env.get("DIFFUSIONWORKER_STORAGE_ENDPOINT")));
            URI otlp = URI.create(String.valueOf(env.get("QUARKUS_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")));
            assertTrue(allowed.getOrDefault("namespace " + kafka.getHost().split("\\.")[1], Set.of())
                    .containsAll(Set.of(String.valueOf(kafka.getPort()), "9093")), k + " Kafka: " + allowed);
            assertTrue(allowed.getOrDefault("namespace " + s3.getHost().split("\\.")[1], Set.of())
                    .contains(String.valueOf(s3.getPort())), k + " S3: " + allowed);
            assertTrue(allowed.getOrDefault("pod " + otlp.getHost(), Set.of()).contains(String.valueOf(otlp.getPort())),
                    k + " OTLP: " + allowed);
            assertEquals(Set.of("53"), allowed.get("namespace kube-system"), k + " DNS");
            assertEquals(4, allowed.size(), k + ": nothing else: " + allowed);
        }
    }

    @Test
    void dashboardShipsAsASidecarConfigMapFromItsOneCopy() throws IOException {
        Map<String, List<Map<String, Object>>> rendered = renderOverlays();
        for (String k : List.of("k8s/overlays/cpu", "k8s/overlays/gpu")) {
            List<Map<String, Object>> dashboards = ofKind(rendered.get(k), "ConfigMap").stream()
                    .filter(c -> "1".equals(text(c, "metadata", "labels", "grafana_dashboard"))).toList();
            assertEquals(1, dashboards.size(), k);
            assertEquals(DeployFiles.read(DeployFiles.DASHBOARD),
                    text(dashboards.get(0), "data", "diffusion-worker.json"), k + ": the ConfigMap holds the file as is");
        }
        JsonNode dashboard = new ObjectMapper().readTree(DeployFiles.DASHBOARD.toFile());
        Set<String> variables = new TreeSet<>();
        dashboard.path("templating").path("list").forEach(v -> variables.add(v.path("name").asText()));
        assertEquals(Set.of("cluster", "namespace"), variables);
        DeployFiles.dashboardQueries().forEach((where, expr) -> {
            if (expr.contains("job=\"diffusion-worker\"")) {
                assertTrue(expr.contains("cluster=~\"$cluster\", namespace=~\"$namespace\""), where + ": " + expr);
            }
        });
    }

    @Test
    void monitoringProfileDoesNotWaitForKafkaExporter() {
        Map<String, Object> services = map(DeployFiles.yamlFile(DeployFiles.COMPOSE).get("services"));
        services.forEach((name, service) -> {
            Object dependsOn = map(service).get("depends_on");
            if (dependsOn instanceof Map<?, ?> m) {
                assertFalse(m.containsKey("kafka-exporter"), name + " waits for kafka-exporter");
            } else {
                assertFalse(list(dependsOn).contains("kafka-exporter"), name + " waits for kafka-exporter");
            }
        });
        assertFalse(list(at(services, "prometheus", "depends_on")).contains("kafka-exporter"));
    }

    @Test
    void everyCodeBlockOfProducingMdIsCutFromATestedExample() {
        // The files DeployedWorkerTest runs (the console script with stand-ins for the Kafka scripts).
        Map<String, String> regions = new LinkedHashMap<>();
        for (String example : List.of("console/send-request.sh", "java/GenerationClient.java",
                "python/kafka_python_client.py", "python/confluent_kafka_client.py", "node/kafkajs-client.js")) {
            DeployFiles.snippets(DeployFiles.ROOT.resolve("docs/examples/" + example))
                    .forEach((name, text) -> regions.put(example + " [" + name + "]", text));
        }
        List<String> loose = new ArrayList<>();
        int checked = 0;
        for (Map.Entry<String, String> block : DeployFiles.codeBlocks(DeployFiles.ROOT.resolve("docs/producing.md"))) {
            String lang = block.getKey();
            boolean code = Set.of("java", "python", "js").contains(lang)
                    || ("bash".equals(lang) && block.getValue().contains("kafka-console-"));
            if (!code) {
                continue; // JSON documents and command lines that run the example files
            }
            checked++;
            if (!regions.containsValue(block.getValue())) {
                loose.add(lang + ":\n" + block.getValue());
            }
        }
        assertTrue(checked >= 8, "code blocks found: " + checked);
        assertEquals(List.of(), loose, "code blocks of docs/producing.md that no tested example contains; regions: "
                + regions.keySet());
    }

    @Test
    void gpuImageRegistersCudaWithTheLinkerAndChecksWhatItCanWithoutAGpu() {
        String gpu = DeployFiles.read(DeployFiles.ROOT.resolve("deploy/Dockerfile.gpu"));
        assertEquals("/opt/libtorch", DeployFiles.dockerfileEnv(DeployFiles.ROOT.resolve("deploy/Dockerfile.gpu"))
                .get("PYTORCH_LIBRARY_PATH"));
        // A real folder (DJL's Files.walk does not enter a link), with the link pointing the other way.
        assertTrue(gpu.contains("mv \"$site/torch/lib\" /opt/libtorch") && gpu.contains("test ! -L /opt/libtorch"), gpu);
        assertFalse(Pattern.compile("ln -s .* /opt/libtorch\\s*(\\\\|&&|$)", Pattern.MULTILINE).matcher(gpu).find(),
                "no link at PYTORCH_LIBRARY_PATH");
        // The wheel's CUDA folders in the linker's cache, cudart under the name DJL's JNA asks for, checked.
        for (String step : List.of("\"$site\"/nvidia/*/lib > /etc/ld.so.conf.d/", "/usr/local/lib/libcudart.so",
                "ldconfig -p | grep -q 'libcudart\\.so\\.12 '", "ldconfig -p | grep -q 'libcudart\\.so '",
                "ldd \"$lib\" | grep 'not found'", "2.7.1-cu128-linux-x86_64/*libdjl_torch.so", "--device gpu")) {
            assertTrue(gpu.contains(step), "Dockerfile.gpu: " + step);
        }
        // The build expects the refusal that names a loaded cudart: the worker must word it so.
        Matcher expected = Pattern.compile("grep -F '(libcudart loads \\(CUDA runtime [0-9.]+\\))'").matcher(gpu);
        assertTrue(expected.find(), "the build greps the refusal");
        assertTrue(DeployFiles.readers("libcudart loads (CUDA runtime ", "org/diffusionworker/model/DjlRuntime.class"),
                "DjlRuntime words the refusal as the build expects");
        assertTrue(DeployFiles.readers("not found on the library path (ldconfig -p, LD_LIBRARY_PATH=",
                "org/diffusionworker/model/DjlRuntime.class"));
    }
}
