package org.diffusionworker.cli;

import io.quarkus.runtime.Quarkus;
import java.lang.System.Logger.Level;
import java.util.concurrent.Callable;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import picocli.CommandLine.Command;

/**
 * {@code serve}: runs the Kafka worker until SIGTERM or Ctrl-C. The worker itself starts with the application (see
 * {@link org.diffusionworker.app.Main}); this command keeps the process up and lets Quarkus shut it down gracefully.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Run the worker: consume generation requests from Kafka, sample them in batches, upload the grids"
                + " to S3/MinIO and publish completion events, until stopped (SIGTERM or Ctrl-C).",
                "Configure it with -Dkey=value before -jar, environment variables or application.properties;"
                        + " see docs/worker.md (e.g. -Dkafka.bootstrap.servers=broker:9092"
                        + " -Ddiffusionworker.storage.endpoint=http://minio:9000, credentials in"
                        + " DIFFUSIONWORKER_STORAGE_ACCESS_KEY / DIFFUSIONWORKER_STORAGE_SECRET_KEY)."})
public class ServeCommand implements Callable<Integer> {

    private static final System.Logger LOG = System.getLogger(ServeCommand.class.getName());

    @ConfigProperty(name = "diffusionworker.worker.enabled")
    boolean enabled;

    @ConfigProperty(name = "quarkus.http.port", defaultValue = "8080")
    int httpPort;

    @Override
    public Integer call() {
        if (!enabled) {
            throw new IllegalArgumentException("the worker is switched off in this process"
                    + " (diffusionworker.worker.enabled=false); start it as `diffusion-worker serve`");
        }
        LOG.log(Level.INFO, String.format(
                "Serving; health at http://localhost:%d/q/health, metrics at http://localhost:%d/q/metrics."
                + " Stop with SIGTERM or Ctrl-C.", httpPort, httpPort));
        Quarkus.waitForExit();
        return 0;
    }
}
