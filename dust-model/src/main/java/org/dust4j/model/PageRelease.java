package org.dust4j.model;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.Set;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafetensorsException;
import org.dust4j.weights.TensorInfo;
import org.dust4j.weights.TensorSource;

/**
 * A {@link TensorSource} wrapper for loading big models: after each tensor is decoded into the heap, the pages of
 * its bytes in the memory-mapped file are dropped from this process ({@code madvise(MADV_DONTNEED)}; they stay in
 * the page cache), so resident memory while loading is the decoded weights, not the weights plus the mapped file.
 * Where madvise is not available (not Linux, or native access denied) it only delegates.
 */
final class PageRelease implements TensorSource {
    private static final long PAGE = 4096;
    private static final int MADV_DONTNEED = 4;
    private static final MethodHandle MADVISE = find();

    private final TensorSource inner;

    PageRelease(TensorSource inner) {
        this.inner = inner;
    }

    private static MethodHandle find() {
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) return null;
        try {
            Linker l = Linker.nativeLinker();
            return l.defaultLookup().find("madvise").map(a -> l.downcallHandle(a,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT)))
                    .orElse(null);
        } catch (RuntimeException | Error e) {   // IllegalCallerException when native access is denied
            return null;
        }
    }

    /** True when pages can be released on this platform. */
    static boolean available() { return MADVISE != null; }

    private void release(String name) {
        if (MADVISE == null) return;
        try {
            MemorySegment s = inner.segment(name);
            long start = s.address() & -PAGE, end = (s.address() + s.byteSize() + PAGE - 1) & -PAGE;
            if (end > start) {
                int rc = (int) MADVISE.invokeExact(start, end - start, MADV_DONTNEED);   // rc -1: only costs memory
            }
        } catch (Throwable t) {
            // best effort: the tensor is loaded either way
        }
    }

    @Override
    public java.nio.file.Path path() { return inner.path(); }

    @Override
    public Set<String> names() { return inner.names(); }

    @Override
    public Map<String, String> metadata() { return inner.metadata(); }

    @Override
    public TensorInfo info(String name) throws SafetensorsException { return inner.info(name); }

    @Override
    public MemorySegment segment(String name) throws SafetensorsException { return inner.segment(name); }

    @Override
    public Tensor toTensor(String name) throws SafetensorsException {
        Tensor t = inner.toTensor(name);
        release(name);
        return t;
    }

    @Override
    public Tensor toTensor(String name, DType target) throws SafetensorsException {
        Tensor t = inner.toTensor(name, target);
        release(name);
        return t;
    }

    @Override
    public void close() { inner.close(); }
}
