package org.dust4j.autograd.nn;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.dust4j.autograd.Var;

/** Children named 0, 1, 2, ... (torch.nn.ModuleList); {@link #forward} runs them in order as a chain. */
public final class ModuleList extends Module implements Layer, Iterable<Module> {
    private final List<Module> items = new ArrayList<>();

    public ModuleList(Module... modules) {
        for (Module m : modules) add(m);
    }

    /** Appends a module under the next index and returns it. */
    public <M extends Module> M add(M m) {
        register(Integer.toString(items.size()), m);
        items.add(m);
        return m;
    }

    public Module get(int i) {
        if (i < 0 || i >= items.size()) throw new IndexOutOfBoundsException("ModuleList: index " + i + " out of range [0, " + items.size() + ")");
        return items.get(i);
    }

    public int size() { return items.size(); }

    @Override
    public Iterator<Module> iterator() { return List.copyOf(items).iterator(); }

    /** Applies every child in order; each must be a {@link Layer}. */
    @Override
    public Var forward(Var x) {
        for (int i = 0; i < items.size(); i++) {
            if (!(items.get(i) instanceof Layer l)) {
                throw new IllegalStateException("ModuleList.forward: child " + i + " (" + items.get(i).getClass().getSimpleName()
                        + ") is not a Layer");
            }
            x = l.forward(x);
        }
        return x;
    }
}
