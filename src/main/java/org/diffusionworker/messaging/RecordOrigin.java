package org.diffusionworker.messaging;

import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;

/**
 * Where a request record came from, and the request id it offered, for FAILED events: a producer whose id was
 * invalid (or missing) can still find its record by topic, partition and offset.
 *
 * @param topic     the record's topic (null when unknown)
 * @param partition its partition (-1 when unknown)
 * @param offset    its offset (-1 when unknown)
 * @param offeredId the request id the record offered, escaped and shortened (see {@link #printable}), or null
 */
record RecordOrigin(String topic, int partition, long offset, String offeredId) {

    static final int MAX_OFFERED_ID_LENGTH = 64;
    static final RecordOrigin UNKNOWN = new RecordOrigin(null, -1, -1, null);

    static RecordOrigin of(IncomingKafkaRecordMetadata<?, ?> record) {
        return record == null ? UNKNOWN : new RecordOrigin(record.getTopic(), record.getPartition(), record.getOffset(),
                null);
    }

    RecordOrigin offering(String rawId) {
        return new RecordOrigin(topic, partition, offset, printable(rawId));
    }

    /** {@code topic-partition@offset}, for logs. */
    String describe() {
        return topic == null ? "(unknown record)" : topic + "-" + partition + "@" + offset;
    }

    /**
     * {@code raw} safe to log and to echo in JSON: printable ASCII kept, everything else written as {@code \\uXXXX},
     * at most {@link #MAX_OFFERED_ID_LENGTH} characters of the result, an ellipsis marking a cut. Null stays null.
     */
    static String printable(String raw) {
        if (raw == null) {
            return null;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < raw.length() && out.length() < MAX_OFFERED_ID_LENGTH; i++) {
            char c = raw.charAt(i);
            if (c >= 0x20 && c < 0x7f && c != '\\') {
                out.append(c);
            } else {
                out.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
            }
        }
        if (out.length() > MAX_OFFERED_ID_LENGTH) {
            out.setLength(MAX_OFFERED_ID_LENGTH);
        }
        return out.length() < escapedLength(raw) ? out + "..." : out.toString();
    }

    private static int escapedLength(String raw) {
        int n = 0;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            n += c >= 0x20 && c < 0x7f && c != '\\' ? 1 : 6;
        }
        return n;
    }
}
