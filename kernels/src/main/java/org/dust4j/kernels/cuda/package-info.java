/** CUDA backend: PTX kernels compiled from kernels/src/main/cuda, JCuda driver API, cuBLAS via java.lang.foreign. Not built yet. */
package org.dust4j.kernels.cuda;
