package org.diffusionworker.storage;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The object keys of a generation's artefacts, derived from its request id alone so that a retried request overwrites
 * its own objects instead of leaving orphans: {@code <prefix>/<requestId>/grid.png},
 * {@code <prefix>/<requestId>/trajectory.gif}, and for single images {@code <prefix>/<requestId>/images/<index>.png}
 * (index 0-based, decimal, not padded) with their list {@code <prefix>/<requestId>/images.json}.
 *
 * <p>Request ids come from outside (Kafka messages), so they are checked before they become part of a key: 1 to 128
 * characters of {@code [A-Za-z0-9._-]}, and neither {@code .} nor {@code ..}, which some S3 front ends and every
 * filesystem-backed store (S3Proxy's included) resolve as path segments.
 */
public final class ObjectKeys {

    public static final int MAX_REQUEST_ID_LENGTH = 128;

    private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._-]{1," + MAX_REQUEST_ID_LENGTH + "}");
    private static final Pattern PREFIX_SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");
    private static final String GRID = "grid.png";
    private static final String TRAJECTORY = "trajectory.gif";
    private static final String IMAGES = "images/";
    private static final String IMAGES_MANIFEST = "images.json";

    private final String prefix;

    /**
     * @param prefix one or more '/'-separated segments of {@code [A-Za-z0-9._-]}, e.g. {@code generations} or
     *               {@code env/dev/generations}; no leading or trailing '/', no empty, {@code .} or {@code ..} segments
     */
    public ObjectKeys(String prefix) {
        this.prefix = requireValidPrefix(prefix);
    }

    public String prefix() {
        return prefix;
    }

    /** Key of the PNG grid of all samples of the request. */
    public String grid(String requestId) {
        return keyOf(requestId, GRID);
    }

    /** Key of the GIF of the denoising trajectory of the request. */
    public String trajectory(String requestId) {
        return keyOf(requestId, TRAJECTORY);
    }

    /** Key of the PNG of image {@code index} (0-based, in the grid's order) of the request. */
    public String image(String requestId, int index) {
        if (index < 0) {
            throw new IllegalArgumentException("image index must be at least 0, got " + index);
        }
        return keyOf(requestId, IMAGES + index + ".png");
    }

    /** Key of the list of the request's single images (written after them: its presence means they are all there). */
    public String imagesManifest(String requestId) {
        return keyOf(requestId, IMAGES_MANIFEST);
    }

    /** Returns the request id unchanged, or throws {@link IllegalArgumentException} saying what is wrong with it. */
    public static String requireValidRequestId(String requestId) {
        if (requestId == null) {
            throw new IllegalArgumentException("request id is missing");
        }
        if (!REQUEST_ID.matcher(requestId).matches()) {
            throw new IllegalArgumentException("request id must be 1.." + MAX_REQUEST_ID_LENGTH
                    + " characters of letters, digits, '.', '_' and '-', got " + quoteForMessage(requestId));
        }
        if (isDotSegment(requestId)) {
            throw new IllegalArgumentException("request id must not be '.' or '..', got '" + requestId + "'");
        }
        return requestId;
    }

    @Override
    public String toString() {
        return "ObjectKeys[" + prefix + "]";
    }

    private String keyOf(String requestId, String fileName) {
        return prefix + "/" + requireValidRequestId(requestId) + "/" + fileName;
    }

    private static String requireValidPrefix(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        if (prefix.isEmpty()) {
            throw new IllegalArgumentException("key prefix must not be empty");
        }
        if (prefix.startsWith("/") || prefix.endsWith("/")) {
            throw new IllegalArgumentException("key prefix must not start or end with '/', got '" + prefix + "'");
        }
        for (String segment : prefix.split("/", -1)) {
            if (segment.isEmpty()) {
                throw new IllegalArgumentException("key prefix must not contain '//', got '" + prefix + "'");
            }
            if (isDotSegment(segment)) {
                throw new IllegalArgumentException("key prefix must not contain '.' or '..' segments, got '" + prefix + "'");
            }
            if (!PREFIX_SEGMENT.matcher(segment).matches()) {
                throw new IllegalArgumentException("key prefix segments must be letters, digits, '.', '_' and '-', got '" + prefix + "'");
            }
        }
        return prefix;
    }

    private static boolean isDotSegment(String segment) {
        return segment.equals(".") || segment.equals("..");
    }

    /** Quotes an untrusted value for an error message, shortened and with control characters made visible. */
    private static String quoteForMessage(String value) {
        StringBuilder quoted = new StringBuilder("'");
        value.codePoints().limit(40).forEach(c -> {
            if (Character.isISOControl(c)) {
                quoted.append(String.format("\\u%04x", c));
            } else {
                quoted.appendCodePoint(c);
            }
        });
        quoted.append("'");
        return value.length() > 40 ? quoted + " (" + value.length() + " chars)" : quoted.toString();
    }
}
