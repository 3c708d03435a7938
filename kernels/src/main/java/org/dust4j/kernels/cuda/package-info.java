/**
 * CUDA backend: kernels compiled from {@code kernels/src/main/cuda} to PTX at build time and shipped in the JAR,
 * loaded with JCuda's driver API ({@link org.dust4j.kernels.cuda.JCudaGpu}); GEMM through cuBLAS bound with
 * {@code java.lang.foreign} ({@link org.dust4j.kernels.cuda.Cublas}). Entry points: {@link org.dust4j.kernels.cuda.Devices#select}
 * and the {@code cuda} {@link org.dust4j.tensor.Backends.BackendProvider}. See docs/cuda.md.
 */
package org.dust4j.kernels.cuda;
