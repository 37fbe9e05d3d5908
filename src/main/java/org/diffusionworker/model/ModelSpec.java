package org.diffusionworker.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The model card: what a set of weights is, so that it can be loaded, sampled and explained.
 *
 * <p>Stored as JSON beside the weights ({@code model.json}). {@code labels} name the context
 * dimensions in order; {@code schedule} is the DDPM noise schedule the weights were trained
 * with; {@code pixelRange} is the value range that maps to black and white; {@code weights}
 * (optional) names the weight file and its SHA-256; {@code training} (optional) records how the
 * weights were made.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelSpec(
        String name,
        Architecture architecture,
        List<String> labels,
        Schedule schedule,
        List<Double> pixelRange,
        Map<String, String> provenance,
        Weights weights,
        Map<String, Object> training) {

    public ModelSpec {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("model card: 'name' is required");
        }
        Objects.requireNonNull(architecture, "model card: 'architecture' is required");
        Objects.requireNonNull(schedule, "model card: 'schedule' is required");
        if (labels == null || labels.size() != architecture.nCfeat()) {
            throw new IllegalArgumentException("model card: 'labels' must list " + architecture.nCfeat()
                    + " names (architecture.nCfeat), got " + (labels == null ? "none" : labels.size()));
        }
        if (labels.stream().anyMatch(l -> l == null || l.isBlank()) || new HashSet<>(labels).size() != labels.size()) {
            throw new IllegalArgumentException("model card: 'labels' must be distinct non-blank names, got " + labels);
        }
        labels = List.copyOf(labels);
        if (pixelRange == null) {
            pixelRange = List.of(-1.0, 1.0);
        }
        if (pixelRange.size() != 2 || !(pixelRange.get(0) < pixelRange.get(1))) {
            throw new IllegalArgumentException("model card: 'pixelRange' must be [low, high] with low < high, got "
                    + pixelRange);
        }
        pixelRange = List.copyOf(pixelRange);
        provenance = provenance == null ? Map.of() : Map.copyOf(provenance);
    }

    /** The network's configuration. */
    public ContextUnetConfig config() {
        return architecture.toConfig();
    }

    /** This card with another name, weights entry or training record. */
    public ModelSpec withWeights(Weights newWeights) {
        return new ModelSpec(name, architecture, labels, schedule, pixelRange, provenance, newWeights, training);
    }

    public ModelSpec withTraining(Map<String, Object> newTraining) {
        return new ModelSpec(name, architecture, labels, schedule, pixelRange, provenance, weights, newTraining);
    }

    /** The network architecture; only {@code ContextUnet} exists. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Architecture(String type, int inChannels, int nFeat, int nCfeat, int height) {
        public static final String CONTEXT_UNET = "ContextUnet";

        public Architecture {
            if (!CONTEXT_UNET.equals(type)) {
                throw new IllegalArgumentException(
                        "model card: architecture.type must be '" + CONTEXT_UNET + "', got '" + type + "'");
            }
            new ContextUnetConfig(inChannels, nFeat, nCfeat, height);
        }

        public static Architecture of(ContextUnetConfig config) {
            return new Architecture(CONTEXT_UNET, config.inChannels(), config.nFeat(), config.nCfeat(), config.height());
        }

        public ContextUnetConfig toConfig() {
            return new ContextUnetConfig(inChannels, nFeat, nCfeat, height);
        }
    }

    /** DDPM's linear beta schedule: {@code timesteps} steps from {@code beta1} to {@code beta2}. */
    public record Schedule(int timesteps, double beta1, double beta2) {
        public Schedule {
            if (timesteps < 1 || timesteps > 10_000) {
                throw new IllegalArgumentException("model card: schedule.timesteps must be 1..10000, got " + timesteps);
            }
            if (!(beta1 > 0 && beta1 < beta2 && beta2 < 1)) {
                throw new IllegalArgumentException("model card: schedule needs 0 < beta1 < beta2 < 1, got beta1="
                        + beta1 + " beta2=" + beta2);
            }
        }
    }

    /** Where the weights are and what they hash to. */
    public record Weights(String file, String format, String sha256) {}
}
