package org.dust4j.kernels.cuda;

import org.dust4j.tensor.DType;
import org.dust4j.tensor.Device;
import org.dust4j.tensor.Storage;

/**
 * Device memory behind CUDA tensors: a block of the {@link CachingAllocator} owned by this storage, returned to its
 * cache when the storage becomes unreachable (the allocator drains its reference queue on every allocation, and
 * collects garbage before it reports the device full).
 */
public final class CudaStorage implements Storage {
    private final DType dtype;
    private final Device device;
    private final long capacity;
    private final long address;

    CudaStorage(DType dtype, Device device, long capacity, CachingAllocator allocator) {
        this.dtype = dtype;
        this.device = device;
        this.capacity = capacity;
        this.address = allocator.allocate(Math.max(1, capacity) * dtype.byteSize(), this);
    }

    @Override
    public DType dtype() { return dtype; }

    @Override
    public Device device() { return device; }

    @Override
    public long capacity() { return capacity; }

    /** Device address of element 0. */
    public long address() { return address; }
}
