package org.diffusionworker.storage;

import java.util.Map;
import java.util.Objects;

/** What the store knows about one object, without its content. */
public record StoredObject(String key, long size, String contentType, Map<String, String> metadata) {

    public StoredObject {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(contentType, "contentType");
        metadata = Map.copyOf(metadata);
    }
}
