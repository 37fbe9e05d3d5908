package org.diffusionworker.cli;

import io.quarkus.picocli.runtime.PicocliCommandLineFactory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import org.diffusionworker.model.DjlRuntime;
import picocli.CommandLine;

/**
 * Configures picocli: a request the user can fix (bad argument, unknown label, unusable model)
 * ends with its message and exit code 2; anything else with exit code 1 and the error logged.
 */
@ApplicationScoped
class CommandLineSetup {

    static final int USAGE_ERROR = CommandLine.ExitCode.USAGE;

    static {
        // Load DjlRuntime (which makes DJL offline) before any command touches DJL.
        DjlRuntime.class.getName();
    }

    @Produces
    CommandLine commandLine(PicocliCommandLineFactory factory, @Any Instance<OptionalSubcommand> optional) {
        CommandLine commandLine = factory.create().setExecutionExceptionHandler(CommandLineSetup::handle);
        for (OptionalSubcommand command : optional) {
            commandLine.addSubcommand(command);
        }
        return commandLine;
    }

    private static int handle(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        if (UserErrors.isUserError(e)) {
            cmd.getErr().println(cmd.getColorScheme().errorText("error: " + UserErrors.message(e)));
            return USAGE_ERROR;
        }
        cmd.getErr().println(cmd.getColorScheme().errorText("failed: " + e));
        e.printStackTrace(cmd.getErr());
        return CommandLine.ExitCode.SOFTWARE;
    }
}
