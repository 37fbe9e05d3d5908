package org.diffusionworker.app;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import jakarta.inject.Inject;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Set;
import org.diffusionworker.cli.LocalInfrastructure;
import picocli.CommandLine;

/**
 * The entry point. Every command runs in one Quarkus application, whose Kafka channels, HTTP server and worker start
 * with the application, before picocli picks the command. So the commands that run the worker ({@code serve}, and
 * {@code demo} in builds that include the embedded infrastructure) are recognised here first and switch the worker on
 * ({@code diffusionworker.worker.enabled=true}); every other command ({@code sample}, {@code benchmark}, ...) runs with
 * the worker, its channels and its HTTP port off and never touches Kafka.
 */
@QuarkusMain
public class Main implements QuarkusApplication {

    /** Commands that run the worker in this process. */
    static final Set<String> WORKER_COMMANDS = Set.of("serve", "demo");
    static final String WORKER_ENABLED = "diffusionworker.worker.enabled";
    /** picocli's standard options: usage or version is printed and no command runs. */
    static final Set<String> HELP_OPTIONS = Set.of("-h", "--help", "-V", "--version");

    @Inject
    CommandLine commandLine;

    @Override
    public int run(String... args) {
        return commandLine.execute(args);
    }

    public static void main(String... args) {
        String command = firstCommand(args);
        // `demo --help` and `serve --help` only print: no broker, no S3 store, no worker, no Kafka connection.
        boolean helpOnly = Arrays.stream(args).anyMatch(HELP_OPTIONS::contains);
        boolean runsWorker = WORKER_COMMANDS.contains(command) && !helpOnly;
        if (runsWorker && System.getProperty(WORKER_ENABLED) == null) {
            System.setProperty(WORKER_ENABLED, "true");
        }
        boolean demo = runsWorker && "demo".equals(command);
        LocalInfrastructure local = demo ? LocalInfrastructure.load() : null;
        if (demo && local == null) {
            // Logging is not set up before Quarkus starts: this is a command-line error, on stderr like picocli's.
            PrintWriter err = new PrintWriter(System.err, true);
            err.println("error: this build has no embedded Kafka broker and S3 store (it was built with -Dproduction):"
                    + " build without -Dproduction to run the demo, or run `serve` against your own Kafka and S3/MinIO");
            exit(CommandLine.ExitCode.USAGE);
            return;
        }
        if (local != null) {
            local.start(args);
        }
        if (!runsWorker) {
            // The channels are switched off for this command; SmallRye would say so, and warn, on every run.
            System.setProperty("quarkus.log.category.\"io.smallrye.reactive.messaging.provider\".level", "ERROR");
        }
        Quarkus.run(Main.class, (code, failure) -> {
            if (failure != null) {
                reportStartupFailure(failure);
            }
            if (local != null) {
                local.stop();
            }
            exit(code);
        }, args);
    }

    /**
     * Says why the application did not start (a custom exit handler replaces Quarkus's, which would have): for a bad
     * setting the messages name the key, so they are enough; anything else gets its stack trace too.
     */
    private static void reportStartupFailure(Throwable failure) {
        PrintWriter err = new PrintWriter(System.err, true);
        StringBuilder messages = new StringBuilder();
        boolean configuration = false;
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            configuration |= t.getClass().getName().contains("Config") || t instanceof IllegalStateException;
            if (t.getMessage() != null && messages.indexOf(t.getMessage()) < 0) {
                messages.append(messages.length() == 0 ? "" : "\n  caused by: ").append(t.getMessage());
            }
        }
        err.println("error: the application did not start: " + messages);
        if (!configuration) {
            failure.printStackTrace(err);
        }
    }

    /** The first argument that is not an option: the subcommand. */
    static String firstCommand(String... args) {
        for (String arg : args) {
            if (!arg.startsWith("-")) {
                return arg;
            }
        }
        return "";
    }

    /** Exits with {@code code}, unless the JVM is already shutting down (Ctrl-C), when exit would block for ever. */
    private static void exit(int code) {
        Thread probe = new Thread(() -> {});
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
        } catch (IllegalStateException shuttingDown) {
            return;
        }
        System.exit(code);
    }
}
