package org.diffusionworker.worker;

import java.util.Locale;

/** A constant written in requests and events by its lower-case name: {@code HIGH} is {@code high}. */
public interface WireName {

    /** The constant's name (an enum's own). */
    String name();

    /** The name in requests and events. */
    default String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The one of {@code values} whose {@link #id()} is {@code id}, exactly; null when it is none. */
    static <E extends WireName> E byId(E[] values, String id) {
        for (E value : values) {
            if (value.id().equals(id)) {
                return value;
            }
        }
        return null;
    }
}
