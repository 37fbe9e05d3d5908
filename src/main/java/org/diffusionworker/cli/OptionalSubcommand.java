package org.diffusionworker.cli;

/**
 * A picocli command that exists only in some builds (the demo, in builds with the embedded profile): a bean of this
 * type is added to the top command's subcommands when present.
 */
public interface OptionalSubcommand {}
