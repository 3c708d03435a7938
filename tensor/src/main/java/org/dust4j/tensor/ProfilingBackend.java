package org.dust4j.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * A timing wrapper around a backend: every op call is counted and timed (wall clock) under a key such as
 * {@code gemm}, {@code binary.MUL} or {@code unary.GELU_TANH}; gemm also sums its multiply-adds. Nested calls
 * (an op that calls another through {@link Backends}) count only in the outermost one. Install it for CPU
 * tensors with {@link #install()} (then {@link Backends#forDevice} hands it out) and print {@link #table}.
 * A profiling aid, not for production: the timing adds a little overhead per op.
 */
public final class ProfilingBackend implements Backend {
    private record Stat(LongAdder calls, LongAdder nanos, LongAdder flops) {
        Stat() { this(new LongAdder(), new LongAdder(), new LongAdder()); }
    }

    private final Backend inner;
    private final Map<String, Stat> stats = new ConcurrentHashMap<>();
    private final ThreadLocal<int[]> depth = ThreadLocal.withInitial(() -> new int[1]);

    public ProfilingBackend(Backend inner) {
        this.inner = inner;
    }

    /** Routes CPU tensors through a new profiler wrapping the CPU backend and returns it. */
    public static ProfilingBackend install() {
        ProfilingBackend p = new ProfilingBackend(Backends.cpu());
        Backends.setCpuDispatch(p);
        return p;
    }

    /** Routes CPU tensors to the plain CPU backend again. */
    public static void uninstall() {
        Backends.setCpuDispatch(Backends.cpu());
    }

    /** Forgets all counts. */
    public void reset() {
        stats.clear();
    }

    private <T> T time(String key, long flops, Supplier<T> op) {
        int[] d = depth.get();
        if (d[0] > 0) return op.get();
        d[0]++;
        long t0 = System.nanoTime();
        try {
            return op.get();
        } finally {
            long dt = System.nanoTime() - t0;
            d[0]--;
            Stat s = stats.computeIfAbsent(key, k -> new Stat());
            s.calls.increment();
            s.nanos.add(dt);
            s.flops.add(flops);
        }
    }

    private void run(String key, long flops, Runnable op) {
        time(key, flops, () -> {
            op.run();
            return null;
        });
    }

    /** Total timed nanoseconds. */
    public long totalNanos() {
        long t = 0;
        for (Stat s : stats.values()) t += s.nanos.sum();
        return t;
    }

    /**
     * A table sorted by time: op, calls, ms per {@code divisor} runs, share of {@code wallNanos}, GFLOP/s (gemm).
     * The last lines give the time outside backend ops (autograd, model code, allocation) and the wall time.
     */
    public String table(long wallNanos, int divisor) {
        List<Map.Entry<String, Stat>> rows = new ArrayList<>(stats.entrySet());
        rows.sort((a, b) -> Long.compare(b.getValue().nanos.sum(), a.getValue().nanos.sum()));
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-28s %8s %10s %7s %8s%n", "op", "calls/run", "ms/run", "share", "GFLOP/s"));
        long sum = 0;
        for (var e : rows) {
            Stat s = e.getValue();
            long ns = s.nanos.sum();
            sum += ns;
            long fl = s.flops.sum();
            sb.append(String.format(Locale.ROOT, "%-28s %8.0f %10.2f %6.1f%% %8s%n", e.getKey(), s.calls.sum() / (double) divisor,
                    ns / 1e6 / divisor, 100.0 * ns / wallNanos, fl == 0 ? "" : String.format(Locale.ROOT, "%.1f", fl / (double) ns)));
        }
        sb.append(String.format(Locale.ROOT, "%-28s %8s %10.2f %6.1f%%%n", "(outside backend ops)", "",
                (wallNanos - sum) / 1e6 / divisor, 100.0 * (wallNanos - sum) / wallNanos));
        sb.append(String.format(Locale.ROOT, "%-28s %8s %10.2f%n", "(wall)", "", wallNanos / 1e6 / divisor));
        return sb.toString();
    }

    private static long gemmFlops(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c) {
        int k = transA ? a.size(-2) : a.size(-1);
        return 2L * c.numel() * k;
    }

    // ------------------------------------------------------------ delegation

    @Override
    public String name() { return "profile(" + inner.name() + ")"; }

    @Override
    public Device device() { return inner.device(); }

    @Override
    public Tensor zeros(DType dtype, int... shape) { return time("zeros", 0, () -> inner.zeros(dtype, shape)); }

    @Override
    public Tensor copy(Tensor x) { return time("copy", 0, () -> inner.copy(x)); }

    @Override
    public void copyInto(Tensor src, Tensor dst) { run("copyInto", 0, () -> inner.copyInto(src, dst)); }

    @Override
    public Tensor convert(Tensor x, DType target) { return time("convert", 0, () -> inner.convert(x, target)); }

    @Override
    public void fill(Tensor dst, float value) { run("fill", 0, () -> inner.fill(dst, value)); }

    @Override
    public Tensor random(long seed, boolean normal, int... shape) { return time("random", 0, () -> inner.random(seed, normal, shape)); }

    @Override
    public void gemm(float alpha, Tensor a, boolean transA, Tensor b, boolean transB, float beta, Tensor c) {
        run("gemm", gemmFlops(a, transA, b, transB, c), () -> inner.gemm(alpha, a, transA, b, transB, beta, c));
    }

    @Override
    public Tensor matmul(Tensor a, boolean transA, Tensor b, boolean transB) {
        return time("matmul", 0, () -> inner.matmul(a, transA, b, transB));
    }

    @Override
    public Tensor binary(Ops.Binary op, Tensor a, Tensor b) { return time("binary." + op, 0, () -> inner.binary(op, a, b)); }

    @Override
    public Tensor scalar(Ops.Scalar op, Tensor x, float s) { return time("scalar." + op, 0, () -> inner.scalar(op, x, s)); }

    @Override
    public Tensor unary(Ops.Unary op, Tensor x) { return time("unary." + op, 0, () -> inner.unary(op, x)); }

    @Override
    public Tensor unaryBackward(Ops.Unary op, Tensor x, Tensor gradOut) {
        return time("unaryBackward." + op, 0, () -> inner.unaryBackward(op, x, gradOut));
    }

    @Override
    public void addInPlace(Tensor dst, Tensor src) { run("addInPlace", 0, () -> inner.addInPlace(dst, src)); }

    @Override
    public Tensor reduce(Ops.Reduce op, Tensor x, int axis, boolean keepDim) {
        return time("reduce." + op, 0, () -> inner.reduce(op, x, axis, keepDim));
    }

    @Override
    public Tensor sumTo(Tensor x, int[] shape) { return time("sumTo", 0, () -> inner.sumTo(x, shape)); }

    @Override
    public double sumAll(Tensor x) { return time("sumAll", 0, () -> inner.sumAll(x)); }

    @Override
    public double sumSquares(Tensor x) { return time("sumSquares", 0, () -> inner.sumSquares(x)); }

    @Override
    public Tensor softmax(Tensor x) { return time("softmax", 0, () -> inner.softmax(x)); }

    @Override
    public Tensor softmaxBackward(Tensor y, Tensor gradOut) { return time("softmaxBackward", 0, () -> inner.softmaxBackward(y, gradOut)); }

    // fused ops: delegated (not the SPI defaults, which would time the composition instead of the backend's kernel)

    @Override
    public NormResult adaLn(Tensor x, Tensor scale, Tensor shift, float eps) {
        return time("adaLn", 0, () -> inner.adaLn(x, scale, shift, eps));
    }

    @Override
    public AdaLnGrads adaLnBackward(Tensor x, Tensor scale, Tensor mean, Tensor rstd, Tensor gradOut) {
        return time("adaLnBackward", 0, () -> inner.adaLnBackward(x, scale, mean, rstd, gradOut));
    }

    @Override
    public Tensor gatedResidual(Tensor x, Tensor h, Tensor gate) { return time("gatedResidual", 0, () -> inner.gatedResidual(x, h, gate)); }

    @Override
    public GatedGrads gatedResidualBackward(Tensor gradOut, Tensor h, Tensor gate) {
        return time("gatedResidualBackward", 0, () -> inner.gatedResidualBackward(gradOut, h, gate));
    }

    @Override
    public FlowLoss flowLoss(Tensor v, Tensor data, Tensor eps, Tensor elemMask, Tensor sampleMask, float gradScale) {
        return time("flowLoss", 0, () -> inner.flowLoss(v, data, eps, elemMask, sampleMask, gradScale));
    }

    @Override
    public Tensor categoryLinear(Tensor x, Tensor w, Tensor bias, Tensor ids) {
        return time("categoryLinear", 0, () -> inner.categoryLinear(x, w, bias, ids));
    }

    @Override
    public CategoryLinearGrads categoryLinearBackward(Tensor x, Tensor w, Tensor ids, Tensor gradOut, boolean hasBias) {
        return time("categoryLinearBackward", 0, () -> inner.categoryLinearBackward(x, w, ids, gradOut, hasBias));
    }

    @Override
    public NormResult layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        return time("layerNorm", 0, () -> inner.layerNorm(x, weight, bias, eps));
    }

    @Override
    public NormGrads layerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor gradOut, boolean hasBias) {
        return time("layerNormBackward", 0, () -> inner.layerNormBackward(x, weight, mean, rstd, gradOut, hasBias));
    }

    @Override
    public NormResult rmsNorm(Tensor x, Tensor weight, float eps) { return time("rmsNorm", 0, () -> inner.rmsNorm(x, weight, eps)); }

    @Override
    public NormGrads rmsNormBackward(Tensor x, Tensor weight, Tensor rstd, Tensor gradOut) {
        return time("rmsNormBackward", 0, () -> inner.rmsNormBackward(x, weight, rstd, gradOut));
    }

    @Override
    public AttentionResult attention(Tensor q, Tensor k, Tensor v, float scale) {
        return time("attention", 0, () -> inner.attention(q, k, v, scale));
    }

    @Override
    public AttentionGrads attentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor gradOut, float scale) {
        return time("attentionBackward", 0, () -> inner.attentionBackward(q, k, v, out, lse, gradOut, scale));
    }

    @Override
    public Tensor embedding(Tensor table, Tensor indices) { return time("embedding", 0, () -> inner.embedding(table, indices)); }

    @Override
    public Tensor scatterAddRows(Tensor src, Tensor indices, int numRows) {
        return time("scatterAddRows", 0, () -> inner.scatterAddRows(src, indices, numRows));
    }

    @Override
    public Tensor concat(List<Tensor> parts, int axis) { return time("concat", 0, () -> inner.concat(parts, axis)); }

    @Override
    public void adamw(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                      float weightDecay, int step) {
        run("adamw", 0, () -> inner.adamw(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step));
    }
}
