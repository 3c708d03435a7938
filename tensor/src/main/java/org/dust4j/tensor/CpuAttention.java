package org.dust4j.tensor;

/** Fused attention on the CPU (placeholder: delegates to the reference until the online-softmax kernel lands). */
final class CpuAttention {
    private CpuAttention() {}

    static Backend.AttentionResult attention(Tensor q, Tensor k, Tensor v, float scale) { return Backends.reference().attention(q, k, v, scale); }

    static Backend.AttentionGrads attentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor gradOut, float scale) {
        return Backends.reference().attentionBackward(q, k, v, out, lse, gradOut, scale);
    }
}
