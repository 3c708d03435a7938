package org.dust4j.kernels.cuda;

/** A CUDA driver, module or library failure, with the call and the driver's error name in the message. */
public class CudaException extends RuntimeException {
    public CudaException(String message) { super(message); }

    public CudaException(String message, Throwable cause) { super(message, cause); }

    /** Device memory exhausted (after the caching allocator released its cache and retried). */
    public static final class OutOfMemory extends CudaException {
        public OutOfMemory(String message) { super(message); }
    }
}
