package org.dust4j.model;

import org.dust4j.autograd.F;
import org.dust4j.autograd.Var;
import org.dust4j.autograd.nn.Linear;
import org.dust4j.autograd.nn.Module;
import org.dust4j.autograd.nn.ParamInit;
import org.dust4j.tensor.Tensor;

/** GR00T's TimestepEncoder: {@code timestep_embedder.linear_2(SiLU(timestep_embedder.linear_1(tsin256(t))))}. */
public final class TimestepEncoder extends Module {
    /** diffusers' TimestepEmbedding (children linear_1, linear_2). */
    public static final class Embedder extends Module {
        public final Linear linear1, linear2;

        Embedder(int dim, ParamInit init) {
            this.linear1 = register("linear_1", new Linear(256, dim, true, init));
            this.linear2 = register("linear_2", new Linear(dim, dim, true, init));
        }
    }

    public final Embedder embedder;

    public TimestepEncoder(int dim, ParamInit init) {
        this.embedder = register("timestep_embedder", new Embedder(dim, init));
    }

    /** t [B] integer buckets (as float) -> [B, D]. */
    public Var forward(float[] t) {
        Var e = Var.constant(Sinusoids.timestep256(t).to(device()));       // built on the host from B bucket values
        return embedder.linear2.forward(F.silu(embedder.linear1.forward(e)));
    }

    /** Convenience for tensors of buckets. */
    public Var forward(Tensor t) {
        return forward(t.to(org.dust4j.tensor.Device.CPU).toFloatArray());   // B bucket values: the sinusoids are built on the host
    }
}
