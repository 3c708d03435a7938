package org.dust4j.weights;

import java.util.Arrays;

/**
 * One tensor entry of a validated header: name, dtype, shape and its byte range relative to the start of
 * the data section.
 */
public record TensorInfo(String name, SafeDType dtype, long[] shape, long begin, long end) {

    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() { return shape.clone(); }

    public int rank() { return shape.length; }

    /** Number of elements (1 for a 0-d scalar). */
    public long numel() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** Bytes of data. */
    public long byteSize() { return end - begin; }

    /** Shape as "[2, 3]". */
    public String shapeString() { return Arrays.toString(shape); }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(shape); }

    @Override
    public String toString() { return name + " " + dtype + " " + shapeString() + " [" + begin + ", " + end + ")"; }
}
