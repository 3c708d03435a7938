package org.dust4j.autograd.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dust4j.autograd.Var;
import org.dust4j.tensor.Device;
import org.dust4j.tensor.Tensor;

/**
 * A tree of parameters and child modules with torch's naming: {@link #namedParameters()} lists this
 * module's own parameters, then each child's under {@code childName.}, in registration order (as
 * torch's {@code named_parameters}).
 */
public abstract class Module {
    private final Map<String, Var> params = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Registers a child module under {@code name} and returns it. */
    protected <M extends Module> M register(String name, M child) {
        checkName(name);
        if (child == null) throw new IllegalArgumentException("register: child '" + name + "' is null");
        children.put(name, child);
        ((Module) child).setTraining(training);
        return child;
    }

    /** Creates a trainable parameter holding {@code init} under {@code name}. */
    protected Var param(String name, Tensor init) {
        checkName(name);
        Var v = Var.param(init);
        params.put(name, v);
        return v;
    }

    private void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("module names must be non-empty without '.', got '" + name + "'");
        }
        if (params.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("name '" + name + "' is already registered in " + getClass().getSimpleName());
        }
    }

    /** Every parameter by dotted name (own parameters first, then children's, each in registration order). */
    public Map<String, Var> namedParameters() {
        Map<String, Var> out = new LinkedHashMap<>();
        collect("", out);
        return out;
    }

    private void collect(String prefix, Map<String, Var> out) {
        for (Map.Entry<String, Var> e : params.entrySet()) out.put(prefix + e.getKey(), e.getValue());
        for (Map.Entry<String, Module> e : children.entrySet()) e.getValue().collect(prefix + e.getKey() + ".", out);
    }

    /** The parameters of {@link #namedParameters()} in the same order. */
    public List<Var> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Direct children by name, in registration order. */
    public Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** Switches this module and all descendants to training mode (dropout active). */
    public Module train() {
        setTraining(true);
        return this;
    }

    /** Switches this module and all descendants to evaluation mode (dropout off). */
    public Module eval() {
        setTraining(false);
        return this;
    }

    private void setTraining(boolean on) {
        training = on;
        for (Module c : children.values()) c.setTraining(on);
    }

    public boolean isTraining() { return training; }

    /** The device of the parameters (the CPU for a module without any). */
    public Device device() {
        Var p = firstParameter();
        return p == null ? Device.CPU : p.value().device();
    }

    private Var firstParameter() {
        for (Var v : params.values()) return v;
        for (Module c : children.values()) {
            Var p = c.firstParameter();
            if (p != null) return p;
        }
        return null;
    }

    /**
     * Moves every parameter to {@code device}, in place: the same {@link Var} objects then hold tensors on that device
     * (so optimisers built over them keep working; their moments follow the parameters lazily). Gradients are cleared.
     * Returns this module.
     */
    public Module to(Device device) {
        for (Var p : parameters()) {
            p.setValue(p.value().to(device));
            p.zeroGrad();
        }
        return this;
    }

    /** Sets every parameter's gradient to null. */
    public void zeroGrad() {
        for (Var p : parameters()) p.zeroGrad();
    }
}
