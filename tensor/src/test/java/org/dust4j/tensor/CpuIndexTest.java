package org.dust4j.tensor;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Gather, scatter-add and concat against the oracle: all are copies or the oracle's own arithmetic, so exact. */
class CpuIndexTest {
    static final CpuBackend CPU = Backends.cpu();
    static final ReferenceBackend REF = Backends.reference();

    static Tensor indices(long seed, int bound, boolean ints, int... shape) {
        int n = (int) Shape.numel(shape);
        java.util.Random rnd = new java.util.Random(seed);
        long[] l = new long[n];
        int[] i = new int[n];
        for (int k = 0; k < n; k++) {
            l[k] = rnd.nextInt(bound);
            i[k] = (int) l[k];
        }
        return ints ? Tensor.ofInts(i, shape) : Tensor.ofLongs(l, shape);
    }

    @Test
    void embeddingGathersRows() {
        for (int[] table : new int[][] {{1, 1}, {7, 33}, {1000, 7}, {33, 1000}}) {
            Tensor[] tables = {Check.randn(1, 1f, table), Check.randnStrided(1, 1f, table),
                    Check.randn(2, 1f, table[0] + 2, table[1]).narrow(0, 1, table[0])};
            for (Tensor t : tables) {
                for (int[] idxShape : new int[][] {{1}, {7}, {3, 5}, {0}}) {
                    for (boolean ints : new boolean[] {false, true}) {
                        Tensor idx = indices(3, table[0], ints, idxShape);
                        Check.identical("embedding " + Shape.str(table) + " at " + Shape.str(idxShape), REF.embedding(t, idx), CPU.embedding(t, idx));
                    }
                }
            }
        }
        Tensor t = Check.randn(1, 1f, 7, 4);
        Tensor idx = Tensor.ofLongs(new long[] {6, 0, 6, 1}, 2, 2);
        Check.identical("embedding with repeats", REF.embedding(t, idx), CPU.embedding(t, idx));
        // strided index tensor
        Tensor idxT = Tensor.ofLongs(new long[] {1, 2, 3, 4, 5, 6}, 2, 3).transpose(0, 1);
        Check.identical("embedding with transposed indices", REF.embedding(t, idxT), CPU.embedding(t, idxT));
    }

    @Test
    void embeddingBadInputs() {
        Tensor t = Tensor.zeros(7, 4);
        String msg = CpuElementwiseTest.sameError(IndexOutOfBoundsException.class, () -> REF.embedding(t, Tensor.ofLongs(new long[] {0, 7}, 2)),
                () -> CPU.embedding(t, Tensor.ofLongs(new long[] {0, 7}, 2)));
        assertTrue(msg.contains("embedding") && msg.contains("index 7") && msg.contains("[0, 7)"), msg);
        msg = CpuElementwiseTest.sameError(IndexOutOfBoundsException.class, () -> REF.embedding(t, Tensor.ofInts(new int[] {-1}, 1)),
                () -> CPU.embedding(t, Tensor.ofInts(new int[] {-1}, 1)));
        assertTrue(msg.contains("index -1"), msg);
        msg = CpuElementwiseTest.sameError(IllegalArgumentException.class, () -> REF.embedding(t, Tensor.zeros(2)), () -> CPU.embedding(t, Tensor.zeros(2)));
        assertTrue(msg.contains("I64 or I32"), msg);
        msg = CpuElementwiseTest.sameError(IllegalArgumentException.class, () -> REF.embedding(Tensor.zeros(7), Tensor.ofLongs(new long[] {0}, 1)),
                () -> CPU.embedding(Tensor.zeros(7), Tensor.ofLongs(new long[] {0}, 1)));
        assertTrue(msg.contains("[N,D]") && msg.contains("[7]"), msg);
    }

    @Test
    void scatterAddRowsIsTheOraclesSum() {
        // same additions in the same order (double, index order) as the oracle: bit-identical, repeats included
        for (int d : new int[] {1, 7, 33, 1000}) {
            for (int[] idxShape : new int[][] {{1}, {7}, {3, 11}, {200}}) {
                int rows = (int) Shape.numel(idxShape);
                int[] srcShape = java.util.Arrays.copyOf(idxShape, idxShape.length + 1);
                srcShape[idxShape.length] = d;
                Tensor idx = indices(5, 9, d % 2 == 0, idxShape);
                for (CpuElementwiseTest.In src : CpuElementwiseTest.layouts(6, 1f, srcShape)) {
                    Check.identical("scatterAddRows " + src.name() + " rows " + rows, REF.scatterAddRows(src.t(), idx, 9),
                            CPU.scatterAddRows(src.t(), idx, 9));
                }
            }
        }
        // two rows into one: near-ties of float rounding, which a float add must round like the oracle's double sum
        float tie = 0x1p-24f, above = 0x1p-24f * (1 + 0x1p-23f);
        Tensor pair = Tensor.of(new float[] {1f, 1f, -1f, 3f, above, tie, 0x1p-25f, -0f}, 2, 4);
        Check.identical("scatterAddRows of two near-tie rows", REF.scatterAddRows(pair, Tensor.ofLongs(new long[] {1, 1}, 2), 2),
                CPU.scatterAddRows(pair, Tensor.ofLongs(new long[] {1, 1}, 2), 2));
        Tensor negZero = Tensor.of(new float[] {-0f, 2f}, 1, 2);
        Check.identical("scatterAddRows of -0", REF.scatterAddRows(negZero, Tensor.ofLongs(new long[] {1}, 1), 3),
                CPU.scatterAddRows(negZero, Tensor.ofLongs(new long[] {1}, 1), 3));
        String msg = CpuElementwiseTest.sameError(IndexOutOfBoundsException.class,
                () -> REF.scatterAddRows(Tensor.zeros(2, 3), Tensor.ofLongs(new long[] {0, 4}, 2), 4),
                () -> CPU.scatterAddRows(Tensor.zeros(2, 3), Tensor.ofLongs(new long[] {0, 4}, 2), 4));
        assertTrue(msg.contains("scatterAddRows") && msg.contains("index 4") && msg.contains("[0, 4)"), msg);
        msg = CpuElementwiseTest.sameError(IllegalArgumentException.class,
                () -> REF.scatterAddRows(Tensor.zeros(3, 3), Tensor.ofLongs(new long[] {0, 1}, 2), 4),
                () -> CPU.scatterAddRows(Tensor.zeros(3, 3), Tensor.ofLongs(new long[] {0, 1}, 2), 4));
        assertTrue(msg.contains("[3, 3]") && msg.contains("[2]"), msg);
    }

    @Test
    void concatCopiesBlocks() {
        for (int axis = -2; axis < 2; axis++) {
            List<Tensor> parts = List.of(Check.randn(1, 1f, 7, 33), Check.randnStrided(2, 1f, 7, 33),
                    Check.randn(3, 1f, 9, 40).narrow(0, 1, 7).narrow(1, 2, 33), Check.randn(4, 1f, 1, 33).expand(7, 33));
            Check.identical("concat axis " + axis, REF.concat(parts, axis), CPU.concat(parts, axis));
        }
        List<Tensor> uneven = List.of(Check.randn(5, 1f, 3, 1, 1000), Check.randn(6, 1f, 3, 7, 1000), Tensor.zeros(3, 0, 1000),
                Check.randn(7, 1f, 3, 33, 1000));
        Check.identical("concat uneven middle axis", REF.concat(uneven, 1), CPU.concat(uneven, 1));
        List<Tensor> one = List.of(Check.randn(8, 1f, 33));
        Check.identical("concat of one", REF.concat(one, 0), CPU.concat(one, 0));
        for (DType t : new DType[] {DType.BF16, DType.I64, DType.I32, DType.F16}) {
            List<Tensor> ps = List.of(REF.convert(Check.randn(9, 9f, 4, 5), t), REF.convert(Check.randn(10, 9f, 5, 4), t).transpose(0, 1));
            CpuElementwiseTest.sameBits("concat " + t, REF.concat(ps, 1), CPU.concat(ps, 1));
        }
        String msg = CpuElementwiseTest.sameError(IllegalArgumentException.class,
                () -> REF.concat(List.of(Tensor.zeros(3, 4), Tensor.zeros(3, 5)), 0), () -> CPU.concat(List.of(Tensor.zeros(3, 4), Tensor.zeros(3, 5)), 0));
        assertTrue(msg.contains("concat") && msg.contains("[3, 4]") && msg.contains("[3, 5]"), msg);
        msg = CpuElementwiseTest.sameError(IllegalArgumentException.class,
                () -> REF.concat(List.of(Tensor.zeros(3), Tensor.zeros(DType.BF16, 3)), 0),
                () -> CPU.concat(List.of(Tensor.zeros(3), Tensor.zeros(DType.BF16, 3)), 0));
        assertTrue(msg.contains("BF16") && msg.contains("F32"), msg);
        CpuElementwiseTest.sameError(IllegalArgumentException.class, () -> REF.concat(List.of(), 0), () -> CPU.concat(List.of(), 0));
        CpuElementwiseTest.sameError(IllegalArgumentException.class, () -> REF.concat(List.of(Tensor.zeros(3)), 1), () -> CPU.concat(List.of(Tensor.zeros(3)), 1));
    }
}
