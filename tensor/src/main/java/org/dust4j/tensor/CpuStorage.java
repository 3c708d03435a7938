package org.dust4j.tensor;

/** On-heap CPU storage, one record per primitive array type. */
public sealed interface CpuStorage extends Storage {

    @Override
    default Device device() { return Device.CPU; }

    record Floats(float[] data) implements CpuStorage {
        public DType dtype() { return DType.F32; }
        public long capacity() { return data.length; }
    }

    /** BF16 or F16 bit patterns. */
    record Shorts(DType dtype, short[] data) implements CpuStorage {
        public Shorts {
            if (dtype != DType.BF16 && dtype != DType.F16) {
                throw new IllegalArgumentException("short storage holds BF16 or F16, not " + dtype);
            }
        }
        public long capacity() { return data.length; }
    }

    record Longs(long[] data) implements CpuStorage {
        public DType dtype() { return DType.I64; }
        public long capacity() { return data.length; }
    }

    record Ints(int[] data) implements CpuStorage {
        public DType dtype() { return DType.I32; }
        public long capacity() { return data.length; }
    }
}
