package org.diffusionworker.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TrainingPrecisionTest {

    @Test
    void optionValuesParseCaseInsensitivelyAndAnUnknownOneNamesTheAllowed() {
        assertEquals(TrainingPrecision.FP32, TrainingPrecision.parse("fp32"));
        assertEquals(TrainingPrecision.BF16, TrainingPrecision.parse(" BF16 "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingPrecision.parse("fp16"));
        assertEquals("must be one of fp32, bf16, got 'fp16'", e.getMessage());
    }

    @Test
    void bf16OnACpuWithoutBf16UnitsIsWarnedAboutOnlyThere() {
        Optional<String> none = DiffusionTrainer.bf16Warning(Device.cpu(), Optional.of(List.of()));
        assertTrue(none.isPresent() && none.get().contains("slower than with --precision fp32"), none.toString());
        assertEquals(Optional.empty(), DiffusionTrainer.bf16Warning(Device.cpu(), Optional.of(List.of("amx_bf16"))));
        assertEquals(Optional.empty(), DiffusionTrainer.bf16Warning(Device.cpu(), Optional.empty()), "flags unknown");
        assertEquals(Optional.empty(), DiffusionTrainer.bf16Warning(Device.gpu(), Optional.of(List.of())), "a GPU");
    }

    @Test
    void settingsCarryThePrecisionThroughEveryCopy() {
        TrainingSettings bf16 = TrainingSettings.defaults(2, 0).withPrecision(TrainingPrecision.BF16);
        assertEquals(TrainingPrecision.FP32, TrainingSettings.defaults(2, 0).precision());
        assertEquals(TrainingPrecision.BF16, bf16.withEpochs(3).withBatchSize(8).withEmaDecay(0.9).precision());
        assertThrows(IllegalArgumentException.class, () -> bf16.withPrecision(null));
    }
}
