package org.diffusionworker.training.evaluation;

/** Which guidance weights an evaluation also scores DDPM at (DDPM takes all T steps, so it is chosen apart). */
public enum DdpmChoice {
    /** No DDPM rows. */
    NONE,
    /** DDPM at the weight whose first sampler setting has the lowest Fréchet distance. */
    BEST,
    /** DDPM at every weight. */
    ALL;

    /** {@code none}, {@code best} or {@code all}, in any case. */
    public static DdpmChoice parse(String text) {
        for (DdpmChoice choice : values()) {
            if (choice.name().equalsIgnoreCase(text.strip())) {
                return choice;
            }
        }
        throw new IllegalArgumentException("--ddpm must be none, best or all, got '" + text + "'");
    }
}
