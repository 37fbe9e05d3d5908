package org.diffusionworker.worker;

import java.util.Locale;

/**
 * What a request's images are stored as (request field {@code layout}): one PNG grid of them all (the default, and
 * all there was before the field existed), each image as a PNG of its own, or both.
 */
public enum ResultLayout {
    /** One PNG grid, {@code <prefix>/<requestId>/grid.png}. */
    GRID,
    /** One PNG per image, {@code <prefix>/<requestId>/images/<index>.png}; no grid. */
    IMAGES,
    /** The grid and the single images. */
    BOTH;

    /** The name in requests and events: {@code grid}, {@code images} or {@code both}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@link #id()}, exactly; null when it is none. */
    public static ResultLayout byId(String id) {
        for (ResultLayout l : values()) {
            if (l.id().equals(id)) {
                return l;
            }
        }
        return null;
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
