package org.diffusionworker.training;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The arithmetic of a training step's forward and backward pass. The weights, the optimiser and its state are
 * float32 in both.
 */
public enum TrainingPrecision {

    /** The Java network's own blocks, float32 throughout: the parity-tested default. */
    FP32("float32 throughout (the Java network's blocks)"),
    /**
     * Mixed precision: convolutions in bfloat16 (inputs, weights and outputs rounded to it; oneDNN accumulates in
     * float32), everything else in float32, the float32 weights the master copy. Runs as one TorchScript call
     * ({@link ScriptedTrainingForward}) because DJL cannot hold a bf16 array. Fast only on CPUs with bf16 units
     * (AVX-512 BF16, AMX); elsewhere oneDNN emulates them.
     */
    BF16("mixed: convolutions in bfloat16, the rest and the weights float32 (TorchScript forward)");

    private final String description;

    TrainingPrecision(String description) {
        this.description = description;
    }

    /** How the card and the log describe it. */
    public String description() {
        return description;
    }

    /** The option's spelling: {@code fp32}, {@code bf16}. */
    public String optionValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses an option value, case-insensitively; the error names the allowed ones (callers prefix the option). */
    public static TrainingPrecision parse(String value) {
        for (TrainingPrecision p : values()) {
            if (p.optionValue().equalsIgnoreCase(value.trim())) {
                return p;
            }
        }
        throw new IllegalArgumentException("must be one of "
                + Arrays.stream(values()).map(TrainingPrecision::optionValue).collect(Collectors.joining(", "))
                + ", got '" + value + "'");
    }
}
