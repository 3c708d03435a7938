package org.dust4j.backbone.text;

import java.util.Arrays;

/** A growable list of ints (token ids), without boxing. */
public final class IntList {
    private int[] a = new int[16];
    private int size;

    public void add(int v) {
        if (size == a.length) a = Arrays.copyOf(a, a.length * 2);
        a[size++] = v;
    }

    public void addAll(int[] vs) {
        if (size + vs.length > a.length) a = Arrays.copyOf(a, Math.max(a.length * 2, size + vs.length));
        System.arraycopy(vs, 0, a, size, vs.length);
        size += vs.length;
    }

    public int size() {
        return size;
    }

    public int get(int i) {
        if (i < 0 || i >= size) throw new IndexOutOfBoundsException("index " + i + " of " + size);
        return a[i];
    }

    public int[] toArray() {
        return Arrays.copyOf(a, size);
    }
}
