package org.dust4j.model;

import org.dust4j.autograd.F;
import org.dust4j.autograd.Var;
import org.dust4j.autograd.nn.Module;
import org.dust4j.autograd.nn.ParamInit;
import org.dust4j.tensor.Tensor;

/** GR00T's CategorySpecificMLP: {@code layer2(ReLU(layer1(x)))} with category-specific linears. */
public final class CategorySpecificMLP extends Module {
    public final CategorySpecificLinear layer1, layer2;

    public CategorySpecificMLP(int categories, int in, int hidden, int out, ParamInit init) {
        this.layer1 = register("layer1", new CategorySpecificLinear(categories, in, hidden, init));
        this.layer2 = register("layer2", new CategorySpecificLinear(categories, hidden, out, init));
    }

    public Var forward(Var x, Tensor ids) {
        return layer2.forward(F.relu(layer1.forward(x, ids)), ids);
    }
}
