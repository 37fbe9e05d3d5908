package org.diffusionworker.generation;

import java.util.List;

/** A label the model does not know; the message lists the ones it does. */
public final class UnknownLabelException extends IllegalArgumentException {

    private final String label;

    public UnknownLabelException(String label, List<String> known) {
        super("unknown label '" + label + "'; this model knows " + String.join(", ", known));
        this.label = label;
    }

    public String label() {
        return label;
    }
}
