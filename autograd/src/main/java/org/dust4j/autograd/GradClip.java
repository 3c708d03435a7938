package org.dust4j.autograd;

import java.util.Collection;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Ops;
import org.dust4j.tensor.Tensor;

/** Gradient clipping as torch.nn.utils.clip_grad_norm_ (L2 norm over all gradients together). */
public final class GradClip {
    private GradClip() {}

    /**
     * Scales every gradient by {@code maxNorm / (total + 1e-6)} when that is below 1, where total is the
     * L2 norm of all gradients together (parameters without a gradient are ignored). Returns total.
     */
    public static double clipGradNorm(Collection<Var> params, double maxNorm) {
        double sumSq = 0;
        for (Var p : params) {
            if (p.grad() != null) sumSq += F.backend(p.grad()).sumSquares(p.grad());
        }
        double total = Math.sqrt(sumSq);
        double coef = maxNorm / (total + 1e-6);
        if (coef < 1.0) {
            for (Var p : params) {
                Tensor g = p.grad();
                if (g == null) continue;
                Backend be = F.backend(g);
                p.setGrad(be.scalar(Ops.Scalar.MUL, g, (float) coef));
            }
        }
        return total;
    }
}
