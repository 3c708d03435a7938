package org.dust4j.kernels.cuda;

import java.util.List;

/**
 * Capture once, replay many: the sampling loop's launches (fixed shapes, device-resident inputs and outputs) are
 * recorded into a CUDA graph and replayed with one launch per step. Tensors used inside the body must be
 * allocated before capture and stay alive while the graph is in use (the "static buffers" pattern); blocks
 * allocated during capture are pinned in the {@link CachingAllocator} until {@link #close}. No host transfers
 * (toHost, uploads, sumAll, flowLoss's scalar read) may happen inside the body.
 */
public final class CudaGraph implements AutoCloseable {
    private final CudaBackend backend;
    private final Gpu.Graph graph;
    private final List<Long> pinned;

    private CudaGraph(CudaBackend backend, Gpu.Graph graph, List<Long> pinned) {
        this.backend = backend;
        this.graph = graph;
        this.pinned = pinned;
    }

    /** Runs {@code body} once under stream capture and instantiates the graph (the body's work is not executed). */
    public static CudaGraph capture(CudaBackend backend, Runnable body) {
        backend.synchronize();
        backend.allocator().beginCapture();
        Gpu.Graph g;
        try {
            g = backend.gpu().capture(body);
        } catch (RuntimeException | Error e) {
            backend.allocator().releaseCaptured(backend.allocator().endCapture());
            throw e;
        }
        return new CudaGraph(backend, g, backend.allocator().endCapture());
    }

    /** Queues one replay of the captured work on the backend's stream. */
    public void replay() { graph.replay(); }

    @Override
    public void close() {
        backend.synchronize();
        graph.close();
        backend.allocator().releaseCaptured(pinned);
    }
}
