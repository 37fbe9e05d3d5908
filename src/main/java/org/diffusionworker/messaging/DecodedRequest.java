package org.diffusionworker.messaging;

import org.diffusionworker.worker.ErrorCode;
import org.diffusionworker.worker.GenerationRequest;

/** A request record after decoding: a request for the worker, or a refusal to answer with a FAILED event. */
sealed interface DecodedRequest {

    record Valid(GenerationRequest request) implements DecodedRequest {}

    /**
     * @param requestId  the request id when one could be read (from the payload or the record key), else null
     * @param request    the decoded request when decoding got that far (for its attributes), else null
     * @param deadLetter whether the record was undecodable and goes to the dead-letter topic as well
     * @param offeredId  the request id as the record offered it (the payload's requestId string, else the key),
     *                   raw and unchecked, or null
     */
    record Refused(String requestId, GenerationRequest request, ErrorCode code, String message, boolean deadLetter,
            String offeredId) implements DecodedRequest {}
}
