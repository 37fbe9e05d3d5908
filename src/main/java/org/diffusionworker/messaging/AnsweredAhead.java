package org.diffusionworker.messaging;

import java.util.Base64;
import java.util.BitSet;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * The offsets of a partition answered ahead of its committed offset, written into the commit's metadata (the
 * technique of Confluent's parallel consumer). The committed offset is the first record not yet answered; records
 * after it answered out of order are listed here, in the same transaction as their events, so the partition's next
 * owner (or this worker after a restart) skips them instead of answering them a second time.
 *
 * <p>Format: {@code dw1:} and the base64url of a bit set whose bit {@code i} is offset {@code committed + 1 + i}.
 * Metadata written by anyone else (or none) reads as nothing answered ahead.
 */
final class AnsweredAhead {

    static final String PREFIX = "dw1:";
    /**
     * Offsets past the committed one that the metadata can list: 16,384 bits are 2,732 characters of base64, within
     * the broker's default {@code offset.metadata.max.bytes} (4,096). An answer further ahead waits for the head.
     */
    static final int MAX_SPAN = 16_384;

    private AnsweredAhead() {
    }

    /** The metadata listing {@code answered} (each above {@code committed}, less than {@link #MAX_SPAN} past it). */
    static String encode(long committed, NavigableSet<Long> answered) {
        if (answered.isEmpty()) {
            return "";
        }
        BitSet bits = new BitSet();
        for (long offset : answered) {
            long index = offset - committed - 1;
            if (index < 0 || index >= MAX_SPAN) {
                throw new IllegalArgumentException("offset " + offset + " cannot be listed past committed " + committed);
            }
            bits.set((int) index);
        }
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bits.toByteArray());
    }

    /** The offsets {@code metadata} lists past {@code committed}; none when it is not ours or unreadable. */
    static NavigableSet<Long> decode(long committed, String metadata) {
        NavigableSet<Long> answered = new TreeSet<>();
        if (metadata == null || !metadata.startsWith(PREFIX)) {
            return answered;
        }
        BitSet bits;
        try {
            bits = BitSet.valueOf(Base64.getUrlDecoder().decode(metadata.substring(PREFIX.length())));
        } catch (IllegalArgumentException unreadable) {
            return answered;
        }
        for (int i = bits.nextSetBit(0); i >= 0 && i < MAX_SPAN; i = bits.nextSetBit(i + 1)) {
            answered.add(committed + 1 + i);
        }
        return answered;
    }

    /** Whether {@code offset} can be listed in metadata committed at {@code committed}. */
    static boolean fits(long committed, long offset) {
        return offset > committed && offset - committed - 1 < MAX_SPAN;
    }
}
