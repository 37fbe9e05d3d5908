package org.diffusionworker.worker;

import java.util.Locale;

/** The intermediate events a request may ask for (request field {@code events}); the terminal event always comes. */
public enum RequestEvent {
    /** Once, when the request's first image enters a forward pass. */
    STARTED,
    /** Throttled, as denoising steps are done. */
    PROGRESS;

    /** The name in requests: {@code started} or {@code progress}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@link #id()}, exactly; null when it is none. */
    public static RequestEvent byId(String id) {
        for (RequestEvent e : values()) {
            if (e.id().equals(id)) {
                return e;
            }
        }
        return null;
    }
}
