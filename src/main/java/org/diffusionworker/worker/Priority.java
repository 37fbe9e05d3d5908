package org.diffusionworker.worker;

import java.util.Locale;

/**
 * A request's class (request field {@code priority}): batches are filled from the highest class waiting; a request
 * waits at most {@link WorkerSettings.Fairness#maxStarvation()} behind higher classes.
 */
public enum Priority {
    HIGH,
    NORMAL,
    LOW;

    /** The name in requests and events: {@code high}, {@code normal} or {@code low}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@link #id()}, exactly; null when it is none. */
    public static Priority byId(String id) {
        for (Priority p : values()) {
            if (p.id().equals(id)) {
                return p;
            }
        }
        return null;
    }

    /** The choices as they are written in requests, for messages. */
    public static String choices() {
        return "\"high\", \"normal\" or \"low\"";
    }
}
