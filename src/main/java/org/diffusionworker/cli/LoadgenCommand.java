package org.diffusionworker.cli;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.diffusionworker.loadgen.LoadPlan;
import org.diffusionworker.loadgen.LoadRun;
import org.diffusionworker.loadgen.LoadTest;
import org.diffusionworker.loadgen.Loopback;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code loadgen}: drives a running worker through Kafka with a planned load (a steady rate or a burst, a mix of
 * labels, image counts and samplers), collects the events, and reports what happened: outcomes, throughput, latency
 * percentiles, batch sizes, the worker group's lag over time and duplicates, as markdown, CSV and PNG plots in
 * {@code --out}. Like {@code submit} it uses plain Kafka clients; the worker runs elsewhere.
 */
@Command(name = "loadgen", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Send a planned load of generation requests to a running worker through Kafka, wait for the"
                + " events, and report outcomes, throughput, latency percentiles, batch sizes, consumer-group lag and"
                + " duplicates (report.md, events.csv, lag.csv and PNG plots in --out). Progress on stderr, a summary"
                + " on stdout.",
                "Load: --rate R with --duration D or --requests N (steady), or --burst N (all at once); at most "
                        + LoadPlan.MAX_REQUESTS + " requests and 1h. Loopback brokers only unless --allow-remote.",
                "Exit code 0 when every sent request was answered (COMPLETED or FAILED), 3 when some were not (or could"
                        + " not be sent), 2 for bad options."})
public class LoadgenCommand implements Callable<Integer> {

    static final int INCOMPLETE_EXIT_CODE = SubmitCommand.FAILED_EXIT_CODE;

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka = new KafkaOptions();

    @Option(names = "--allow-remote", description = "Allow bootstrap servers that are not loopback addresses.")
    boolean allowRemote;

    @Option(names = "--group", defaultValue = "diffusion-worker",
            description = "The workers' consumer group, whose lag is sampled. Default: ${DEFAULT-VALUE}.")
    String group;

    @Option(names = "--rate", paramLabel = "R", description = "Steady load: R requests per second (with --duration"
            + " or --requests).")
    Double rate;

    @Option(names = "--duration", paramLabel = "D", description = "How long to send at --rate, e.g. 60s, 5m.")
    String duration;

    @Option(names = "--requests", paramLabel = "N", description = "How many requests to send at --rate.")
    Integer requests;

    @Option(names = "--burst", paramLabel = "N", description = "Send N requests all at once.")
    Integer burst;

    @Option(names = "--labels", paramLabel = "LABEL", split = ",",
            description = "Labels to draw from, equally often, e.g. sneaker,bag. Default: all of --all-labels.")
    List<String> labels;

    @Option(names = "--label-mix", paramLabel = "LABEL=W,...",
            description = "Label proportions, e.g. \"sneaker=0.8,*=0.2\": '*' spreads its weight evenly over the"
                    + " labels of --all-labels the mix does not name.")
    String labelMix;

    @Option(names = "--all-labels", paramLabel = "LABEL", split = ",",
            description = "The model's labels. Default: the Fashion-MNIST ten (t-shirt/top, trouser, ..., ankle-boot).")
    List<String> allLabels;

    @Option(names = "--counts", paramLabel = "N=W,...", defaultValue = "4",
            description = "Images per request with proportions, e.g. 1=0.5,4=0.3,16=0.2. Default: ${DEFAULT-VALUE}.")
    String counts;

    @Option(names = "--samplers", paramLabel = "S=W,...", defaultValue = "ddim",
            description = "ddim, ddpm, dpmpp-2m and unipc with proportions, e.g. ddim=0.8,unipc=0.1,ddpm=0.1."
                    + " Default: ${DEFAULT-VALUE}.")
    String samplers;

    @Option(names = "--steps", defaultValue = "25", description = "Steps of ddim, dpmpp-2m and unipc requests (DDPM"
            + " requests name none). Default: ${DEFAULT-VALUE}.")
    int steps;

    @Option(names = "--guidance", paramLabel = "W", description = "Guidance weight in [0, 20]. Default: the worker's (0).")
    Double guidance;

    @Option(names = "--layout", paramLabel = "grid|images|both", description = "What every request asks to store:"
            + " one grid, single images (one upload each) or both. Default: the worker's (grid).")
    String layout;

    @Option(names = "--tenants", paramLabel = "NAME=W,...", description = "Tenant mix, e.g. a=3,b=1 (each request"
            + " draws one). Default: none named (the worker's default tenant).")
    String tenants;

    @Option(names = "--priorities", paramLabel = "P=W,...", description = "Priority mix of high, normal and low,"
            + " e.g. high=1,normal=8,low=1. Default: none named (normal).")
    String priorities;

    @Option(names = "--seed", description = "Seed of the mix (and of each request's image seed). Default: random,"
            + " reported.")
    Long seed;

    @Option(names = "--start-at", paramLabel = "TIME", description = "Send the first request at this time instead of"
            + " once connected: an ISO-8601 instant (2026-12-07T21:00:00Z) or epoch milliseconds, at most 1h ahead."
            + " Several loadgens given one time begin together, after their start-up.")
    String startAt;

    @Option(names = "--timeout", defaultValue = "5m",
            description = "How long to wait for events after the last send (at most 1h). Default: ${DEFAULT-VALUE}.")
    String timeout;

    @Option(names = "--linger", defaultValue = "2s",
            description = "How long to keep reading after every request is answered, to see duplicate events."
                    + " Default: ${DEFAULT-VALUE}.")
    String linger;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the report goes. Default: loadgen-<timestamp>.")
    Path out;

    @Override
    public Integer call() throws Exception {
        String servers = kafka.servers();
        Loopback.require(servers, allowRemote);
        LoadPlan plan = plan();
        LoadRun.Settings settings = LoadRun.Settings.of(servers, kafka.requestsTopic, kafka.eventsTopic, group, timeout,
                linger, startAt, Instant.now());
        Path directory = out != null ? out : LoadTest.defaultDirectory(LocalDateTime.now());
        boolean complete = LoadTest.run(plan, settings, commandLine(), directory, spec.commandLine().getOut(),
                spec.commandLine().getErr());
        return complete ? 0 : INCOMPLETE_EXIT_CODE;
    }

    /** The plan the options describe; every inconsistency is refused with the options named. */
    LoadPlan plan() {
        return new LoadPlan(LoadPlan.labels(labels, labelMix, allLabels), LoadPlan.counts(counts),
                LoadPlan.samplers(samplers), steps, guidance, layout,
                seed != null ? seed : new SecureRandom().nextLong() & Long.MAX_VALUE,
                LoadPlan.Pacing.of(burst, rate, duration, requests),
                tenants == null ? null : LoadPlan.tenants(tenants),
                priorities == null ? null : LoadPlan.priorities(priorities));
    }

    /** The command line as given, for the report. */
    private String commandLine() {
        List<String> args = spec.root().commandLine().getParseResult() != null
                ? spec.root().commandLine().getParseResult().originalArgs() : List.of();
        List<String> words = new ArrayList<>();
        words.add("diffusion-worker");
        if (spec.root() == spec) {
            words.add(spec.name());
        }
        words.addAll(args);
        return LoadTest.shellLine(words);
    }
}
