package org.diffusionworker.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoadTestTest {

    @Test
    void theReportFolderIsNamedAfterTheLocalTimeToTheSecond() {
        assertEquals(Path.of("loadgen-20261207-210005"), LoadTest.defaultDirectory(LocalDateTime.of(2026, 12, 7, 21, 0, 5)));
    }

    @Test
    void theCommandLineIsQuotedOnlyWhereAShellWouldSplitOrExpandIt() {
        assertEquals("diffusion-worker loadgen --label-mix 'sneaker=0.8,*=0.2' --labels 'it'\\''s' --rate 10",
                LoadTest.shellLine(List.of("diffusion-worker", "loadgen", "--label-mix", "sneaker=0.8,*=0.2",
                        "--labels", "it's", "--rate", "10")));
    }
}
