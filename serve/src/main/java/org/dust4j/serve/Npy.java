package org.dust4j.serve;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The numpy {@code .npy} format (versions 1.0, 2.0 and 3.0 read, 1.0 written), which GR00T's protocol embeds in
 * msgpack ({@code np.save(..., allow_pickle=False)}). Only C-order arrays of numeric/bool dtypes; object arrays
 * (pickles) and Fortran order are rejected. Sizes are checked against the bytes present before anything is
 * allocated.
 */
public final class Npy {
    private Npy() {}

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /**
     * Parses one .npy image.
     *
     * @param bytes      the whole file
     * @param maxRank    the largest rank accepted
     * @param maxElements the most elements accepted
     */
    public static NdArray read(byte[] bytes, int maxRank, long maxElements) {
        if (bytes.length < 10 || !Arrays.equals(Arrays.copyOf(bytes, 6), MAGIC)) {
            throw new IllegalArgumentException("not a .npy array (bad magic)");
        }
        int major = bytes[6] & 0xff;
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen;
        int start;
        if (major == 1) {
            headerLen = b.getShort(8) & 0xffff;
            start = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) throw new IllegalArgumentException(".npy header truncated");
            headerLen = b.getInt(8) & 0xffffffffL;
            start = 12;
        } else {
            throw new IllegalArgumentException("unsupported .npy version " + major);
        }
        if (start + headerLen > bytes.length) throw new IllegalArgumentException(".npy header runs past the data (" + headerLen + " bytes)");
        String header = new String(bytes, start, (int) headerLen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String descr = group(DESCR, header, "descr");
        if (group(FORTRAN, header, "fortran_order").equals("True")) {
            throw new IllegalArgumentException("Fortran-order arrays are not accepted; send np.ascontiguousarray(x)");
        }
        int[] shape = parseShape(group(SHAPE, header, "shape"), maxRank);
        long n = NdArray.elementCount(shape);
        if (n > maxElements) {
            throw new IllegalArgumentException("array of shape " + Arrays.toString(shape) + " has " + n + " elements, the limit is " + maxElements);
        }
        long dataStart = start + headerLen;
        long want = n * NdArray.itemSize(descr);
        if (bytes.length - dataStart != want) {
            throw new IllegalArgumentException(".npy " + descr + " " + Arrays.toString(shape) + " needs " + want + " data bytes, has " + (bytes.length - dataStart));
        }
        return new NdArray(descr, shape, Arrays.copyOfRange(bytes, (int) dataStart, bytes.length));
    }

    /** Writes a version 1.0 .npy image (header padded to a multiple of 64 bytes, as numpy does). */
    public static byte[] write(NdArray a) {
        StringBuilder sh = new StringBuilder("(");
        int[] shape = a.shape();
        for (int i = 0; i < shape.length; i++) {
            sh.append(shape[i]).append(i == 0 && shape.length == 1 ? "," : (i + 1 < shape.length ? ", " : ""));
        }
        sh.append(')');
        String dict = "{'descr': '" + a.dtype() + "', 'fortran_order': False, 'shape': " + sh + ", }";
        int unpadded = 10 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        byte[] h = header.getBytes(StandardCharsets.ISO_8859_1);
        byte[] data = a.data();
        ByteBuffer out = ByteBuffer.allocate(10 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) h.length).put(h).put(data);
        return out.array();
    }

    private static String group(Pattern p, String header, String key) {
        Matcher m = p.matcher(header);
        if (!m.find()) throw new IllegalArgumentException(".npy header has no '" + key + "': " + header.strip());
        return m.group(1);
    }

    private static int[] parseShape(String s, int maxRank) {
        List<Integer> dims = new ArrayList<>();
        for (String part : s.split(",")) {
            String t = part.strip();
            if (t.isEmpty()) continue;
            if (t.endsWith("L")) t = t.substring(0, t.length() - 1);
            if (!t.chars().allMatch(Character::isDigit) || t.length() > 10) throw new IllegalArgumentException(".npy shape entry '" + t + "' is not a size");
            long v = Long.parseLong(t);
            if (v > Integer.MAX_VALUE) throw new IllegalArgumentException(".npy dimension " + v + " is too large");
            dims.add((int) v);
            if (dims.size() > maxRank) throw new IllegalArgumentException(".npy array has rank > " + maxRank + " (the limit)");
        }
        return dims.stream().mapToInt(Integer::intValue).toArray();
    }
}
