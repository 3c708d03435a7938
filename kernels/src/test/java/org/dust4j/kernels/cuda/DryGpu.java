package org.dust4j.kernels.cuda;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link Gpu} without a GPU, for host-side tests: memory is host byte arrays at fake addresses (so uploads,
 * downloads, device copies and memsets really move bytes), and every launch is checked against the entry's PTX
 * parameter layout (compute_90 files) and recorded, but not executed.
 */
public final class DryGpu implements Gpu {
    public record LaunchRecord(String kernel, LaunchGeometry.Launch launch, KernelArgs args) {}

    private final TreeMap<Long, byte[]> blocks = new TreeMap<>();
    private final Map<String, java.util.List<String>> layouts = new HashMap<>();
    public final List<LaunchRecord> launches = new ArrayList<>();
    /** Byte counts of every device-to-host download, in order (the model tests check the hot paths make none). */
    public final List<Long> downloads = new ArrayList<>();
    private long next = 0x7f0000000000L;

    public DryGpu() {
        PtxManifest m = PtxManifest.load();
        for (PtxManifest.Entry e : m.files()) {
            if (e.arch() == 90) layouts.putAll(PtxManifest.paramLayouts(PtxManifest.readPtx(e.file())));
        }
        if (layouts.isEmpty()) throw new IllegalStateException("no PTX in the build");
    }

    private Map.Entry<Long, byte[]> block(long address, long bytes) {
        Map.Entry<Long, byte[]> e = blocks.floorEntry(address);
        if (e == null || address + bytes > e.getKey() + e.getValue().length) {
            throw new IllegalStateException("access of " + bytes + " bytes at 0x" + Long.toHexString(address) + " outside any allocation");
        }
        return e;
    }

    @Override public String describe() { return "dry run (no device)"; }
    @Override public int ccMajor() { return 9; }
    @Override public int ccMinor() { return 0; }

    @Override
    public long malloc(long bytes) {
        long a = next;
        next += (bytes + 255) / 256 * 256 + 256;
        blocks.put(a, new byte[(int) bytes]);
        return a;
    }

    @Override public void free(long address) { blocks.remove(address); }

    @Override
    public void memsetZero(long address, long bytes) {
        var e = block(address, bytes);
        int off = (int) (address - e.getKey());
        java.util.Arrays.fill(e.getValue(), off, off + (int) bytes, (byte) 0);
    }

    @Override
    public void upload(long dst, ByteBuffer src) {
        ByteBuffer s = src.duplicate();
        var e = block(dst, s.remaining());
        s.get(e.getValue(), (int) (dst - e.getKey()), s.remaining());
    }

    @Override
    public void download(ByteBuffer dst, long src) {
        downloads.add((long) dst.remaining());
        var e = block(src, dst.remaining());
        dst.put(e.getValue(), (int) (src - e.getKey()), dst.remaining());
    }

    @Override
    public void copy(long dst, long src, long bytes) {
        var s = block(src, bytes);
        var d = block(dst, bytes);
        System.arraycopy(s.getValue(), (int) (src - s.getKey()), d.getValue(), (int) (dst - d.getKey()), (int) bytes);
    }

    @Override
    public void launch(String kernel, LaunchGeometry.Launch l, KernelArgs args) {
        var layout = layouts.get(kernel);
        if (layout == null) throw new IllegalArgumentException("no kernel named " + kernel + " in the PTX");
        if (!layout.equals(args.layout())) {
            throw new IllegalArgumentException("launch " + kernel + ": arguments " + args.layout() + " do not match the PTX parameters " + layout);
        }
        int[] g = l.grid(), b = l.block();
        if (g[0] < 1 || g[1] < 1 || g[2] < 1 || g[1] > 65535 || g[2] > 65535) throw new IllegalArgumentException(kernel + ": bad grid " + java.util.Arrays.toString(g));
        if ((long) b[0] * b[1] * b[2] > 1024 || b[0] * b[1] * b[2] < 1) throw new IllegalArgumentException(kernel + ": bad block");
        if (l.smemBytes() > 48 * 1024) throw new IllegalArgumentException(kernel + ": too much dynamic shared memory");
        launches.add(new LaunchRecord(kernel, l, args));
    }

    @Override public long streamHandle() { return 0; }
    @Override public void synchronize() {}

    @Override
    public float timeMs(Runnable body) {
        body.run();
        return 0f;
    }

    @Override
    public Graph capture(Runnable body) {
        body.run();
        return new Graph() {
            public void replay() {}
            public void close() {}
        };
    }

    @Override public void close() {}
}
