package org.dust4j.model;

import org.dust4j.autograd.Var;
import org.dust4j.autograd.nn.Module;
import org.dust4j.autograd.nn.ParamInit;

/** A learned table with only a {@code weight} [rows, dim] (nn.Embedding used by row range), init N(0, std^2). */
public final class Table extends Module {
    public final Var weight;

    public Table(int rows, int dim, float std, ParamInit init) {
        this.weight = param("weight", init.normal(std, rows, dim));
    }
}
