package org.dust4j.kernels.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * cuBLAS bound with {@code java.lang.foreign}: {@code cublasGemmEx} and {@code cublasGemmStridedBatchedEx} for F32
 * and BF16 operands with F32 accumulation (TF32 tensor cores as an option). JCublas 12.6 links libcublas.so.12,
 * which CUDA 13 installations lack, so the library is opened here by name: {@code libcublas.so.13}, else
 * {@code libcublas.so.12}, through the dynamic loader, then the CUDA install folders and the NVIDIA wheels of
 * PyTorch's Python packages ({@link #searchDirs(Map, Path, List)}). When none is found,
 * {@link #load} throws {@link Unavailable} naming everything it tried; the backend then uses the gemm.cu kernel.
 */
public final class Cublas implements AutoCloseable {

    /** libcublas could not be opened or initialised. */
    public static final class Unavailable extends RuntimeException {
        public Unavailable(String message) { super(message); }
    }

    public static final List<String> LIBRARY_NAMES = List.of("libcublas.so.13", "libcublas.so.12");

    // cublas_api.h / library_types.h values
    static final int OP_N = 0, OP_T = 1;
    static final int R_32F = 0, R_16BF = 14;
    static final int COMPUTE_32F = 68, COMPUTE_32F_FAST_TF32 = 77;
    static final int GEMM_DEFAULT = -1;
    static final int DEFAULT_MATH = 0, TF32_TENSOR_OP_MATH = 3;

    /** Operand storage types this binding supports (F32 accumulation in both). */
    public enum Type { F32, BF16 }

    private final Arena arena = Arena.ofShared();
    private final String library;
    private final MethodHandle create, destroy, setStream, setMathMode, gemmEx, gemmStridedBatchedEx;
    private final MemorySegment handle;
    private boolean tf32;

    private Cublas(SymbolLookup lib, String library) {
        this.library = library;
        Linker l = Linker.nativeLinker();
        ValueLayout P = ValueLayout.ADDRESS, I = ValueLayout.JAVA_INT, L = ValueLayout.JAVA_LONG;
        create = l.downcallHandle(find(lib, "cublasCreate_v2"), FunctionDescriptor.of(I, P));
        destroy = l.downcallHandle(find(lib, "cublasDestroy_v2"), FunctionDescriptor.of(I, P));
        setStream = l.downcallHandle(find(lib, "cublasSetStream_v2"), FunctionDescriptor.of(I, P, P));
        setMathMode = l.downcallHandle(find(lib, "cublasSetMathMode"), FunctionDescriptor.of(I, P, I));
        gemmEx = l.downcallHandle(find(lib, "cublasGemmEx"), FunctionDescriptor.of(I,
                P, I, I, I, I, I, P, P, I, I, P, I, I, P, P, I, I, I, I));
        gemmStridedBatchedEx = l.downcallHandle(find(lib, "cublasGemmStridedBatchedEx"), FunctionDescriptor.of(I,
                P, I, I, I, I, I, P, P, I, I, L, P, I, I, L, P, P, I, I, L, I, I, I));
        MemorySegment h = arena.allocate(ValueLayout.ADDRESS);
        status(call(create, h), "cublasCreate_v2");
        handle = h.get(ValueLayout.ADDRESS, 0);
    }

    private static MemorySegment find(SymbolLookup lib, String name) {
        return lib.find(name).orElseThrow(() -> new Unavailable("cuBLAS: symbol " + name + " not found"));
    }

    /** Candidate paths tried after the plain library names. */
    static List<Path> searchDirs() {
        return searchDirs(System.getenv(), Path.of(System.getProperty("user.home", "/root")), List.of(Path.of("/usr"), Path.of("/usr/local"), Path.of("/opt")));
    }

    /** Library folders of pip's NVIDIA wheels (CUDA 13: nvidia/cu13/lib; CUDA 12: nvidia/cublas/lib) and of torch. */
    static final List<String> PYTHON_LIB_DIRS = List.of("nvidia/cu13/lib", "nvidia/cublas/lib", "nvidia/cu12/lib", "torch/lib");

    /**
     * In order: the folders in DUST4J_CUBLAS (path-separated), CUDA_HOME / CUDA_PATH, the usual CUDA install folders,
     * the system library folder, then the NVIDIA wheel folders of every Python found under the prefixes
     * {@code roots}, {@code home/.local}, VIRTUAL_ENV, CONDA_PREFIX and each folder under the roots (lib/python3.X/site-packages
     * and dist-packages, as PyTorch installs libcublas.so.13 there); those last only when
     * they exist.
     */
    static List<Path> searchDirs(Map<String, String> env, Path home, List<Path> roots) {
        List<Path> dirs = new ArrayList<>();
        String own = env.get("DUST4J_CUBLAS");
        if (own != null) {
            for (String d : own.split(java.io.File.pathSeparator)) if (!d.isBlank()) dirs.add(Path.of(d));
        }
        for (String e : new String[] {"CUDA_HOME", "CUDA_PATH"}) {
            String v = env.get(e);
            if (v != null) dirs.add(Path.of(v, "lib64"));
        }
        dirs.add(Path.of("/usr/local/cuda/lib64"));
        for (String v : new String[] {"13.0", "13.1", "13.2", "12.9", "12.8", "12.6", "12.4"}) dirs.add(Path.of("/usr/local/cuda-" + v, "lib64"));
        dirs.add(Path.of("/usr/lib/x86_64-linux-gnu"));
        List<Path> prefixes = new ArrayList<>(roots);
        prefixes.add(home.resolve(".local"));
        for (String e : new String[] {"VIRTUAL_ENV", "CONDA_PREFIX"}) if (env.get(e) != null) prefixes.add(Path.of(env.get(e)));
        for (Path r : roots) prefixes.addAll(children(r));               // /opt/conda, /opt/venv, ...
        for (Path prefix : prefixes) {
            for (String lib : new String[] {"lib", "lib64"}) {
                for (Path py : children(prefix.resolve(lib))) {
                    if (!py.getFileName().toString().startsWith("python3")) continue;
                    for (String pk : new String[] {"site-packages", "dist-packages"}) {
                        for (String rel : PYTHON_LIB_DIRS) {
                            Path d = py.resolve(pk).resolve(rel);
                            if (Files.isDirectory(d) && !dirs.contains(d)) dirs.add(d);
                        }
                    }
                }
            }
        }
        return dirs;
    }

    /** The sub-folders of {@code dir} in name order (none when it is missing or unreadable). */
    private static List<Path> children(Path dir) {
        if (!Files.isDirectory(dir)) return List.of();
        try (var s = Files.list(dir)) {
            return s.filter(Files::isDirectory).sorted().toList();
        } catch (java.io.IOException | SecurityException e) {
            return List.of();
        }
    }

    /** Opens the first libcublas found, creates a handle; {@link Unavailable} with every attempt when none loads. */
    public static Cublas load() {
        List<String> tried = new ArrayList<>();
        for (String name : LIBRARY_NAMES) {
            try {
                return new Cublas(SymbolLookup.libraryLookup(name, Arena.global()), name);
            } catch (IllegalArgumentException e) {
                tried.add(name + " (dynamic loader: not found)");
            }
            for (Path dir : searchDirs()) {
                Path p = dir.resolve(name);
                if (!Files.exists(p)) continue;
                try {
                    return new Cublas(SymbolLookup.libraryLookup(p, Arena.global()), p.toString());
                } catch (IllegalArgumentException e) {
                    tried.add(p + " (" + e.getMessage() + ")");
                }
            }
        }
        throw new Unavailable("cuBLAS unavailable: no libcublas.so.13 or libcublas.so.12 could be opened; tried " + String.join(", ", tried)
                + " and the directories " + searchDirs() + " (install the CUDA cuBLAS library, set CUDA_HOME, or name its folder in DUST4J_CUBLAS)");
    }

    /** The library file that was opened. */
    public String library() { return library; }

    /** Binds the handle to a CUDA stream (the CUstream handle value). */
    public void setStream(long stream) {
        status(call(setStream, handle, MemorySegment.ofAddress(stream)), "cublasSetStream_v2");
    }

    /** TF32 tensor-core math for F32 GEMMs (about 10 mantissa bits per product; off by default). */
    public void setTf32(boolean on) {
        tf32 = on;
        status(call(setMathMode, handle, on ? TF32_TENSOR_OP_MATH : DEFAULT_MATH), "cublasSetMathMode");
    }

    static int dataType(Type t) { return t == Type.F32 ? R_32F : R_16BF; }

    int computeType(Type t) { return t == Type.F32 && tf32 ? COMPUTE_32F_FAST_TF32 : COMPUTE_32F; }

    /**
     * Runs a {@link GemmPlan}: {@code slotA}/{@code slotB} are the device addresses of the operands in cuBLAS's
     * A and B slots (already offset to element 0), {@code c} the output (F32).
     */
    public void gemm(GemmPlan p, Type type, float alpha, long slotA, long slotB, float beta, long c) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment al = a.allocateFrom(ValueLayout.JAVA_FLOAT, alpha), be = a.allocateFrom(ValueLayout.JAVA_FLOAT, beta);
            int dt = dataType(type);
            int st;
            if (p.batch() == 1) {
                st = call(gemmEx, handle, p.transA() ? OP_T : OP_N, p.transB() ? OP_T : OP_N, p.m(), p.n(), p.k(), al,
                        MemorySegment.ofAddress(slotA), dt, (int) p.lda(), MemorySegment.ofAddress(slotB), dt, (int) p.ldb(), be,
                        MemorySegment.ofAddress(c), R_32F, (int) p.ldc(), computeType(type), GEMM_DEFAULT);
            } else {
                st = call(gemmStridedBatchedEx, handle, p.transA() ? OP_T : OP_N, p.transB() ? OP_T : OP_N, p.m(), p.n(), p.k(), al,
                        MemorySegment.ofAddress(slotA), dt, (int) p.lda(), p.strideA(), MemorySegment.ofAddress(slotB), dt, (int) p.ldb(),
                        p.strideB(), be, MemorySegment.ofAddress(c), R_32F, (int) p.ldc(), p.strideC(), p.batch(), computeType(type),
                        GEMM_DEFAULT);
            }
            status(st, p.batch() == 1 ? "cublasGemmEx" : "cublasGemmStridedBatchedEx");
        }
    }

    private static int call(MethodHandle h, Object... args) {
        try {
            return (int) h.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new CudaException("cuBLAS call failed", t);
        }
    }

    static void status(int st, String what) {
        if (st != 0) throw new CudaException(what + " returned cublasStatus " + st + " (" + statusName(st) + ")");
    }

    static String statusName(int st) {
        return switch (st) {
            case 1 -> "NOT_INITIALIZED";
            case 3 -> "ALLOC_FAILED";
            case 7 -> "INVALID_VALUE";
            case 8 -> "ARCH_MISMATCH";
            case 11 -> "MAPPING_ERROR";
            case 13 -> "EXECUTION_FAILED";
            case 14 -> "INTERNAL_ERROR";
            case 15 -> "NOT_SUPPORTED";
            case 16 -> "LICENSE_ERROR";
            default -> "status " + st;
        };
    }

    @Override
    public void close() {
        call(destroy, handle);
        arena.close();
    }
}
