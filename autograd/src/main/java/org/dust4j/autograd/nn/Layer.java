package org.dust4j.autograd.nn;

import org.dust4j.autograd.Var;

/** A module with one input and one output, so a {@link ModuleList} can run a chain of them. */
public interface Layer {
    Var forward(Var x);
}
