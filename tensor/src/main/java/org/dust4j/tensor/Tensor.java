package org.dust4j.tensor;

import java.util.Arrays;

/**
 * An n-dimensional view: shape, strides (in elements), offset, over a {@link Storage}. Views
 * (reshape of contiguous data, transpose, permute, narrow, expand) share storage; nothing here computes.
 * Ops live on {@link Backend}; autograd wraps tensors in its own variables.
 */
public final class Tensor {
    private final Storage storage;
    private final int[] shape;
    private final int[] strides;
    private final int offset;

    public Tensor(Storage storage, int[] shape, int[] strides, int offset) {
        if (shape.length != strides.length) {
            throw new IllegalArgumentException("shape " + Shape.str(shape) + " and strides "
                    + Arrays.toString(strides) + " differ in rank");
        }
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Shape.str(shape));
        }
        this.storage = storage;
        this.shape = shape.clone();
        this.strides = strides.clone();
        this.offset = offset;
    }

    // ---------------------------------------------------------------- factories (CPU)

    public static Tensor zeros(DType dtype, int... shape) {
        return new Tensor(Storage.cpu(dtype, Shape.numelInt(shape)), shape, Shape.contiguousStrides(shape), 0);
    }

    public static Tensor zeros(int... shape) {
        return zeros(DType.F32, shape);
    }

    /** Wraps (does not copy) an F32 array as a contiguous tensor (later direct writes: see {@link #floatData()}). */
    public static Tensor of(float[] data, int... shape) {
        checkLength(data.length, shape);
        return new Tensor(new CpuStorage.Floats(data), shape, Shape.contiguousStrides(shape), 0);
    }

    public static Tensor ofLongs(long[] data, int... shape) {
        checkLength(data.length, shape);
        return new Tensor(new CpuStorage.Longs(data), shape, Shape.contiguousStrides(shape), 0);
    }

    public static Tensor ofInts(int[] data, int... shape) {
        checkLength(data.length, shape);
        return new Tensor(new CpuStorage.Ints(data), shape, Shape.contiguousStrides(shape), 0);
    }

    /** Wraps BF16 or F16 bit patterns. */
    public static Tensor ofHalfBits(DType dtype, short[] bits, int... shape) {
        checkLength(bits.length, shape);
        return new Tensor(new CpuStorage.Shorts(dtype, bits), shape, Shape.contiguousStrides(shape), 0);
    }

    public static Tensor scalar(float v) {
        return of(new float[] {v});
    }

    public static Tensor full(float v, int... shape) {
        float[] d = new float[Shape.numelInt(shape)];
        Arrays.fill(d, v);
        return of(d, shape);
    }

    private static void checkLength(int length, int[] shape) {
        if (Shape.numel(shape) != length) {
            throw new IllegalArgumentException("data of length " + length + " does not fill shape "
                    + Shape.str(shape) + " (" + Shape.numel(shape) + " elements)");
        }
    }

    // ---------------------------------------------------------------- accessors

    public Storage storage() { return storage; }

    public DType dtype() { return storage.dtype(); }

    public Device device() { return storage.device(); }

    public int[] shape() { return shape.clone(); }

    public int[] strides() { return strides.clone(); }

    public int offset() { return offset; }

    public int rank() { return shape.length; }

    public int size(int axis) { return shape[Shape.axis("size", axis, shape.length)]; }

    public int stride(int axis) { return strides[Shape.axis("stride", axis, shape.length)]; }

    public int numel() { return (int) Shape.numel(shape); }

    public boolean sameShape(Tensor o) { return Arrays.equals(shape, o.shape); }

    /** True when elements are laid out densely in row-major order (size-1 dims may have any stride). */
    public boolean isContiguous() {
        int expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] == 1) continue;
            if (strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    /**
     * The backing F32 array of a CPU F32 tensor (not a copy; honour {@link #offset()} and strides). Whoever writes into
     * it after the tensor may have been a GEMM right operand calls {@link GemmPack#invalidate(float[])} afterwards.
     */
    public float[] floatData() {
        if (storage instanceof CpuStorage.Floats f) return f.data();
        throw new IllegalStateException("floatData() needs a CPU F32 tensor, this one is "
                + dtype() + " on " + device());
    }

    /** Storage index of the element at a multi-index. */
    public int index(int... idx) {
        if (idx.length != shape.length) {
            throw new IllegalArgumentException("index of rank " + idx.length + " for tensor of shape " + Shape.str(shape));
        }
        int p = offset;
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + idx[i] + " out of range [0, " + shape[i]
                        + ") on axis " + i + " of shape " + Shape.str(shape));
            }
            p += idx[i] * strides[i];
        }
        return p;
    }

    /** Element at a multi-index as a float (any CPU dtype). */
    public float getFloat(int... idx) {
        return readFloat(index(idx));
    }

    public void setFloat(float v, int... idx) {
        int p = index(idx);
        switch (storage) {
            case CpuStorage.Floats f -> {
                f.data()[p] = v;
                GemmPack.invalidate(f.data());   // the array may hold a GEMM operand's cached panels
            }
            case CpuStorage.Shorts s -> s.data()[p] = s.dtype() == DType.BF16 ? Half.floatToBf16(v) : Half.floatToF16(v);
            case CpuStorage.Longs l -> l.data()[p] = (long) v;
            case CpuStorage.Ints n -> n.data()[p] = (int) v;
            default -> throw new IllegalStateException("setFloat needs a CPU tensor, this one is on " + device());
        }
    }

    public long getLong(int... idx) {
        int p = index(idx);
        return switch (storage) {
            case CpuStorage.Longs l -> l.data()[p];
            case CpuStorage.Ints n -> n.data()[p];
            default -> (long) readFloat(p);
        };
    }

    float readFloat(int p) {
        return switch (storage) {
            case CpuStorage.Floats f -> f.data()[p];
            case CpuStorage.Shorts s -> s.dtype() == DType.BF16 ? Half.bf16ToFloat(s.data()[p]) : Half.f16ToFloat(s.data()[p]);
            case CpuStorage.Longs l -> l.data()[p];
            case CpuStorage.Ints n -> n.data()[p];
            default -> throw new IllegalStateException("element access needs a CPU tensor, this one is on " + device());
        };
    }

    /** All elements in logical row-major order as F32 (a fresh array; works for any view and CPU dtype). */
    public float[] toFloatArray() {
        float[] out = new float[numel()];
        if (out.length == 0) return out;
        if (storage instanceof CpuStorage.Floats f && isContiguous()) {
            System.arraycopy(f.data(), offset, out, 0, out.length);
            return out;
        }
        int[] idx = new int[shape.length];
        int p = offset;
        for (int i = 0; i < out.length; i++) {
            out[i] = readFloat(p);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) {
                    p += strides[d];
                    break;
                }
                p -= strides[d] * (shape[d] - 1);
                idx[d] = 0;
            }
        }
        return out;
    }

    /** All elements in logical order as longs (integer tensors). */
    public long[] toLongArray() {
        long[] out = new long[numel()];
        int[] idx = new int[shape.length];
        for (int i = 0; i < out.length; i++) {
            int p = offset;
            for (int d = 0; d < shape.length; d++) p += idx[d] * strides[d];
            out[i] = switch (storage) {
                case CpuStorage.Longs l -> l.data()[p];
                case CpuStorage.Ints n -> n.data()[p];
                default -> (long) readFloat(p);
            };
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- views

    /** Reshape without copying; -1 infers one dim. Non-contiguous input is an error: call {@code contiguous} first. */
    public Tensor reshape(int... newShape) {
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("reshape: more than one -1 in " + Shape.str(newShape));
                infer = i;
            } else {
                known *= s[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || numel() % known != 0) {
                throw new IllegalArgumentException("reshape: cannot infer -1 in " + Shape.str(newShape) + " from " + Shape.str(shape));
            }
            s[infer] = (int) (numel() / known);
        }
        if (Shape.numel(s) != numel()) {
            throw new IllegalArgumentException("reshape: shape " + Shape.str(shape) + " (" + numel()
                    + " elements) cannot become " + Shape.str(newShape));
        }
        if (!isContiguous()) {
            throw new IllegalArgumentException("reshape: tensor of shape " + Shape.str(shape) + " with strides "
                    + Arrays.toString(strides) + " is not contiguous; call contiguous() first");
        }
        return new Tensor(storage, s, Shape.contiguousStrides(s), offset);
    }

    public Tensor transpose(int a, int b) {
        int x = Shape.axis("transpose", a, shape.length), y = Shape.axis("transpose", b, shape.length);
        int[] p = new int[shape.length];
        for (int i = 0; i < p.length; i++) p[i] = i;
        p[x] = y;
        p[y] = x;
        return permute(p);
    }

    /** Transpose of the last two axes. */
    public Tensor mT() {
        if (shape.length < 2) throw new IllegalArgumentException("mT: needs rank >= 2, shape is " + Shape.str(shape));
        return transpose(-2, -1);
    }

    public Tensor permute(int... order) {
        if (order.length != shape.length) {
            throw new IllegalArgumentException("permute: order " + Arrays.toString(order) + " for shape " + Shape.str(shape));
        }
        int[] ns = new int[order.length], nst = new int[order.length];
        boolean[] seen = new boolean[order.length];
        for (int i = 0; i < order.length; i++) {
            int a = Shape.axis("permute", order[i], shape.length);
            if (seen[a]) throw new IllegalArgumentException("permute: axis " + a + " repeated in " + Arrays.toString(order));
            seen[a] = true;
            ns[i] = shape[a];
            nst[i] = strides[a];
        }
        return new Tensor(storage, ns, nst, offset);
    }

    /** Elements {@code start .. start+length-1} along one axis. */
    public Tensor narrow(int axis, int start, int length) {
        int a = Shape.axis("narrow", axis, shape.length);
        if (start < 0 || length < 0 || start + length > shape[a]) {
            throw new IndexOutOfBoundsException("narrow: range [" + start + ", " + (start + length)
                    + ") out of bounds [0, " + shape[a] + ") on axis " + a + " of shape " + Shape.str(shape));
        }
        int[] ns = shape.clone();
        ns[a] = length;
        return new Tensor(storage, ns, strides, offset + start * strides[a]);
    }

    /** Index one position along an axis, dropping it. */
    public Tensor select(int axis, int index) {
        int a = Shape.axis("select", axis, shape.length);
        Tensor n = narrow(a, index, 1);
        return n.squeeze(a);
    }

    /** Broadcast view to a larger shape (size-1 dims and new leading dims get stride 0). */
    public Tensor expand(int... target) {
        if (target.length < shape.length) {
            throw new IllegalArgumentException("expand: shape " + Shape.str(shape) + " cannot expand to fewer dims " + Shape.str(target));
        }
        int lead = target.length - shape.length;
        int[] nst = new int[target.length];
        for (int i = 0; i < target.length; i++) {
            if (i < lead) {
                nst[i] = 0;
                continue;
            }
            int d = shape[i - lead];
            if (d == target[i]) {
                nst[i] = strides[i - lead];
            } else if (d == 1) {
                nst[i] = 0;
            } else {
                throw new IllegalArgumentException("expand: shape " + Shape.str(shape) + " cannot expand to " + Shape.str(target));
            }
        }
        return new Tensor(storage, target, nst, offset);
    }

    public Tensor unsqueeze(int axis) {
        int a = axis < 0 ? axis + shape.length + 1 : axis;
        if (a < 0 || a > shape.length) throw new IllegalArgumentException("unsqueeze: axis " + axis + " for rank " + shape.length);
        int[] ns = new int[shape.length + 1], nst = new int[shape.length + 1];
        for (int i = 0, j = 0; i < ns.length; i++) {
            if (i == a) {
                ns[i] = 1;
                nst[i] = j < shape.length ? strides[j] * shape[j] : 1;
            } else {
                ns[i] = shape[j];
                nst[i] = strides[j];
                j++;
            }
        }
        return new Tensor(storage, ns, nst, offset);
    }

    public Tensor squeeze(int axis) {
        int a = Shape.axis("squeeze", axis, shape.length);
        if (shape[a] != 1) throw new IllegalArgumentException("squeeze: axis " + a + " of shape " + Shape.str(shape) + " is not 1");
        int[] ns = new int[shape.length - 1], nst = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i == a) continue;
            ns[j] = shape[i];
            nst[j++] = strides[i];
        }
        return new Tensor(storage, ns, nst, offset);
    }

    /** This tensor if already contiguous, else a dense copy on the same device. */
    public Tensor contiguous() {
        if (isContiguous()) return this;
        return Backends.forDevice(device()).copy(this);
    }

    /**
     * This tensor on {@code target}: itself when already there, else a dense copy (downloaded through the source
     * device's backend, uploaded through the target's).
     */
    public Tensor to(Device target) {
        if (target.equals(device())) return this;
        Tensor cpu = device().equals(Device.CPU) ? this : Backends.forDevice(device()).toCpu(this);
        return target.equals(Device.CPU) ? cpu : Backends.forDevice(target).fromCpu(cpu);
    }

    /** The value of a one-element tensor as a float (a device tensor is read back: for metrics, not hot paths). */
    public float item() {
        if (numel() != 1) throw new IllegalArgumentException("item: needs one element, got shape " + Shape.str(shape));
        Tensor c = device().equals(Device.CPU) ? this : to(Device.CPU);
        return c.readFloat(c.offset);
    }

    /** Converted copy (or this tensor when the dtype already matches). */
    public Tensor to(DType target) {
        if (target == dtype()) return this;
        return Backends.forDevice(device()).convert(this, target);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Tensor(").append(dtype()).append(", ").append(Shape.str(shape));
        if (!device().equals(Device.CPU)) sb.append(", ").append(device());
        if (numel() <= 16 && device().equals(Device.CPU)) sb.append(", ").append(Arrays.toString(toFloatArray()));
        return sb.append(')').toString();
    }
}
