package org.dust4j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * CPU F32 GEMM on the Vector API: {@code C = alpha * op(A) @ op(B) + beta * C} (rank 2 or batched rank 3).
 *
 * <p>Goto/BLIS structure: op(B) is packed into {@link #KC}-deep panels of {@link #NR}-column strips, op(A) into
 * {@link #MC} x {@link #KC} blocks of {@link #MR}-row strips; packing reads any 2D strides (gathers for
 * K-contiguous operands), so transposed and non-contiguous views need no extra pass. A register-tiled
 * micro-kernel (MR rows x two {@code SPECIES_PREFERRED} vectors = 16 accumulators, fused multiply-add) runs over
 * the packed strips; row remainders use 4/2/1-row variants. Kernels write raw sums to a small tile that a
 * separate step merges into C (alpha, beta, strided or partial tiles), which keeps the kernels small for C2.
 *
 * <p>Threads: few-row problems split N (each task packs its own L2-sized B panels, the first row strip's kernels
 * packing row-major B as they read it); many-row problems pack all
 * of op(B) once, in parallel, and split C into M x N tasks sharing it; large batches run whole entries per task.
 * Problems under {@link #SERIAL_WORK} multiply-adds run on the calling thread.
 *
 * <p>Few-row problems with K-contiguous operands (a linear layer's {@code x @ W^T}) go to {@link CpuGemmSmallM}
 * instead, chosen by shape and strides only.
 *
 * <p>Determinism: every output element is computed by the same float operations whatever the tiling, path or
 * thread count: per K block of fixed size {@code KC} an fma chain from zero over k, then {@code c = alpha*acc}
 * (first block, beta 0: C is overwritten even if it held NaN), {@code c = fma(acc, alpha, beta*c)} (first
 * block) or {@code c = fma(acc, alpha, c)} (later blocks). So results are bit-identical at any thread count.
 */
final class CpuGemm {
    private CpuGemm() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Rows of the micro-tile (broadcast operand). */
    static final int MR = 8;
    /** MR floats as one vector (copies MR contiguous rows of a transposed A). */
    private static final VectorSpecies<Float> SM = VectorSpecies.of(float.class, VectorShape.forBitSize(MR * Float.SIZE));
    /** Columns of the micro-tile: two vectors. */
    static final int NR = 2 * L;
    /** K block: an NR x KC strip of packed B (32 KiB at AVX-512) stays in the 48 KiB L1d. It sets the summation order, so it is one constant per JVM ({@code -Ddust4j.gemm.kc} overrides it, for tuning only). */
    static final int KC = Integer.getInteger("dust4j.gemm.kc", 256);
    /** M block: an MC x KC block of packed A (192 KiB) stays in the 2 MiB L2 ({@code -Ddust4j.gemm.mc} overrides, for tuning). */
    static final int MC = Integer.getInteger("dust4j.gemm.mc", 192);
    /** N block of a task that packs its own B: the KC x NC panel (512 KiB) and the M x NC block of C share the L2 ({@code -Ddust4j.gemm.nc}). */
    static final int NC = Integer.getInteger("dust4j.gemm.nc", 512);
    /** Problems with batch*M*N*K below this run on the calling thread. */
    static final long SERIAL_WORK = 1L << 18;
    /**
     * The same for a right operand already packed (a kept weight, {@link GemmPack}): without packing, the work per call
     * is small enough that handing half of it to a pool thread costs more than it saves (JMH ModelShapesBench.Linear,
     * 2 threads on the shared 2-core machine at load 1.3-2: 17x256x256 17-19 us serial vs 52-58 us split, 17x1024x256
     * 62-72 vs 122-137, 81x256x256 73 vs 156-163). {@code -Ddust4j.gemm.packedSerialWork} overrides it (tuning only).
     */
    static final long PACKED_SERIAL_WORK = Long.getLong("dust4j.gemm.packedSerialWork", 1L << 23);
    /** Tasks per thread in the parallel split (more tasks balance better on a busy machine). */
    private static final int TASKS_PER_THREAD = Integer.getInteger("dust4j.gemm.tasks", 4);
    /**
     * Smallest M (rows) and N (columns) extent of one parallel task. Many rows per task let each packed B strip
     * serve many A strips before the next comes from L3 (64 rows: 154 GFLOP/s at 512^3 on 2 threads, 256: 250).
     */
    private static final int MIN_TASK_ROWS = 256, MIN_TASK_COLS = 4 * NR;

    private static final boolean FUSE_PACK = !Boolean.getBoolean("dust4j.gemm.nofuse");
    private static final int OVERWRITE = 0, SCALE = 1, ACCUMULATE = 2;

    /** op(X) of one operand as a 2D strided view: element (i, j) of batch entry bi is {@code d[off + bi*bs + i*rs + j*cs]}. */
    private record View(float[] d, int off, int bs, int rs, int cs) {
        static View of(Tensor t, boolean trans) {
            int rs = trans ? t.stride(-1) : t.stride(-2), cs = trans ? t.stride(-2) : t.stride(-1);
            return new View(t.floatData(), t.offset(), t.rank() == 3 ? t.stride(0) : 0, rs, cs);
        }
    }

    /** One gemm call; npad is N rounded up to NR, the row length of each packed K block of B. */
    private record Job(float alpha, float beta, View a, View b, View c, int m, int n, int k, int npad) {}

    /** Per-thread buffers: a packed A block, all of packed op(B) for one batch entry, a raw accumulator tile. */
    private static final class Scratch {
        final float[] a = new float[MC * KC];
        final float[] tile = new float[MR * NR];
        final float[] panel = new float[roundUp(NC, NR) * KC];
        float[] b = new float[0];

        float[] b(int size) {
            if (b.length < size) b = new float[size];
            return b;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    static void gemm(float alpha, Tensor a, boolean transA, Tensor b, boolean transB, float beta, Tensor c) {
        gemm(alpha, a, transA, b, transB, beta, c, false);
    }

    /**
     * As {@link #gemm(float, Tensor, boolean, Tensor, boolean, float, Tensor)}; {@code weightB}: the caller knows that
     * a rank-2 op(B) is a weight of any layout (the per-category linear's W[id]), so inside a {@link GemmPack} scope its
     * panels are kept whatever its strides. Without it only K-contiguous rank-2 operands (x @ W^T) are kept.
     */
    static void gemm(float alpha, Tensor a, boolean transA, Tensor b, boolean transB, float beta, Tensor c, boolean weightB) {
        Checks.GemmDims g = Checks.gemmF32(a, transA, b, transB, c);
        int m = g.m(), n = g.n(), k = g.k(), batch = g.batch();
        if (m == 0 || n == 0 || batch == 0) return;
        if (c.storage() == a.storage() || c.storage() == b.storage()) {
            // C shares memory with an input: compute into a fresh tensor so no input is overwritten while read.
            Tensor tmp = Tensor.zeros(c.shape());
            if (beta != 0f) CpuElementwise.copyInto(c, tmp);
            gemm(alpha, a, transA, b, transB, beta, tmp, weightB);
            CpuElementwise.copyInto(tmp, c);
            return;
        }
        int npad = roundUp(n, NR);
        if ((long) k * npad > Integer.MAX_VALUE - 16) {
            // packed B would not fit one Java array: do the N halves separately (columns are independent)
            int half = roundUp(n / 2, NR);
            gemm(alpha, a, transA, transB ? b.narrow(-2, 0, half) : b.narrow(-1, 0, half), transB, beta, c.narrow(-1, 0, half));
            gemm(alpha, a, transA, transB ? b.narrow(-2, half, n - half) : b.narrow(-1, half, n - half), transB, beta,
                    c.narrow(-1, half, n - half));
            return;
        }
        Job job = new Job(alpha, beta, View.of(a, transA), View.of(b, transB), View.of(c, false), m, n, k, npad);
        if (k == 0) {
            scaleC(job, batch);
            return;
        }
        if (CpuGemmSmallM.applies(m, job.a.cs, job.b.rs)) {
            // few rows, K-contiguous operands (x @ W^T): dot products straight from the operands, no packing
            View av = job.a, bv = job.b, cv = job.c;
            CpuGemmSmallM.gemm(alpha, beta, batch, m, n, k, av.d, av.off, av.bs, av.rs, bv.d, bv.off, bv.bs, bv.cs,
                    cv.d, cv.off, cv.bs, cv.rs, cv.cs, (long) batch * m * n * k >= SERIAL_WORK);
            return;
        }
        int threads = Parallel.threads(), want = TASKS_PER_THREAD * threads;
        int mt = Math.max(1, Math.min(want, m / MIN_TASK_ROWS));
        // inside a GemmPack scope, a shared K-contiguous B (a linear layer's W^T) or a known weight is packed once and
        // kept across calls (the small-M path above is not bypassed: results do not depend on the scope)
        boolean keep = b.rank() == 2 && (weightB || job.b.rs == 1 && job.b.cs != 1);
        float[] pre = keep
                ? GemmPack.get(job.b.d, new GemmPack.Key(job.b.off, job.b.rs, job.b.cs, k, n), k * npad, () -> {
                    float[] p = new float[k * npad];
                    packAllB(job, 0, p);
                    return p;
                }) : null;
        if (pre != null) {
            boolean serial = (long) batch * m * n * k < PACKED_SERIAL_WORK;
            for (int bi = 0; bi < batch; bi++) {
                if (serial) regionSharedB(job, bi, 0, m, 0, n, SCRATCH.get(), pre);
                else sharedRegions(job, bi, mt, want, pre);
            }
            return;
        }
        if ((long) batch * m * n * k < SERIAL_WORK) {
            for (int bi = 0; bi < batch; bi++) regionOwnB(job, bi, 0, m, 0, n, SCRATCH.get());
        } else if (batch >= want) {
            // many matrices: whole batch entries per task
            Parallel.forRange(batch, 1, (from, to) -> {
                for (int bi = from; bi < to; bi++) regionOwnB(job, bi, 0, m, 0, n, SCRATCH.get());
            });
        } else if (mt == 1) {
            // few rows: split N; each task packs the B panels of its columns
            int nt = Math.max(1, Math.min((want + batch - 1) / batch, n / MIN_TASK_COLS));
            int nChunk = roundUp((n + nt - 1) / nt, NR), ntf = (n + nChunk - 1) / nChunk;
            Parallel.forRange(batch * ntf, 1, (from, to) -> {
                for (int t = from; t < to; t++) {
                    int bi = t / ntf, in = t % ntf;
                    regionOwnB(job, bi, 0, m, in * nChunk, Math.min(n, (in + 1) * nChunk), SCRATCH.get());
                }
            });
        } else {
            // many rows: pack all of B once (in parallel), then split C into M x N tasks that share it
            float[] pb = SCRATCH.get().b(k * npad);
            boolean sharedB = b.rank() == 2;
            for (int bi = 0; bi < batch; bi++) {
                if (bi == 0 || !sharedB) packAllB(job, bi, pb);
                sharedRegions(job, bi, mt, want, pb);
            }
        }
    }

    /** Packs all of op(B) of batch entry bi into pb (K block pc at pc*npad, the strip of column j at +j*kc), in parallel. */
    private static void packAllB(Job job, int bi, float[] pb) {
        int k = job.k, n = job.n, npad = job.npad;
        int kBlocks = (k + KC - 1) / KC, strips = npad / NR, stripsPerItem = 8;
        int items = (strips + stripsPerItem - 1) / stripsPerItem;
        Parallel.forRange(kBlocks * items, 1, (from, to) -> {
            for (int t = from; t < to; t++) {
                int pc = t / items * KC, kc = Math.min(KC, k - pc), j0 = t % items * stripsPerItem * NR;
                packB(job.b, bi, pc, kc, j0, Math.min(n - j0, stripsPerItem * NR), pb, pc * npad + j0 * kc);
            }
        });
    }

    /**
     * C of batch entry bi from the packed B in pb, split into M x N tasks: at most NC columns per task, so the task's
     * block of C stays in L2 across the K blocks.
     */
    private static void sharedRegions(Job job, int bi, int mt, int want, float[] pb) {
        int m = job.m, n = job.n;
        int nt = Math.max(1, Math.min(Math.max((want + mt - 1) / mt, (n + NC - 1) / NC), n / MIN_TASK_COLS));
        int mChunk = roundUp((m + mt - 1) / mt, MR), nChunk = roundUp((n + nt - 1) / nt, NR);
        int mtf = (m + mChunk - 1) / mChunk, ntf = (n + nChunk - 1) / nChunk;
        Parallel.forRange(mtf * ntf, 1, (from, to) -> {
            Scratch s = SCRATCH.get();
            for (int t = from; t < to; t++) {
                int im = t / ntf, in = t % ntf;
                regionSharedB(job, bi, im * mChunk, Math.min(m, (im + 1) * mChunk), in * nChunk,
                        Math.min(n, (in + 1) * nChunk), s, pb);
            }
        });
    }

    private static int roundUp(int x, int q) { return (x + q - 1) / q * q; }

    /** K == 0: C = beta * C (exactly zero when beta is 0). */
    private static void scaleC(Job j, int batch) {
        View c = j.c;
        for (int bi = 0; bi < batch; bi++) {
            for (int i = 0; i < j.m; i++) {
                int row = c.off + bi * c.bs + i * c.rs;
                for (int jj = 0; jj < j.n; jj++) {
                    int idx = row + jj * c.cs;
                    c.d[idx] = j.beta == 0f ? 0f : j.beta * c.d[idx];
                }
            }
        }
    }

    /**
     * Computes rows [m0, m1) x columns [n0, n1) of batch entry bi on the calling thread from the packed B
     * ({@code pb}: K block pc at pc*npad, the strip of column j at +j*kc); n0 is a multiple of NR.
     */
    private static void regionSharedB(Job j, int bi, int m0, int m1, int n0, int n1, Scratch s, float[] pb) {
        for (int pc = 0; pc < j.k; pc += KC) {
            int kc = Math.min(KC, j.k - pc);
            int mode = pc > 0 ? ACCUMULATE : j.beta == 0f ? OVERWRITE : SCALE;
            int blocks = (m1 - m0 + MC - 1) / MC, mcEven = roundUp((m1 - m0 + blocks - 1) / blocks, MR); // even row blocks
            for (int ic = m0; ic < m1; ic += mcEven) {
                int mc = Math.min(mcEven, m1 - ic);
                packA(j.a, bi, ic, mc, pc, kc, s.a);
                macro(j, bi, ic, mc, n0, n1 - n0, kc, mode, s, pb, pc * j.npad + n0 * kc, 0, pc);
            }
        }
    }

    /**
     * Computes rows [m0, m1) x columns [n0, n1) of batch entry bi on the calling thread, packing B one KC x NC
     * panel at a time into this thread's buffer (it stays in L2 while every row block of A passes over it).
     */
    private static void regionOwnB(Job j, int bi, int m0, int m1, int n0, int n1, Scratch s) {
        for (int jc = n0; jc < n1; jc += NC) {
            int nc = Math.min(NC, n1 - jc);
            for (int pc = 0; pc < j.k; pc += KC) {
                int kc = Math.min(KC, j.k - pc);
                int mode = pc > 0 ? ACCUMULATE : j.beta == 0f ? OVERWRITE : SCALE;
                // row-major B and at least MR rows: the first row block's kernels pack the full strips as they
                // read them (the loads overlap the fma work); only a partial last strip is packed up front. Not
                // when the row stride is a multiple of 4 KiB: a strip's rows then share a few cache sets and the
                // column-wise reads thrash (measured 25% slower at N = 6144, 10% faster at N = 1536).
                int fused = FUSE_PACK && j.b.cs == 1 && j.b.rs % 1024 != 0 && m1 - m0 >= MR ? nc / NR * NR : 0;
                packB(j.b, bi, pc, kc, jc + fused, nc - fused, s.panel, fused * kc);
                for (int ic = m0; ic < m1; ic += MC) {
                    int mc = Math.min(MC, m1 - ic);
                    packA(j.a, bi, ic, mc, pc, kc, s.a);
                    macro(j, bi, ic, mc, jc, nc, kc, mode, s, s.panel, 0, ic == m0 ? fused : 0, pc);
                }
            }
        }
    }

    /** Packs rows [i0, i0+mc) x k [p0, p0+kc) of op(A) as MR-row strips: strip r at r*kc, element (p, row) at p*MR + row. */
    private static void packA(View a, int bi, int i0, int mc, int p0, int kc, float[] dst) {
        float[] d = a.d;
        int rs = a.rs, cs = a.cs;
        int[] gather = cs == 1 && L % MR == 0 ? gatherIndex(MR, rs, L) : null;
        int pv = L / MR, kv = gather == null ? 0 : kc / pv * pv; // k steps per gathered vector, k steps gathered
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir), base = ir * kc;
            int src = a.off + bi * a.bs + (i0 + ir) * rs + p0 * cs;
            int p = 0;
            if (mr == MR && gather != null) {
                // K-contiguous rows: one gather collects MR rows x (L / MR) consecutive k
                for (; p < kv; p += pv) FloatVector.fromArray(S, d, src + p, gather, 0).intoArray(dst, base + p * MR);
            } else if (mr == MR && rs == 1) {
                // M-contiguous (a transposed A): each k step is MR consecutive floats
                for (; p < kc; p++) FloatVector.fromArray(SM, d, src + p * cs).intoArray(dst, base + p * MR);
            }
            for (int r = 0; r < mr; r++) {
                int s = src + r * rs, o = base + r;
                for (int q = p; q < kc; q++) dst[o + q * MR] = d[s + q * cs];
            }
        }
    }

    /** Gather offsets for lane i = (i % rows) * stride + i / rows: rows x (L / rows) of a row-major source. */
    private static int[] gatherIndex(int rows, int stride, int lanes) {
        int[] idx = new int[lanes];
        for (int i = 0; i < lanes; i++) idx[i] = (i % rows) * stride + i / rows;
        return idx;
    }

    /** Packs k [p0, p0+kc) x columns [j0, j0+nc) of op(B) as NR-column strips (zero-padded): strip jr at dstOff + jr*kc, element (p, col) at p*NR + col. */
    private static void packB(View b, int bi, int p0, int kc, int j0, int nc, float[] dst, int dstOff) {
        float[] d = b.d;
        int rs = b.rs, cs = b.cs, src0 = b.off + bi * b.bs + p0 * rs + j0 * cs;
        if (cs == 1) {
            // row by row: each source row segment is read sequentially (prefetch-friendly), written to every strip
            int full = nc / NR * NR, nr = nc - full;
            VectorMask<Float> m0 = S.indexInRange(0, nr), m1 = S.indexInRange(L, nr);
            for (int p = 0; p < kc; p++) {
                int s = src0 + p * rs, o = dstOff + p * NR;
                for (int jr = 0; jr < full; jr += NR) {
                    FloatVector.fromArray(S, d, s + jr).intoArray(dst, o + jr * kc);
                    FloatVector.fromArray(S, d, s + jr + L).intoArray(dst, o + jr * kc + L);
                }
                if (nr > 0) {
                    FloatVector.fromArray(S, d, s + full, m0).intoArray(dst, o + full * kc);
                    FloatVector.fromArray(S, d, s + full + L, m1).intoArray(dst, o + full * kc + L);
                }
            }
            return;
        }
        int[] gather = rs == 1 ? gatherIndex(L, cs, L) : null;
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr), base = dstOff + jr * kc, src = src0 + jr * cs;
            if (nr == NR && gather != null) {
                // K-contiguous columns (a transposed operand): gather L columns at one k per vector
                for (int p = 0; p < kc; p++) {
                    FloatVector.fromArray(S, d, src + p, gather, 0).intoArray(dst, base + p * NR);
                    FloatVector.fromArray(S, d, src + L * cs + p, gather, 0).intoArray(dst, base + p * NR + L);
                }
                continue;
            }
            for (int p = 0; p < kc; p++) {
                int s = src + p * rs, o = base + p * NR;
                for (int jj = 0; jj < nr; jj++) dst[o + jj] = d[s + jj * cs];
                for (int jj = nr; jj < NR; jj++) dst[o + jj] = 0f;
            }
        }
    }

    /**
     * Runs the micro-kernels over the packed mc x kc block of A and the kc x nc panel of B at pb[bBase] into C.
     * The first {@code fused} columns of the panel are not packed yet: the first row strip's kernels read them
     * from row-major op(B) (K block at pc) and pack them.
     */
    private static void macro(Job j, int bi, int ic, int mc, int jc, int nc, int kc, int mode, Scratch s, float[] pb, int bBase,
                              int fused, int pc) {
        View cv = j.c;
        float[] c = cv.d, pa = s.a, tile = s.tile;
        int rs = cv.rs, cs = cv.cs, cbase = cv.off + bi * cv.bs;
        float alpha = j.alpha, beta = j.beta;
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr), bo = bBase + jr * kc;
            boolean direct = nr == NR && cs == 1;
            for (int ir = 0; ir < mc; ir += MR) {
                int mr = Math.min(MR, mc - ir), ao = ir * kc;
                for (int r = 0; r < mr; ) {
                    int left = mr - r, rows = left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
                    int co = cbase + (ic + ir + r) * rs + (jc + jr) * cs;
                    if (jr < fused && ir == 0) {
                        View bv = j.b;
                        k8Pack(kc, pa, ao, bv.d, bv.off + bi * bv.bs + pc * bv.rs + jc + jr, bv.rs, pb, bo, tile);
                    } else kernel(rows, kc, pa, ao + r, pb, bo, tile);
                    if (direct) mergeVector(tile, rows, c, co, rs, alpha, beta, mode);
                    else merge(tile, rows, nr, c, co, rs, cs, alpha, beta, mode);
                    r += rows;
                }
            }
        }
    }

    /** Accumulates a rows x NR tile over kc packed steps into {@code tile} (row stride NR), raw. */
    private static void kernel(int rows, int kc, float[] a, int ao, float[] b, int bo, float[] tile) {
        switch (rows) {
            case 8 -> k8(kc, a, ao, b, bo, tile);
            case 4 -> k4(kc, a, ao, b, bo, tile);
            case 2 -> k2(kc, a, ao, b, bo, tile);
            default -> k1(kc, a, ao, b, bo, tile);
        }
    }

    /** Writes the valid rows x cols of a raw tile into a strided C with the same rounding as {@link #mergeVector}. */
    private static void merge(float[] tile, int rows, int cols, float[] c, int co, int rs, int cs, float alpha, float beta, int mode) {
        for (int r = 0; r < rows; r++) {
            for (int jj = 0; jj < cols; jj++) {
                float v = tile[r * NR + jj];
                int idx = co + r * rs + jj * cs;
                c[idx] = mode == OVERWRITE ? v * alpha : mode == SCALE ? Math.fma(v, alpha, beta * c[idx]) : Math.fma(v, alpha, c[idx]);
            }
        }
    }

    /** Writes a raw rows x NR tile into unit-stride C rows: alpha*acc, fma(acc, alpha, beta*c) or fma(acc, alpha, c). */
    private static void mergeVector(float[] tile, int rows, float[] c, int co, int rs, float alpha, float beta, int mode) {
        FloatVector av = FloatVector.broadcast(S, alpha);
        for (int r = 0; r < rows; r++) {
            for (int v = 0; v < NR; v += L) {
                FloatVector x = FloatVector.fromArray(S, tile, r * NR + v);
                int o = co + r * rs + v;
                switch (mode) {
                    case OVERWRITE -> x.mul(av).intoArray(c, o);
                    case SCALE -> x.fma(av, FloatVector.fromArray(S, c, o).mul(beta)).intoArray(c, o);
                    default -> x.fma(av, FloatVector.fromArray(S, c, o)).intoArray(c, o);
                }
            }
        }
    }

    // ---------------------------------------------------------------- micro-kernels (rows x 2 vectors)

    /** 8 rows x 2 vectors over kc packed steps; raw sums to t (row stride NR). */
    private static void k8(int kc, float[] a, int ao, float[] b, int bo, float[] t) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S), c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S), c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * MR, bi = bo + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, a[ai]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[ai + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, a[ai + 2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[ai + 3]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, a[ai + 4]);
            c40 = a4.fma(b0, c40); c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, a[ai + 5]);
            c50 = a5.fma(b0, c50); c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(S, a[ai + 6]);
            c60 = a6.fma(b0, c60); c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(S, a[ai + 7]);
            c70 = a7.fma(b0, c70); c71 = a7.fma(b1, c71);
        }
        c00.intoArray(t, 0 * L); c01.intoArray(t, 1 * L);
        c10.intoArray(t, 2 * L); c11.intoArray(t, 3 * L);
        c20.intoArray(t, 4 * L); c21.intoArray(t, 5 * L);
        c30.intoArray(t, 6 * L); c31.intoArray(t, 7 * L);
        c40.intoArray(t, 8 * L); c41.intoArray(t, 9 * L);
        c50.intoArray(t, 10 * L); c51.intoArray(t, 11 * L);
        c60.intoArray(t, 12 * L); c61.intoArray(t, 13 * L);
        c70.intoArray(t, 14 * L); c71.intoArray(t, 15 * L);
    }

    /**
     * {@link #k8} reading B from row-major storage (row p of the strip at {@code bs + p*rs}) and writing the
     * packed strip to {@code b[bo..]} as it goes: same arithmetic, the packing hides under the fma work.
     */
    private static void k8Pack(int kc, float[] a, int ao, float[] src, int bs, int rs, float[] b, int bo, float[] t) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S), c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S), c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * MR, bi = bo + p * NR, si = bs + p * rs;
            FloatVector b0 = FloatVector.fromArray(S, src, si);
            FloatVector b1 = FloatVector.fromArray(S, src, si + L);
            b0.intoArray(b, bi);
            b1.intoArray(b, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, a[ai]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[ai + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, a[ai + 2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[ai + 3]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, a[ai + 4]);
            c40 = a4.fma(b0, c40); c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, a[ai + 5]);
            c50 = a5.fma(b0, c50); c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(S, a[ai + 6]);
            c60 = a6.fma(b0, c60); c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(S, a[ai + 7]);
            c70 = a7.fma(b0, c70); c71 = a7.fma(b1, c71);
        }
        c00.intoArray(t, 0 * L); c01.intoArray(t, 1 * L);
        c10.intoArray(t, 2 * L); c11.intoArray(t, 3 * L);
        c20.intoArray(t, 4 * L); c21.intoArray(t, 5 * L);
        c30.intoArray(t, 6 * L); c31.intoArray(t, 7 * L);
        c40.intoArray(t, 8 * L); c41.intoArray(t, 9 * L);
        c50.intoArray(t, 10 * L); c51.intoArray(t, 11 * L);
        c60.intoArray(t, 12 * L); c61.intoArray(t, 13 * L);
        c70.intoArray(t, 14 * L); c71.intoArray(t, 15 * L);
    }

    /** 4 rows x 2 vectors over kc packed steps; raw sums to t (row stride NR). */
    private static void k4(int kc, float[] a, int ao, float[] b, int bo, float[] t) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * MR, bi = bo + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, a[ai]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[ai + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, a[ai + 2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[ai + 3]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
        }
        c00.intoArray(t, 0 * L); c01.intoArray(t, 1 * L);
        c10.intoArray(t, 2 * L); c11.intoArray(t, 3 * L);
        c20.intoArray(t, 4 * L); c21.intoArray(t, 5 * L);
        c30.intoArray(t, 6 * L); c31.intoArray(t, 7 * L);
    }

    /** 2 rows x 2 vectors over kc packed steps; raw sums to t (row stride NR). */
    private static void k2(int kc, float[] a, int ao, float[] b, int bo, float[] t) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * MR, bi = bo + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, a[ai]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[ai + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
        }
        c00.intoArray(t, 0 * L); c01.intoArray(t, 1 * L);
        c10.intoArray(t, 2 * L); c11.intoArray(t, 3 * L);
    }

    /** 1 row x 2 vectors over kc packed steps; raw sums to t (row stride NR). */
    private static void k1(int kc, float[] a, int ao, float[] b, int bo, float[] t) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * MR, bi = bo + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, a[ai]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
        }
        c00.intoArray(t, 0 * L); c01.intoArray(t, 1 * L);
    }

}
