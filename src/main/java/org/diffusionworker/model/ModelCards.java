package org.diffusionworker.model;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads and writes model cards as JSON. */
public final class ModelCards {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private ModelCards() {}

    public static ModelSpec read(Path file) {
        try {
            return JSON.readValue(file.toFile(), ModelSpec.class);
        } catch (IOException e) {
            // Jackson wraps the record's validation message; surface it with the file name.
            Throwable cause = e.getCause() instanceof IllegalArgumentException ? e.getCause() : e;
            throw new InvalidModelException("cannot read model card " + file + ": " + cause.getMessage(), e);
        }
    }

    public static void write(ModelSpec spec, Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            JSON.writeValue(file.toFile(), spec);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write model card " + file, e);
        }
    }
}
