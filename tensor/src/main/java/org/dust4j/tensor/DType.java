package org.dust4j.tensor;

/** Element types a {@link Tensor} can hold. Floating types compute in F32; BF16/F16 are storage formats. */
public enum DType {
    F32(4, true), BF16(2, true), F16(2, true), I64(8, false), I32(4, false);

    private final int byteSize;
    private final boolean floating;

    DType(int byteSize, boolean floating) {
        this.byteSize = byteSize;
        this.floating = floating;
    }

    public int byteSize() { return byteSize; }

    public boolean isFloating() { return floating; }
}
