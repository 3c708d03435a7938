package org.dust4j.cli;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import org.dust4j.sim.Frame;
import org.dust4j.weights.AtomicFiles;

/** Labelled pictures of simulator frames: one panel per frame, filmstrips (PNG) and animations (GIF, javax.imageio). */
final class Filmstrip {
    private Filmstrip() {}

    static final int HEADER = 22;

    /** The top view above the wrist view, scaled, with {@code caption} beside the wrist view. */
    static BufferedImage panel(Frame f, int scale, String caption) {
        int w = f.topSize() * scale, h = w + f.wristSize() * scale;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        blit(img, f.top(), f.topSize(), scale, 0, 0);
        blit(img, f.wrist(), f.wristSize(), scale, 0, w);
        Graphics2D g = graphics(img);
        g.setColor(Color.WHITE);
        g.drawString(caption, f.wristSize() * scale + 4, w + g.getFontMetrics().getAscent() + 2);
        g.dispose();
        return img;
    }

    /** Panels side by side under a header line with {@code title}. */
    static BufferedImage strip(List<BufferedImage> panels, String title) {
        int w = 0, h = 0;
        for (BufferedImage p : panels) {
            w += p.getWidth() + 2;
            h = Math.max(h, p.getHeight());
        }
        BufferedImage img = new BufferedImage(Math.max(w - 2, 1), h + HEADER, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = graphics(img);
        g.setColor(new Color(40, 40, 40));
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.WHITE);
        g.drawString(title, 4, g.getFontMetrics().getAscent() + 3);
        int x = 0;
        for (BufferedImage p : panels) {
            g.drawImage(p, x, HEADER, null);
            x += p.getWidth() + 2;
        }
        g.dispose();
        return img;
    }

    /** One animation frame: a panel under a header line. */
    static BufferedImage titled(BufferedImage panel, String title) {
        return strip(List.of(panel), title);
    }

    private static Graphics2D graphics(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        return g;
    }

    private static void blit(BufferedImage img, byte[] rgb, int n, int scale, int x0, int y0) {
        for (int y = 0; y < n * scale; y++)
            for (int x = 0; x < n * scale; x++) {
                int p = ((y / scale) * n + x / scale) * 3;
                img.setRGB(x0 + x, y0 + y, ((rgb[p] & 255) << 16) | ((rgb[p + 1] & 255) << 8) | (rgb[p + 2] & 255));
            }
    }

    /** Checks that {@code out}'s folder exists; the message names the folder. */
    static void requireFolder(Path out, String who) {
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new IllegalArgumentException(who + ": folder " + parent + " does not exist (create it first)");
        }
    }

    /** Writes a PNG atomically ({@link AtomicFiles}: temp file, fsync, rename). */
    static void writePng(BufferedImage img, Path out) throws IOException {
        AtomicFiles.writeVia(out, tmp -> {
            if (!ImageIO.write(img, "png", tmp.toFile())) throw new IOException(out + ": no PNG writer available");
        });
    }

    /** Writes an endlessly looping animated GIF, {@code delayCs} hundredths of a second per frame, atomically. */
    static void writeGif(List<BufferedImage> frames, int delayCs, Path out) throws IOException {
        if (frames.isEmpty()) throw new IllegalArgumentException("no frames for " + out);
        AtomicFiles.writeVia(out, tmp -> {
            ImageWriter w = ImageIO.getImageWritersByFormatName("gif").next();
            try (ImageOutputStream ios = ImageIO.createImageOutputStream(tmp.toFile())) {
                w.setOutput(ios);
                w.prepareWriteSequence(null);
                for (int i = 0; i < frames.size(); i++) {
                    BufferedImage f = frames.get(i);
                    ImageWriteParam p = w.getDefaultWriteParam();
                    IIOMetadata md = w.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(f), p);
                    String fmt = md.getNativeMetadataFormatName();
                    IIOMetadataNode root = (IIOMetadataNode) md.getAsTree(fmt);
                    IIOMetadataNode gce = child(root, "GraphicControlExtension");
                    gce.setAttribute("disposalMethod", "none");
                    gce.setAttribute("userInputFlag", "FALSE");
                    gce.setAttribute("transparentColorFlag", "FALSE");
                    gce.setAttribute("delayTime", Integer.toString(delayCs));
                    gce.setAttribute("transparentColorIndex", "0");
                    if (i == 0) {
                        IIOMetadataNode app = new IIOMetadataNode("ApplicationExtension");
                        app.setAttribute("applicationID", "NETSCAPE");
                        app.setAttribute("authenticationCode", "2.0");
                        app.setUserObject(new byte[] {1, 0, 0});   // loop forever
                        child(root, "ApplicationExtensions").appendChild(app);
                    }
                    md.setFromTree(fmt, root);
                    w.writeToSequence(new IIOImage(f, null, md), p);
                }
                w.endWriteSequence();
            } finally {
                w.dispose();
            }
        });
    }

    private static IIOMetadataNode child(IIOMetadataNode root, String name) {
        for (int i = 0; i < root.getLength(); i++) {
            if (root.item(i).getNodeName().equalsIgnoreCase(name)) return (IIOMetadataNode) root.item(i);
        }
        IIOMetadataNode n = new IIOMetadataNode(name);
        root.appendChild(n);
        return n;
    }
}
