package org.diffusionworker.imaging;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOInvalidTreeException;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Encodes pictures of one size as an animated GIF that loops forever.
 *
 * <p>Grey frames get a 256-level grey palette, so their levels survive exactly. RGB frames are
 * reduced by the JDK's GIF writer to a 256-colour palette of their own (octree quantisation, no
 * dithering), so fine colour gradients band slightly.
 *
 * <p>The JDK writer puts the loop extension after the first frame's graphic control extension
 * rather than before it; browsers and ImageIO read it there.
 */
public final class AnimatedGifEncoder {

    // The native metadata format of the JDK's GIF writer (javax.imageio GIF metadata spec).
    private static final String IMAGE_FORMAT = "javax_imageio_gif_image_1.0";

    private AnimatedGifEncoder() {
    }

    /** The GIF bytes of {@code frames}, shown in order with {@code timing}, looping forever. */
    public static byte[] encode(List<BufferedImage> frames, GifTiming timing) {
        checkFrames(frames);
        Objects.requireNonNull(timing, "timing");
        ImageWriter writer = gifWriter();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            writer.prepareWriteSequence(null);
            for (int i = 0; i < frames.size(); i++) {
                boolean last = i == frames.size() - 1;
                int delay = last ? timing.lastFrameDelayCentiseconds() : timing.frameDelayCentiseconds();
                IIOMetadata metadata = frameMetadata(writer, param, frames.get(i), delay, i == 0);
                writer.writeToSequence(new IIOImage(frames.get(i), null, metadata), param);
            }
            writer.endWriteSequence();
        } catch (IOException e) {
            // Only an in-memory stream is involved, so this is a bug, not a condition to handle.
            throw new UncheckedIOException("GIF encoding failed in memory", e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    private static void checkFrames(List<BufferedImage> frames) {
        Objects.requireNonNull(frames, "frames");
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("an animation needs at least one frame, got none");
        }
        BufferedImage first = frames.get(0);
        for (int i = 1; i < frames.size(); i++) {
            BufferedImage frame = frames.get(i);
            if (frame.getWidth() != first.getWidth() || frame.getHeight() != first.getHeight()) {
                throw new IllegalArgumentException("frame " + i + " is " + frame.getWidth() + "x"
                        + frame.getHeight() + " but frame 0 is " + first.getWidth() + "x" + first.getHeight());
            }
        }
    }

    /** A frame's metadata: its delay, and on the first frame the loop-forever extension. */
    private static IIOMetadata frameMetadata(ImageWriter writer, ImageWriteParam param, BufferedImage frame,
            int delayCentiseconds, boolean first) throws IIOInvalidTreeException {
        IIOMetadata metadata = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(frame), param);
        IIOMetadataNode root = (IIOMetadataNode) metadata.getAsTree(IMAGE_FORMAT);

        IIOMetadataNode control = child(root, "GraphicControlExtension");
        // "none" = disposal unspecified: frames are opaque and cover the whole screen, so what
        // happens to the previous frame cannot show.
        control.setAttribute("disposalMethod", "none");
        control.setAttribute("userInputFlag", "FALSE");
        control.setAttribute("transparentColorFlag", "FALSE");
        control.setAttribute("transparentColorIndex", "0");
        control.setAttribute("delayTime", Integer.toString(delayCentiseconds));

        if (first) {
            // NETSCAPE2.0 looping block: sub-block id 1, then the loop count as a little-endian
            // unsigned short; 0 means forever.
            IIOMetadataNode loop = new IIOMetadataNode("ApplicationExtension");
            loop.setAttribute("applicationID", "NETSCAPE");
            loop.setAttribute("authenticationCode", "2.0");
            loop.setUserObject(new byte[] {1, 0, 0});
            child(root, "ApplicationExtensions").appendChild(loop);
        }
        metadata.setFromTree(IMAGE_FORMAT, root);
        return metadata;
    }

    private static IIOMetadataNode child(IIOMetadataNode parent, String name) {
        for (int i = 0; i < parent.getLength(); i++) {
            if (parent.item(i).getNodeName().equals(name)) {
                return (IIOMetadataNode) parent.item(i);
            }
        }
        IIOMetadataNode node = new IIOMetadataNode(name);
        parent.appendChild(node);
        return node;
    }

    private static ImageWriter gifWriter() {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("gif");
        if (!writers.hasNext()) {
            throw new IllegalStateException("this JDK has no ImageIO GIF writer");
        }
        return writers.next();
    }
}
