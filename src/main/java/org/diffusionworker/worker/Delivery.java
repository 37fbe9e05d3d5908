package org.diffusionworker.worker;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * What the producer gets back, and when: the form its images are stored in (a grid, single images or both; the grid's
 * columns; the trajectory GIF) and the intermediate events it wants before the terminal one. As sent: the columns'
 * default depends on the count and is applied by {@link RequestResolver}.
 *
 * @param columns    images per grid row; null for ceil(sqrt(count)); at least 1 ({@link ErrorCode#INVALID_REQUEST}
 *                   otherwise)
 * @param trajectory whether to store the denoising trajectory as a GIF as well
 * @param layout     what the images are stored as; null for {@link ResultLayout#GRID}
 * @param events     the intermediate events wanted (none by default)
 */
public record Delivery(Integer columns, boolean trajectory, ResultLayout layout, Set<RequestEvent> events) {

    /** A grid with the default columns, no trajectory, only the terminal event. */
    public static final Delivery DEFAULT = new Delivery(null, false, ResultLayout.GRID, Set.of());

    public Delivery {
        if (columns != null && columns < 1) {
            throw new RequestRejectedException(ErrorCode.INVALID_REQUEST, "columns must be at least 1, got " + columns);
        }
        layout = layout == null ? ResultLayout.GRID : layout;
        events = events == null || events.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(events));
    }
}
