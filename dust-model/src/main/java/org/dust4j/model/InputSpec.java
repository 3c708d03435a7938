package org.dust4j.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Shape;
import org.dust4j.tensor.Tensor;

/**
 * The named inputs of one operation (contract section 7) with their shapes in terms of the batch B and the VL
 * length S (both read from {@code vl}), and whether each is integer-valued. {@link #check} turns a map of
 * tensors into validated F32 / integer tensors or throws a one-line {@link InputException}.
 */
public record InputSpec(String op, List<Entry> entries) {

    /** One input: dims use -1 for B and -2 for S. */
    public record Entry(String name, boolean integer, boolean optional, int... dims) {}

    /** A missing, misshapen or mistyped input; the message is one line naming the tensor and both shapes. */
    public static final class InputException extends IllegalArgumentException {
        public InputException(String message) {
            super(message);
        }
    }

    static Entry f(String name, int... dims) { return new Entry(name, false, false, dims); }

    static Entry i(String name, int... dims) { return new Entry(name, true, false, dims); }

    static Entry opt(String name, int... dims) { return new Entry(name, false, true, dims); }

    /** The expected shape of an entry for batch b and VL length s. */
    public static int[] shape(Entry e, int b, int s) {
        int[] out = e.dims().clone();
        for (int k = 0; k < out.length; k++) out[k] = out[k] == -1 ? b : out[k] == -2 ? s : out[k];
        return out;
    }

    /**
     * Checks every entry (missing, rank/shape, dtype class) and returns the inputs with floating tensors
     * converted to contiguous F32 (integers kept). Extra tensors are ignored.
     */
    public Map<String, Tensor> check(Map<String, Tensor> in) {
        return check(in, false);
    }

    /**
     * As {@link #check(Map)}; unless {@code allowNonFinite}, a floating input holding NaN or ±Infinity is an error
     * naming the tensor and the first such element (the CLI's {@code --allow-non-finite} lets them through, and
     * they then propagate as in PyTorch).
     */
    public Map<String, Tensor> check(Map<String, Tensor> in, boolean allowNonFinite) {
        Tensor vl = in.get("vl");
        Entry vlE = entries.get(0);
        if (vl == null) throw new InputException(op + ": input 'vl' is missing (expected " + dimsStr(vlE) + ")");
        if (vl.rank() != 3) {
            throw new InputException(op + ": input 'vl' has shape " + Shape.str(vl.shape()) + " but the model expects " + dimsStr(vlE));
        }
        int b = vl.size(0), s = vl.size(1);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Entry e : entries) {
            Tensor t = in.get(e.name());
            int[] want = shape(e, b, s);
            if (t == null) {
                if (e.optional()) continue;
                throw new InputException(op + ": input '" + e.name() + "' is missing (expected " + Shape.str(want)
                        + (e.integer() ? " I64/I32" : " F32/F16/BF16") + ")");
            }
            boolean scalarOk = want.length == 0 && t.rank() == 1 && t.size(0) == 1;
            if (!java.util.Arrays.equals(t.shape(), want) && !scalarOk) {
                throw new InputException(op + ": input '" + e.name() + "' has shape " + Shape.str(t.shape())
                        + " but the model expects " + Shape.str(want));
            }
            if (e.integer() == t.dtype().isFloating()) {
                throw new InputException(op + ": input '" + e.name() + "' " + Shape.str(t.shape()) + " has dtype " + t.dtype()
                        + " but " + Shape.str(want) + (e.integer() ? " I64 or I32" : " F32, F16 or BF16") + " is expected");
            }
            Tensor v = e.integer() ? t : t.to(DType.F32).contiguous();
            if (!e.integer() && !allowNonFinite) requireFinite(e.name(), v);
            out.put(e.name(), v);
        }
        return out;
    }

    private void requireFinite(String name, Tensor v) {
        float[] a = v.toFloatArray();
        int first = -1, count = 0;
        for (int i = 0; i < a.length; i++) {
            if (!Float.isFinite(a[i])) {
                if (first < 0) first = i;
                count++;
            }
        }
        if (first < 0) return;
        int[] idx = new int[v.rank()];
        for (int k = v.rank() - 1, r = first; k >= 0; k--) {
            idx[k] = r % v.size(k);
            r /= v.size(k);
        }
        throw new InputException(op + ": input '" + name + "' " + Shape.str(v.shape()) + " holds " + a[first] + " at " + Shape.str(idx)
                + (count > 1 ? " (" + count + " non-finite values in all)" : "") + "; inputs must be finite (--allow-non-finite lets them through)");
    }

    private static String dimsStr(Entry e) {
        StringBuilder sb = new StringBuilder("[");
        for (int k = 0; k < e.dims().length; k++) {
            if (k > 0) sb.append(',');
            int d = e.dims()[k];
            sb.append(d == -1 ? "B" : d == -2 ? "S" : Integer.toString(d));
        }
        return sb.append(']').toString();
    }
}
