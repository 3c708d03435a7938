package org.dust4j.tensor;

import java.util.Arrays;
import java.util.List;

/** Static helpers for {@code int[]} shapes: element counts, broadcasting, printing. */
public final class Shape {
    private Shape() {}

    public static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** Element count as an int, or an error naming the shape when it does not fit in one array. */
    public static int numelInt(int[] shape) {
        long n = numel(shape);
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor of shape " + str(shape) + " has " + n
                    + " elements, more than one on-heap array holds");
        }
        return (int) n;
    }

    public static int[] contiguousStrides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }

    /**
     * The broadcast shape of {@code a} and {@code b} under PyTorch's rules (align trailing dims; each
     * pair equal or one of them 1), or an error naming the op and both shapes.
     */
    public static int[] broadcast(String op, int[] a, int[] b) {
        int n = Math.max(a.length, b.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int da = i < n - a.length ? 1 : a[i - (n - a.length)];
            int db = i < n - b.length ? 1 : b[i - (n - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + str(a) + " and " + str(b)
                        + " cannot be broadcast (dim " + i + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Normalises a possibly negative axis against a rank, or an error naming the op. */
    public static int axis(String op, int axis, int rank) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException(op + ": axis " + axis + " out of range for rank " + rank);
        }
        return a;
    }

    /**
     * The output shape of concatenating {@code parts} along {@code axis}, or an error naming the shapes that do not fit:
     * every part must have the first part's rank and dtype and equal sizes outside the axis.
     */
    public static int[] concat(List<Tensor> parts, int axis) {
        if (parts.isEmpty()) throw new IllegalArgumentException("concat: no tensors");
        Tensor first = parts.get(0);
        int a = axis("concat", axis, first.rank());
        int total = 0;
        for (Tensor t : parts) {
            if (t.rank() != first.rank() || t.dtype() != first.dtype()) {
                throw new IllegalArgumentException("concat: " + str(t.shape()) + " " + t.dtype() + " does not match "
                        + str(first.shape()) + " " + first.dtype());
            }
            for (int i = 0; i < t.rank(); i++) {
                if (i != a && t.size(i) != first.size(i)) {
                    throw new IllegalArgumentException("concat: shapes " + str(first.shape()) + " and " + str(t.shape())
                            + " differ outside axis " + a);
                }
            }
            total += t.size(a);
        }
        int[] os = first.shape();
        os[a] = total;
        return os;
    }
}
