package org.diffusionworker.testing;

import io.smallrye.config.WithName;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.diffusionworker.app.WorkerConfig;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Reads the deployment files (deploy/, k8s/, docker-compose.yml) and what the application really has (its
 * configuration keys, application.properties, the Kafka client's settings, DJL's environment variables), for the
 * tests of this package. Kept free of Quarkus so that the plain tests run without starting the application.
 */
public final class DeployFiles {

    public static final Path ROOT = locateRoot();
    public static final Path APPLICATION_PROPERTIES = ROOT.resolve("src/main/resources/application.properties");
    public static final Path DASHBOARD = ROOT.resolve("deploy/monitoring/grafana/dashboards/diffusion-worker.json");
    public static final Path ALERT_RULES =
            ROOT.resolve("deploy/monitoring/prometheus/rules/diffusion-worker.rules.yml");
    public static final Path ALERT_TESTS =
            ROOT.resolve("deploy/monitoring/prometheus/tests/diffusion-worker.rules.test.yml");
    public static final Path PROMETHEUS_CONFIG = ROOT.resolve("deploy/monitoring/prometheus/prometheus.yml");
    public static final Path COMPOSE = ROOT.resolve("docker-compose.yml");
    public static final Path K8S = ROOT.resolve("k8s");

    /** Environment variables that are not configuration keys, and who reads them (checked in {@link #readers}). */
    static final Map<String, String> RUNTIME_VARIABLES = Map.of(
            "DJL_CACHE_DIR", "ai/djl/util/Utils.class",
            "ENGINE_CACHE_DIR", "ai/djl/util/Utils.class",
            "PYTORCH_LIBRARY_PATH", "ai/djl/pytorch/jni/LibUtils.class",
            "PYTORCH_VERSION", "ai/djl/pytorch/jni/LibUtils.class",
            "PYTORCH_FLAVOR", "ai/djl/pytorch/jni/LibUtils.class");
    /**
     * Read by the JVM itself (JAVA_TOOL_OPTIONS), the base image's shell (JAVA_HOME, PATH) or the OpenMP runtime
     * inside libtorch (OMP_NUM_THREADS, the size of its thread pool).
     */
    static final Set<String> PLATFORM_VARIABLES = Set.of("JAVA_TOOL_OPTIONS", "JAVA_HOME", "PATH", "OMP_NUM_THREADS");
    /** Set only to be referenced as $(NAME) by the container's other variables (Kubernetes expands those). */
    static final Set<String> KUBERNETES_REFERENCED_VARIABLES = Set.of("WORKER_CPUS");
    /** The environment prefix of the request channel's attributes (mp.messaging.incoming.generation-requests.*). */
    static final String REQUEST_CHANNEL_PREFIX = "MP_MESSAGING_INCOMING_GENERATION_REQUESTS_";

    private DeployFiles() {}

    private static Path locateRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("pom.xml"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("no pom.xml above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    public static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // --- YAML ---------------------------------------------------------------------------------------------------------

    private static Yaml yaml() {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        return new Yaml(options);
    }

    /** One YAML document as maps and lists (merge keys {@code <<} resolved, as docker-compose does). */
    public static Map<String, Object> yamlFile(Path file) {
        return map(yaml().load(read(file)));
    }

    /** Every document of a YAML stream (a kustomize output, a file with {@code ---}). */
    public static List<Map<String, Object>> yamlDocuments(String text) {
        List<Map<String, Object>> documents = new ArrayList<>();
        for (Object document : yaml().loadAll(text)) {
            if (document != null) {
                documents.add(map(document));
            }
        }
        return documents;
    }

    public static List<Map<String, Object>> yamlDocuments(Path file) {
        return yamlDocuments(read(file));
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> map(Object o) {
        if (!(o instanceof Map)) {
            throw new AssertionError("expected a mapping, found " + o);
        }
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    public static List<Object> list(Object o) {
        if (o == null) {
            return List.of();
        }
        if (!(o instanceof List)) {
            throw new AssertionError("expected a list, found " + o);
        }
        return (List<Object>) o;
    }

    /** The value at a path of keys (and list indices as integers), or null. */
    public static Object at(Object root, Object... path) {
        Object o = root;
        for (Object step : path) {
            if (o instanceof Map<?, ?> m) {
                o = m.get(step);
            } else if (o instanceof List<?> l && step instanceof Integer i) {
                o = i < l.size() ? l.get(i) : null;
            } else {
                return null;
            }
        }
        return o;
    }

    public static String text(Object root, Object... path) {
        Object o = at(root, path);
        return o == null ? null : o.toString();
    }

    /** Objects of one kind among documents. */
    public static List<Map<String, Object>> ofKind(List<Map<String, Object>> documents, String kind) {
        return documents.stream().filter(d -> kind.equals(d.get("kind"))).toList();
    }

    public static Map<String, Object> onlyOfKind(List<Map<String, Object>> documents, String kind) {
        List<Map<String, Object>> found = ofKind(documents, kind);
        if (found.size() != 1) {
            throw new AssertionError("expected one " + kind + ", found " + found.size());
        }
        return found.get(0);
    }

    // --- the application's configuration ------------------------------------------------------------------------------

    public static Properties applicationProperties() {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(APPLICATION_PROPERTIES)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    /** Every key of {@link WorkerConfig} with its default ({@code null} when it has none), by reflection. */
    public static Map<String, String> workerConfigKeys() {
        Map<String, String> keys = new LinkedHashMap<>();
        collectKeys(WorkerConfig.class, "diffusionworker", keys);
        return keys;
    }

    private static void collectKeys(Class<?> group, String prefix, Map<String, String> keys) {
        for (Method m : group.getDeclaredMethods()) {
            if (Modifier.isStatic(m.getModifiers()) || m.isDefault() || m.getParameterCount() > 0) {
                continue;
            }
            WithName withName = m.getAnnotation(WithName.class);
            String key = prefix + "." + (withName != null ? withName.value() : kebab(m.getName()));
            Class<?> type = m.getReturnType();
            if (type.isInterface() && type.getEnclosingClass() != null
                    && type.getName().startsWith(WorkerConfig.class.getName())) {
                collectKeys(type, key, keys);
            } else {
                io.smallrye.config.WithDefault d = m.getAnnotation(io.smallrye.config.WithDefault.class);
                keys.put(key, d == null ? null : d.value());
            }
        }
    }

    static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    /** The environment variable SmallRye Config maps to a key: every non-alphanumeric character becomes '_'. */
    static String environmentName(String key) {
        return key.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    /** Every configuration key an environment variable may name: WorkerConfig's and application.properties'. */
    static Map<String, String> configurationKeysByEnvironmentName() {
        Map<String, String> byEnv = new LinkedHashMap<>();
        workerConfigKeys().keySet().forEach(k -> byEnv.put(environmentName(k), k));
        applicationProperties().stringPropertyNames().forEach(k -> byEnv.put(environmentName(k), k));
        return byEnv;
    }

    /** Every setting of Kafka's consumer, producer and admin clients. */
    static Set<String> kafkaClientSettings() {
        Set<String> names = new TreeSet<>(ConsumerConfig.configNames());
        names.addAll(ProducerConfig.configNames());
        names.addAll(AdminClientConfig.configNames());
        return names;
    }

    /**
     * What an environment variable of the worker's container means, or empty when nothing reads it: a configuration
     * key, a Kafka client setting (Quarkus hands every KAFKA_* variable to the clients, '_' read as '.'), or a
     * variable of DJL / the JVM.
     */
    public static Optional<String> meaningOf(String variable) {
        String key = configurationKeysByEnvironmentName().get(variable);
        if (key != null) {
            return Optional.of("configuration key " + key);
        }
        if (variable.startsWith("KAFKA_")) {
            String setting = variable.substring("KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.');
            return kafkaClientSettings().contains(setting) ? Optional.of("Kafka client setting " + setting)
                    : Optional.empty();
        }
        if (variable.startsWith(REQUEST_CHANNEL_PREFIX)) {
            String attribute = variable.substring(REQUEST_CHANNEL_PREFIX.length());
            Optional<String> connector = incomingConnectorAttributes().stream()
                    .filter(a -> environmentName(a).equals(attribute)).findFirst();
            if (connector.isPresent()) {
                return Optional.of("Kafka connector attribute " + connector.get() + " of the request channel");
            }
        }
        if (KUBERNETES_REFERENCED_VARIABLES.contains(variable)) {
            return Optional.of("referenced by the container's other variables");
        }
        if (RUNTIME_VARIABLES.containsKey(variable)) {
            return readers(variable, RUNTIME_VARIABLES.get(variable)) ? Optional.of("read by DJL")
                    : Optional.empty();
        }
        return PLATFORM_VARIABLES.contains(variable) ? Optional.of("read by the JVM or the shell") : Optional.empty();
    }

    /**
     * The attributes SmallRye's Kafka connector accepts on an incoming channel, from its own
     * {@code @ConnectorAttribute} declarations (health-*, commit-strategy, ...; Kafka client settings are separate).
     */
    static Set<String> incomingConnectorAttributes() {
        Set<String> names = new TreeSet<>();
        for (io.smallrye.reactive.messaging.annotations.ConnectorAttribute a
                : io.smallrye.reactive.messaging.kafka.KafkaConnector.class.getAnnotationsByType(
                        io.smallrye.reactive.messaging.annotations.ConnectorAttribute.class)) {
            if (a.direction() != io.smallrye.reactive.messaging.annotations.ConnectorAttribute.Direction.OUTGOING) {
                names.add(a.name());
            }
        }
        return names;
    }

    /**
     * The regions of a file between a {@code [snippet:NAME]} and an {@code [end]} comment line ({@code //} or
     * {@code #}), by name, with their common indentation removed.
     */
    public static Map<String, String> snippets(Path file) {
        Map<String, String> regions = new LinkedHashMap<>();
        Pattern start = Pattern.compile("^\\s*(?://|#) \\[snippet:([a-z0-9-]+)]\\s*$");
        Pattern end = Pattern.compile("^\\s*(?://|#) \\[end]\\s*$");
        String name = null;
        List<String> lines = new ArrayList<>();
        for (String line : read(file).split("\n", -1)) {
            Matcher m = start.matcher(line);
            if (m.matches()) {
                name = m.group(1);
                lines = new ArrayList<>();
            } else if (name != null && end.matcher(line).matches()) {
                regions.put(name, dedent(lines));
                name = null;
            } else if (name != null) {
                lines.add(line);
            }
        }
        return regions;
    }

    /** Lines joined with their common leading spaces removed and trailing spaces dropped. */
    static String dedent(List<String> lines) {
        int indent = lines.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length())
                .min().orElse(0);
        List<String> out = new ArrayList<>();
        for (String l : lines) {
            out.add(l.isBlank() ? "" : l.substring(indent).stripTrailing());
        }
        return String.join("\n", out).strip();
    }

    /** The fenced code blocks of a Markdown file: language and text. */
    public static List<Map.Entry<String, String>> codeBlocks(Path markdown) {
        List<Map.Entry<String, String>> blocks = new ArrayList<>();
        Matcher m = Pattern.compile("(?ms)^```([a-z]*)\\n(.*?)^```\\s*$").matcher(read(markdown));
        while (m.find()) {
            blocks.add(Map.entry(m.group(1), dedent(List.of(m.group(2).split("\n", -1)))));
        }
        return blocks;
    }

    /** Whether the compiled class on the class path contains the string (a constant it reads). */
    public static boolean readers(String constant, String classResource) {
        try (InputStream in = DeployFiles.class.getClassLoader().getResourceAsStream(classResource)) {
            if (in == null) {
                return false;
            }
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1).contains(constant);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** KEY=VALUE lines (kustomize's envs files), comments and blank lines skipped. */
    public static Map<String, String> envFile(Path file) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : read(file).split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int eq = l.indexOf('=');
            env.put(l.substring(0, eq), l.substring(eq + 1));
        }
        return env;
    }

    /** The ENV variables a Dockerfile sets (both {@code ENV A=1 B=2} and continuation lines). */
    public static Map<String, String> dockerfileEnv(Path dockerfile) {
        Map<String, String> env = new LinkedHashMap<>();
        String joined = read(dockerfile).replace("\\\n", " ");
        for (String line : joined.split("\n")) {
            String l = line.strip();
            if (!l.startsWith("ENV ")) {
                continue;
            }
            Matcher m = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|\\S+)").matcher(l.substring(4));
            while (m.find()) {
                env.put(m.group(1), m.group(2));
            }
        }
        return env;
    }

    /** Durations as Quarkus and docker-compose write them: 30s, 3m, 1m30s, 250ms, 2h, or ISO-8601 (PT3M). */
    public static Duration duration(String text) {
        String t = text.strip();
        if (t.startsWith("PT") || t.startsWith("pt")) {
            return Duration.parse(t);
        }
        if (t.matches("\\d+")) {
            return Duration.ofSeconds(Long.parseLong(t));
        }
        Matcher m = Pattern.compile("(\\d+)(ms|h|m|s|us|ns)").matcher(t);
        Duration d = Duration.ZERO;
        int end = 0;
        while (m.find()) {
            if (m.start() != end) {
                throw new IllegalArgumentException("not a duration: " + text);
            }
            end = m.end();
            long n = Long.parseLong(m.group(1));
            d = d.plus(switch (m.group(2)) {
                case "h" -> Duration.ofHours(n);
                case "m" -> Duration.ofMinutes(n);
                case "s" -> Duration.ofSeconds(n);
                case "ms" -> Duration.ofMillis(n);
                case "us" -> Duration.ofNanos(TimeUnit.MICROSECONDS.toNanos(n));
                default -> Duration.ofNanos(n);
            });
        }
        if (end != t.length() || end == 0) {
            throw new IllegalArgumentException("not a duration: " + text);
        }
        return d;
    }

    // --- PromQL -------------------------------------------------------------------------------------------------------

    private static final Set<String> PROMQL_KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without",
            "on", "ignoring", "group_left", "group_right", "inf", "nan", "atan2");

    /**
     * The metric names a PromQL expression selects. Strings, label matchers, ranges and label lists are removed first;
     * what remains and is not a function, an aggregation or a keyword is a metric name.
     */
    public static Set<String> metricNames(String expr) {
        String s = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", " ")
                .replaceAll("'(?:[^'\\\\]|\\\\.)*'", " ")
                .replaceAll("\\{[^}]*}", " ")
                .replaceAll("\\[[^\\]]*]", " ")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")
                .replaceAll("(?<![A-Za-z0-9_:])\\d+(\\.\\d+)?([eE][+-]?\\d+)?([smhdwy]|ms)*", " ");
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("[A-Za-z_:][A-Za-z0-9_:]*").matcher(s);
        while (m.find()) {
            String token = m.group();
            String rest = s.substring(m.end()).stripLeading();
            if (rest.startsWith("(") || PROMQL_KEYWORDS.contains(token.toLowerCase(Locale.ROOT))) {
                continue;
            }
            names.add(token);
        }
        return names;
    }

    /** Every PromQL expression of the dashboard, with where it is. */
    public static Map<String, String> dashboardQueries() {
        Map<String, String> queries = new LinkedHashMap<>();
        com.fasterxml.jackson.databind.JsonNode dashboard;
        try {
            dashboard = new com.fasterxml.jackson.databind.ObjectMapper().readTree(DASHBOARD.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (com.fasterxml.jackson.databind.JsonNode panel : dashboard.path("panels")) {
            for (com.fasterxml.jackson.databind.JsonNode target : panel.path("targets")) {
                queries.put("dashboard panel '" + panel.path("title").asText() + "' " + target.path("refId").asText(),
                        target.path("expr").asText());
            }
        }
        return queries;
    }

    /** Every alert rule expression of the rules file. */
    static Map<String, String> alertQueries() {
        Map<String, String> queries = new LinkedHashMap<>();
        for (Object group : list(yamlFile(ALERT_RULES).get("groups"))) {
            for (Object rule : list(map(group).get("rules"))) {
                queries.put("alert " + text(rule, "alert"), text(rule, "expr"));
            }
        }
        return queries;
    }

    /** The Prometheus queries of the Kubernetes manifests (KEDA's Prometheus trigger, prometheus-adapter's rule). */
    static Map<String, String> kubernetesQueries() {
        Map<String, String> queries = new LinkedHashMap<>();
        String pending = read(K8S.resolve("components/keda-pending-images/kustomization.yaml"));
        Matcher m = Pattern.compile("(?m)^\\s*query:\\s*(.+)$").matcher(pending);
        while (m.find()) {
            queries.put("KEDA prometheus trigger", m.group(1).strip());
        }
        Map<String, Object> adapter = yamlFile(K8S.resolve("components/prometheus-adapter-hpa/prometheus-adapter-values.yaml"));
        for (Object rule : list(at(adapter, "rules", "external"))) {
            queries.put("prometheus-adapter rule " + text(rule, "name", "as"),
                    text(rule, "seriesQuery").replace("<<.Series>>", "x"));
        }
        return queries;
    }

    /** All referenced queries, by where they are. */
    public static Map<String, String> allQueries() {
        Map<String, String> all = new LinkedHashMap<>(dashboardQueries());
        all.putAll(alertQueries());
        all.putAll(kubernetesQueries());
        return all;
    }

    /** Metric names kafka-exporter documents (src/test/resources/deploy/kafka-exporter-metrics.txt). */
    public static Set<String> kafkaExporterMetrics() {
        return documentedMetrics("/deploy/kafka-exporter-metrics.txt");
    }

    /** Metric names kube-state-metrics documents, of those the alerts use (deploy/kube-state-metrics-metrics.txt). */
    public static Set<String> kubeStateMetrics() {
        return documentedMetrics("/deploy/kube-state-metrics-metrics.txt");
    }

    /** The names in a test resource, one per line; blank lines and {@code #} comments left out. */
    private static Set<String> documentedMetrics(String resource) {
        Set<String> names = new LinkedHashSet<>();
        try (InputStream in = DeployFiles.class.getResourceAsStream(resource)) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String l = line.strip();
                if (!l.isEmpty() && !l.startsWith("#")) {
                    names.add(l);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return names;
    }

    /** Metrics that Prometheus itself makes for every target. */
    public static final Set<String> PROMETHEUS_SYNTHETIC =
            Set.of("up", "scrape_duration_seconds", "scrape_samples_scraped");

    /** Runs a command (30 s at most) and returns its exit code and output; null when the program is not installed. */
    public static Result run(Path directory, List<String> command) {
        try {
            Process p = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out: " + command);
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public record Result(int exitCode, String output) {}

    /** Whether a program is on the PATH. */
    public static boolean installed(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
