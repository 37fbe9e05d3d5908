package org.diffusionworker.worker;

/** The intermediate events a request may ask for (request field {@code events}); the terminal event always comes. */
public enum RequestEvent implements WireName {
    /** Once, when the request's first image enters a forward pass. */
    STARTED,
    /** Throttled, as denoising steps are done. */
    PROGRESS;

    /** Parses its id ({@code started} or {@code progress}), exactly; null when it is none. */
    public static RequestEvent byId(String id) {
        return WireName.byId(values(), id);
    }
}
