package org.dust4j.autograd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Shape;
import org.dust4j.tensor.Tensor;

/**
 * A tensor in the autograd graph: a leaf (a constant or a parameter) or the output of a recorded op.
 * {@link #backward()} runs reverse mode from this variable, accumulates gradients into the leaves that
 * require them (adding to what earlier calls left there, as torch does) and then releases the graph.
 */
public final class Var {
    private Tensor value;
    private Tensor grad;
    private boolean requiresGrad;
    private Node node;

    private Var(Tensor value, boolean requiresGrad, Node node) {
        if (value == null) throw new IllegalArgumentException("Var: value is null");
        this.value = value;
        this.requiresGrad = requiresGrad;
        this.node = node;
    }

    /** A leaf that never receives a gradient. */
    public static Var constant(Tensor t) {
        return new Var(t, false, null);
    }

    /** A leaf that requires a gradient (a trainable parameter). */
    public static Var param(Tensor t) {
        return new Var(t, true, null);
    }

    /** The output of a recorded op. */
    static Var ofNode(Tensor t, Node node) {
        return new Var(t, true, node);
    }

    public Tensor value() { return value; }

    /** The accumulated gradient of a leaf, or null until a backward pass reaches it (or after {@link #zeroGrad()}). */
    public Tensor grad() { return grad; }

    public boolean requiresGrad() { return requiresGrad; }

    /** True for constants and parameters, false for op outputs. */
    public boolean isLeaf() { return node == null; }

    public int[] shape() { return value.shape(); }

    /** Freezes or unfreezes a leaf; op outputs cannot be changed. */
    public Var setRequiresGrad(boolean on) {
        if (node != null) throw new IllegalStateException("setRequiresGrad: only leaves can change, this is the output of " + node.op);
        requiresGrad = on;
        return this;
    }

    /** Sets the gradient to null. */
    public void zeroGrad() { grad = null; }

    /** Replaces the gradient of a leaf (optimiser helpers: clipping). */
    void setGrad(Tensor g) {
        if (g != null && !Arrays.equals(g.shape(), value.shape())) {
            throw new IllegalArgumentException("setGrad: gradient " + Shape.str(g.shape()) + " does not match value "
                    + Shape.str(value.shape()));
        }
        grad = g;
    }

    /** A constant sharing this variable's value, cut from the graph. */
    public Var detach() {
        return constant(value);
    }

    /** Replaces the value with a tensor of the same shape (optimisers, state loading). */
    public void setValue(Tensor t) {
        if (!Arrays.equals(t.shape(), value.shape())) {
            throw new IllegalArgumentException("setValue: new value " + Shape.str(t.shape()) + " does not match "
                    + Shape.str(value.shape()));
        }
        value = t;
    }

    /** Name of the op that produced this variable, or "leaf". */
    public String op() { return node == null ? "leaf" : node.op; }

    /** Backward from a one-element output with seed 1. */
    public void backward() {
        if (value.numel() != 1) {
            throw new IllegalArgumentException("backward: output has shape " + Shape.str(value.shape())
                    + " (" + value.numel() + " elements); pass a seed gradient for non-scalar outputs");
        }
        Backend be = F.backend(value);
        Tensor seed = be.zeros(value.dtype(), value.shape());
        be.fill(seed, 1f);
        backward(seed);
    }

    /** Backward with an explicit gradient of some scalar with respect to this variable (same shape). */
    public void backward(Tensor seed) {
        if (!Arrays.equals(seed.shape(), value.shape())) {
            throw new IllegalArgumentException("backward: seed " + Shape.str(seed.shape()) + " does not match output "
                    + Shape.str(value.shape()));
        }
        if (!requiresGrad) {
            throw new IllegalStateException("backward: output does not require grad (built from constants or under GradMode.noGrad)");
        }
        if (node != null && node.released) {
            throw new IllegalStateException("backward: the graph of this output (" + node.op
                    + ") was already released by an earlier backward call");
        }
        List<Var> order = topologicalOrder();
        Map<Var, Tensor> pending = new IdentityHashMap<>();
        pending.put(this, seed);
        try {
            for (Var v : order) {
                Tensor g = pending.remove(v);
                if (g == null) continue;
                if (v.node == null) {
                    v.accumulate(g);
                    continue;
                }
                Node n = v.node;
                Tensor[] grads = n.backward.apply(g, n.needs());
                for (int i = 0; i < n.inputs.length; i++) {
                    Var in = n.inputs[i];
                    if (in == null || !in.requiresGrad || grads[i] == null) continue;
                    if (!Arrays.equals(grads[i].shape(), in.value.shape())) {
                        throw new IllegalStateException("backward of " + n.op + ": gradient " + Shape.str(grads[i].shape())
                                + " for input " + i + " of shape " + Shape.str(in.value.shape()));
                    }
                    Tensor prev = pending.get(in);
                    pending.put(in, prev == null ? grads[i] : F.backend(prev).binary(org.dust4j.tensor.Ops.Binary.ADD, prev, grads[i]));
                }
            }
        } finally {
            for (Var v : order) {
                if (v.node != null) v.node.release();
            }
        }
    }

    /**
     * Gradients are never modified in place (by backward closures, accumulation, clipping or AdamW), so a leaf
     * can keep a contiguous incoming gradient without copying it; accumulation makes a new sum.
     */
    private void accumulate(Tensor g) {
        Backend be = F.backend(value);
        if (grad == null) grad = g.isContiguous() && g.dtype() == value.dtype() ? g : be.copy(g);
        else grad = be.binary(org.dust4j.tensor.Ops.Binary.ADD, grad, g);
    }

    /** Every variable reachable from this one that requires grad, each after all of its consumers. */
    private List<Var> topologicalOrder() {
        List<Var> post = new ArrayList<>();
        Map<Var, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>();   // {var, next input index}
        seen.put(this, Boolean.TRUE);
        stack.push(new Object[] {this, 0});
        while (!stack.isEmpty()) {
            Object[] top = stack.peek();
            Var v = (Var) top[0];
            int i = (Integer) top[1];
            Var[] ins = v.node == null ? null : v.node.inputs;
            if (ins == null || i >= ins.length) {
                stack.pop();
                post.add(v);
                continue;
            }
            top[1] = i + 1;
            Var in = ins[i];
            if (in != null && in.requiresGrad && seen.put(in, Boolean.TRUE) == null) {
                if (in.node != null && in.node.released) {
                    throw new IllegalStateException("backward: input produced by " + in.node.op
                            + " belongs to a graph already released by an earlier backward call");
                }
                stack.push(new Object[] {in, 0});
            }
        }
        java.util.Collections.reverse(post);
        return post;
    }

    @Override
    public String toString() {
        return "Var(" + op() + ", " + value + (requiresGrad ? ", requiresGrad" : "") + ")";
    }
}
