package org.dust4j.tensor;

import java.util.List;

/** Gather, scatter-add and concat on the CPU (placeholder: delegates to the reference). */
final class CpuIndex {
    private CpuIndex() {}

    static Tensor embedding(Tensor table, Tensor indices) { return Backends.reference().embedding(table, indices); }

    static Tensor scatterAddRows(Tensor src, Tensor indices, int numRows) { return Backends.reference().scatterAddRows(src, indices, numRows); }

    static Tensor concat(List<Tensor> parts, int axis) { return Backends.reference().concat(parts, axis); }
}
