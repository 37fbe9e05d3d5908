package org.diffusionworker.training.data;

import static org.diffusionworker.training.data.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class DatasetFormatTest {

    @Test
    void parseAcceptsAnyCaseAndSurroundingBlanks() {
        assertEquals(DatasetFormat.IDX, DatasetFormat.parse("idx"));
        assertEquals(DatasetFormat.NPY, DatasetFormat.parse(" NPY "));
        assertEquals(DatasetFormat.FOLDER, DatasetFormat.parse("Folder"));
    }

    @Test
    void unknownFormatIsRejectedNamingTheChoices() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> DatasetFormat.parse("csv"));

        assertMentions(error, "unknown dataset format 'csv'", "idx, npy, folder");
    }

    @Test
    void missingFormatIsRejectedNamingTheChoices() {
        assertMentions(assertThrows(IllegalArgumentException.class, () -> DatasetFormat.parse(null)),
                "idx, npy, folder");
    }
}
