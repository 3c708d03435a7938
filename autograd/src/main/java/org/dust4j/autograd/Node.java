package org.dust4j.autograd;

import org.dust4j.tensor.Tensor;

/**
 * One recorded op: its inputs and the closure that maps the gradient of its output to gradients of
 * its inputs. Released (inputs and closure nulled) once a backward pass has gone through it.
 */
final class Node {

    /** Maps the output gradient to one gradient per input (null where {@code needs[i]} is false). */
    @FunctionalInterface
    interface Backward {
        Tensor[] apply(Tensor gradOut, boolean[] needs);
    }

    final String op;
    Var[] inputs;
    Backward backward;
    boolean released;

    Node(String op, Var[] inputs, Backward backward) {
        this.op = op;
        this.inputs = inputs;
        this.backward = backward;
    }

    boolean[] needs() {
        boolean[] n = new boolean[inputs.length];
        for (int i = 0; i < n.length; i++) n[i] = inputs[i] != null && inputs[i].requiresGrad();
        return n;
    }

    void release() {
        inputs = null;
        backward = null;
        released = true;
    }
}
