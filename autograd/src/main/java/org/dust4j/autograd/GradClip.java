package org.dust4j.autograd;

import java.util.Collection;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Device;
import org.dust4j.tensor.Ops;
import org.dust4j.tensor.Tensor;

/** Gradient clipping as torch.nn.utils.clip_grad_norm_ (L2 norm over all gradients together). */
public final class GradClip {
    private GradClip() {}

    /**
     * Scales every gradient by {@code maxNorm / (total + 1e-6)} when that is below 1, where total is the
     * L2 norm of all gradients together (parameters without a gradient are ignored). Returns total. CPU gradients are
     * summed in double ({@link Backend#sumSquares}); device gradients are squared and summed on their device into one
     * 0-d tensor, read once (one host read per call, not one per parameter).
     */
    public static double clipGradNorm(Collection<Var> params, double maxNorm) {
        double sumSq = 0;
        Tensor onDevice = null;
        for (Var p : params) {
            Tensor g = p.grad();
            if (g == null) continue;
            Backend be = F.backend(g);
            if (g.device().equals(Device.CPU)) {
                sumSq += be.sumSquares(g);
            } else {
                Tensor s = be.reduce(Ops.Reduce.SUM, be.unary(Ops.Unary.SQUARE, g.contiguous().reshape(-1)), 0, false);
                onDevice = onDevice == null ? s : be.binary(Ops.Binary.ADD, onDevice, s);
            }
        }
        if (onDevice != null) sumSq += onDevice.item();
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
