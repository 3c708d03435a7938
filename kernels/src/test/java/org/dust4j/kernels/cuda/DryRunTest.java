package org.dust4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Ops;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * CudaBackend's host side without a GPU (DryGpu): every op's argument packing is checked against the PTX parameter
 * layout of the kernel it launches, grids against the hardware limits, and transfers/copies that need no kernel
 * really move bytes (round trips are exact). Kernels do not execute, so numeric results are not checked here
 * (CudaKernelsGpuTest does that on a GPU).
 */
class DryRunTest {
    DryGpu gpu;
    CudaBackend cb;

    @BeforeEach
    void setUp() {
        TestData.requirePtx();
        gpu = new DryGpu();
        cb = new CudaBackend(gpu, 0, false);
    }

    Set<String> launched() {
        Set<String> s = new TreeSet<>();
        for (DryGpu.LaunchRecord r : gpu.launches) s.add(r.kernel());
        return s;
    }

    @Test
    void transfersRoundTripExactlyForEveryDtypeAndView() {
        Tensor f = TestData.randn(1, 7, 33);
        assertArrayEquals(f.toFloatArray(), cb.toHost(cb.toDevice(f)).toFloatArray());
        Tensor view = f.transpose(0, 1).narrow(0, 3, 20);
        assertArrayEquals(view.toFloatArray(), cb.toHost(cb.toDevice(view)).toFloatArray());
        Tensor bf = cb.toHost(cb.toDevice(org.dust4j.tensor.Backends.cpu().convert(f, DType.BF16)));
        assertEquals(DType.BF16, bf.dtype());
        assertArrayEquals(org.dust4j.tensor.Backends.cpu().convert(f, DType.BF16).toFloatArray(), bf.toFloatArray());
        long[] longs = {Long.MIN_VALUE, -1, 0, 1L << 40, Long.MAX_VALUE};
        assertArrayEquals(longs, cb.toHost(cb.toDevice(Tensor.ofLongs(longs, 5))).toLongArray());
        int[] ints = {Integer.MIN_VALUE, -7, 0, 33, Integer.MAX_VALUE};
        assertArrayEquals(new long[] {Integer.MIN_VALUE, -7, 0, 33, Integer.MAX_VALUE}, cb.toHost(cb.toDevice(Tensor.ofInts(ints, 5))).toLongArray());
        // dense device-to-device copy, host-to-device copyInto and concat along axis 0 need no kernel
        Tensor d = cb.toDevice(f);
        Tensor c = cb.copy(d);
        assertArrayEquals(f.toFloatArray(), cb.toHost(c).toFloatArray());
        Tensor z = cb.zeros(DType.F32, 7, 33);
        cb.copyInto(f, z);
        assertArrayEquals(f.toFloatArray(), cb.toHost(z).toFloatArray());
        Tensor cat = cb.concat(List.of(d, cb.toDevice(TestData.randn(2, 1, 33))), 0);
        float[] got = cb.toHost(cat).toFloatArray();
        assertArrayEquals(f.toFloatArray(), java.util.Arrays.copyOf(got, 7 * 33));
        assertTrue(gpu.launches.isEmpty(), "no kernel needed: " + launched());
        assertTrue(cb.gemmEngine().startsWith("gemm.cu kernel"));
    }

    @Test
    void everyOpPacksArgumentsMatchingThePtx() {
        Tensor a = TestData.randn(1, 7, 33), bRow = TestData.randn(2, 33), view = TestData.randn(3, 33, 7).mT();
        for (Ops.Binary op : Ops.Binary.values()) {
            cb.binary(op, a, a);
            cb.binary(op, a, bRow);
            cb.binary(op, view, a);
        }
        for (Ops.Scalar op : Ops.Scalar.values()) cb.scalar(op, view, 2f);
        for (Ops.Unary op : Ops.Unary.values()) {
            cb.unary(op, view);
            cb.unaryBackward(op, a, view);
            cb.unary(op, cb.convert(a, DType.BF16));
            cb.unaryBackward(op, cb.convert(a, DType.BF16), cb.convert(a, DType.BF16));
        }
        Tensor dev = cb.toDevice(a);
        cb.addInPlace(dev, bRow);
        cb.fill(dev.narrow(1, 2, 5), 3f);
        cb.fill(cb.zeros(DType.BF16, 4), 1f);
        cb.copyInto(view, cb.zeros(DType.BF16, 7, 33));
        cb.copyInto(cb.toDevice(view), cb.zeros(DType.F32, 33, 7).mT());
        cb.convert(cb.toDevice(Tensor.ofLongs(new long[] {1, 2}, 2)), DType.F32);
        for (Ops.Reduce op : Ops.Reduce.values()) {
            for (int axis = 0; axis < 3; axis++) cb.reduce(op, TestData.randn(4, 7, 1, 33).reshape(7, 1, 33).expand(7, 5, 33), axis, axis == 1);
        }
        cb.sumTo(TestData.randn(5, 3, 7, 33), new int[] {7, 1});
        cb.sumAll(view);
        cb.sumSquares(view);
        cb.biasAdd(cb.toDevice(a), cb.toDevice(bRow));
        for (DType t : new DType[] {DType.F32, DType.BF16}) {
            Tensor x = cb.convert(a, t);
            cb.softmaxBackward(cb.softmax(x), x);
            Tensor w = cb.convert(bRow, t);
            Backend.NormResult ln = cb.layerNorm(x, w, w, 1e-5f);
            cb.layerNormBackward(x, w, ln.mean(), ln.rstd(), x, true);
            cb.layerNormBackward(x, null, ln.mean(), ln.rstd(), x, false);
            Backend.NormResult rms = cb.rmsNorm(x, w, 1e-6f);
            cb.rmsNormBackward(x, w, rms.rstd(), x);
            for (int dh : new int[] {32, 48, 64, 128}) {
                Tensor q = cb.convert(TestData.randn(6, 2, 7, 3, dh).permute(0, 2, 1, 3), t);   // [B,H,T,dh] view of [B,T,H,dh]
                Tensor k = cb.convert(TestData.randn(7, 2, 3, 33, dh), t);
                Backend.AttentionResult r = cb.attention(q, k, k, 0.125f);
                cb.attentionBackward(q, k, k, r.out(), r.lse(), r.out(), 0.125f);
            }
            Tensor x3 = cb.convert(TestData.randn(8, 3, 7, 33), t), mod = cb.convert(TestData.randn(9, 3, 6 * 33), t);
            Backend.NormResult ad = cb.adaLn(x3, mod.narrow(1, 33, 33), mod.narrow(1, 0, 33), 1e-6f);
            cb.adaLnBackward(x3, mod.narrow(1, 33, 33), ad.mean(), ad.rstd(), x3);
            cb.gatedResidualInPlace(cb.copy(x3), x3, mod.narrow(1, 66, 33));
            cb.gatedResidualBackward(x3, x3, mod.narrow(1, 66, 33));
            Tensor w3 = cb.convert(TestData.randn(10, 4, 33, 5), t), b3 = cb.convert(TestData.randn(11, 4, 5), t);
            Tensor ids = Tensor.ofLongs(new long[] {3, 0, 3}, 3);
            cb.categoryLinear(x3, w3, b3, ids);
            cb.categoryLinearBackward(x3, w3, ids, cb.convert(TestData.randn(12, 3, 7, 5), t), true);
            cb.embedding(cb.convert(bRow.reshape(3, 11), t), Tensor.ofInts(new int[] {2, 0, 1, 2}, 2, 2));
        }
        cb.gemm(1f, a, false, view, true, 0f, cb.zeros(DType.F32, 7, 7));
        cb.gemm(0.5f, TestData.randn(13, 3, 5, 7), true, TestData.randn(14, 5, 6), false, 1f, cb.zeros(DType.F32, 3, 7, 6));
        cb.gemm(1f, cb.convert(a, DType.BF16), false, cb.convert(view, DType.BF16), true, 0f, cb.zeros(DType.F32, 7, 7));
        cb.scatterAddRows(TestData.randn(15, 4, 33), Tensor.ofLongs(new long[] {1, 1, 0, 2}, 4), 3);
        cb.flowLoss(a, a, a, null, null, 1f);
        cb.flowLoss(a, a, a, a, TestData.randn(16, 7), 1f);
        Tensor p = cb.toDevice(a), g = cb.toDevice(a), m = cb.zeros(DType.F32, 7, 33), v = cb.zeros(DType.F32, 7, 33);
        cb.adamw(p, g, m, v, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 1);
        cb.adamwMulti(List.of(p, cb.toDevice(bRow)), List.of(g, cb.toDevice(bRow)), List.of(m, cb.zeros(DType.F32, 33)),
                List.of(v, cb.zeros(DType.F32, 33)), 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 2);
        cb.random(1, true, 7, 33);
        Tensor bfDev = cb.convert(a, DType.BF16);
        cb.convert(bfDev, DType.F32);
        cb.copy(bfDev.mT());
        cb.copy(cb.toDevice(Tensor.ofLongs(new long[] {1, 2, 3, 4, 5, 6}, 2, 3)).mT());
        cb.biasAdd(cb.convert(a, DType.BF16), cb.convert(bRow, DType.BF16));
        cb.binary(Ops.Binary.SUB, cb.toDevice(a), cb.toDevice(a));

        // every kernel family was exercised, each launch matched its PTX layout (DryGpu checks)
        Set<String> all = new TreeSet<>();
        for (PtxManifest.Entry e : PtxManifest.load().files()) all.addAll(e.entries());
        Set<String> notLaunched = new TreeSet<>(all);
        notLaunched.removeAll(launched());
        assertEquals(Set.of(), notLaunched, "kernels no op reached in this dry run");
    }

    @Test
    void badInputsGiveClearErrors() {
        var e1 = assertThrows(IllegalArgumentException.class, () -> cb.binary(Ops.Binary.ADD, TestData.randn(1, 2, 3), TestData.randn(2, 4)));
        assertTrue(e1.getMessage().startsWith("add: shapes [2, 3] and [4]"), e1.getMessage());
        var e2 = assertThrows(IndexOutOfBoundsException.class, () -> cb.embedding(TestData.randn(3, 4, 2), Tensor.ofInts(new int[] {4}, 1)));
        assertEquals("embedding: index 4 out of range [0, 4)", e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class, () -> cb.gemm(1f, TestData.randn(4, 2, 3), false, TestData.randn(5, 4, 2), false, 0f, cb.zeros(DType.F32, 2, 2)));
        assertTrue(e3.getMessage().startsWith("gemm: inner dimensions differ (3 vs 4)"), e3.getMessage());
        var e4 = assertThrows(IllegalArgumentException.class, () -> cb.attention(TestData.randn(6, 1, 1, 2, 32), TestData.randn(7, 1, 1, 2, 16), TestData.randn(8, 1, 1, 2, 16), 1f));
        assertTrue(e4.getMessage().startsWith("attention: q [1, 1, 2, 32] does not match k [1, 1, 2, 16]"), e4.getMessage());
        var e5 = assertThrows(IllegalArgumentException.class, () -> cb.adaLn(TestData.randn(9, 2, 3, 4), TestData.randn(1, 3, 4), TestData.randn(2, 2, 4), 1e-6f));
        assertTrue(e5.getMessage().startsWith("adaLn: modulation must be [2, 4], got [3, 4]"), e5.getMessage());
    }
}
