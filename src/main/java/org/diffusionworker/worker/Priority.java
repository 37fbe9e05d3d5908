package org.diffusionworker.worker;

/**
 * A request's class (request field {@code priority}): batches are filled from the highest class waiting; a request
 * waits at most {@link WorkerSettings.Fairness#maxStarvation()} behind higher classes.
 */
public enum Priority implements WireName {
    HIGH,
    NORMAL,
    LOW;

    /** Parses its id ({@code high}, {@code normal} or {@code low}), exactly; null when it is none. */
    public static Priority byId(String id) {
        return WireName.byId(values(), id);
    }

    /** The choices as they are written in requests, for messages. */
    public static String choices() {
        return "\"high\", \"normal\" or \"low\"";
    }
}
