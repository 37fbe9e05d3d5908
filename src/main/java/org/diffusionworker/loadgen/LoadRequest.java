package org.diffusionworker.loadgen;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import org.diffusionworker.client.RequestJson;

/**
 * One request of a load run, as planned (docs/messages.md).
 *
 * @param n        its number in the run, from 1
 * @param id       {@code loadgen-<run>-<n>}: the request id and record key
 * @param steps    DDIM steps; null for DDPM (which takes the model's T and must not name steps)
 * @param guidance null to leave the worker's default (0)
 * @param layout   null to leave the default (grid)
 * @param seed     the image seed, drawn from the plan's seed
 * @param tenant   the request's tenant; null to leave the default
 * @param priority {@code high}, {@code normal} or {@code low}; null to leave the default (normal)
 */
record LoadRequest(int n, String id, String label, int count, String sampler, Integer steps, Double guidance,
        String layout, long seed, String tenant, String priority) {

    LoadRequest(int n, String id, String label, int count, String sampler, Integer steps, Double guidance,
            String layout, long seed) {
        this(n, id, label, count, sampler, steps, guidance, layout, seed, null, null);
    }

    /**
     * The request JSON. The contract has no field for the send time: the worker takes it from the record's
     * timestamp, which loadgen sets to {@code submittedAt}; it also goes into the attributes (echoed in the event).
     */
    String json(ObjectMapper mapper, String run, Instant submittedAt) {
        ObjectNode r = new RequestJson(mapper, id).optional("label", label).optional("count", count)
                .optional("sampler", sampler).optional("steps", steps).optional("guidance", guidance)
                .optional("layout", layout).optional("seed", seed).optional("tenant", tenant)
                .optional("priority", priority).node();
        r.putObject("attributes").put("loadgen", run).put("submittedAt", submittedAt.toString());
        return r.toString();
    }
}
