/**
 * What a long command shows on the terminal while it runs, and how a signal stops it: progress bars on stderr for
 * sampling, training and evaluation, each also the point where a {@link org.diffusionworker.console.StopSignal}
 * ends the run between two steps. No option parsing (that stays in cli, the only package that imports this one).
 */
package org.diffusionworker.console;
