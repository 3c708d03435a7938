package org.dust4j.kernels.cuda;

import java.nio.ByteBuffer;

/**
 * The device operations {@link CudaBackend} needs, over raw device addresses ({@code long}). {@link JCudaGpu}
 * implements it with JCuda's driver API; tests use a recording implementation that checks every launch
 * against the PTX without a GPU. All work goes to one stream, in order.
 */
public interface Gpu extends AutoCloseable {

    /** Device name, compute capability and memory, one line. */
    String describe();

    int ccMajor();

    int ccMinor();

    /** Raw device allocation (the caching allocator sits above this). Throws {@link CudaException.OutOfMemory} when full. */
    long malloc(long bytes);

    void free(long address);

    /** Zeroes {@code bytes} at {@code address} (stream-ordered). */
    void memsetZero(long address, long bytes);

    /** Copies {@code src}'s remaining bytes to the device; returns once {@code src} may be reused. */
    void upload(long dst, ByteBuffer src);

    /** Copies {@code dst.remaining()} bytes from the device; waits for all earlier work. */
    void download(ByteBuffer dst, long src);

    /** Device-to-device copy (stream-ordered). */
    void copy(long dst, long src, long bytes);

    /** Launches an entry point of the PTX in the JAR; the arguments must match its PTX parameter layout. */
    void launch(String kernel, LaunchGeometry.Launch launch, KernelArgs args);

    /** The native CUstream handle the work goes to (for cuBLAS); 0 for the default stream. */
    long streamHandle();

    /** Waits for all queued work. */
    void synchronize();

    /** Milliseconds of device time {@code body} takes, measured with CUDA events around it on the stream. */
    float timeMs(Runnable body);

    /** A captured CUDA graph ready to replay. */
    interface Graph extends AutoCloseable {
        void replay();

        @Override
        void close();
    }

    /** Captures the launches and copies {@code body} queues (no host round trips allowed inside) into a graph. */
    Graph capture(Runnable body);

    @Override
    void close();
}
