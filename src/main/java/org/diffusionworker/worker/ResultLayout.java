package org.diffusionworker.worker;

/**
 * What a request's images are stored as (request field {@code layout}): one PNG grid of them all (the default, and
 * all there was before the field existed), each image as a PNG of its own, or both.
 */
public enum ResultLayout implements WireName {
    /** One PNG grid, {@code <prefix>/<requestId>/grid.png}. */
    GRID,
    /** One PNG per image, {@code <prefix>/<requestId>/images/<index>.png}; no grid. */
    IMAGES,
    /** The grid and the single images. */
    BOTH;

    /** Parses its id ({@code grid}, {@code images} or {@code both}), exactly; null when it is none. */
    public static ResultLayout byId(String id) {
        return WireName.byId(values(), id);
    }

    /** The choices as they are written in requests, for messages. */
    public static String choices() {
        return "\"grid\", \"images\" or \"both\"";
    }

    public boolean storesGrid() {
        return this != IMAGES;
    }

    public boolean storesImages() {
        return this != GRID;
    }
}
