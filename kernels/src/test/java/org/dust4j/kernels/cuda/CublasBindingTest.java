package org.dust4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The FFM cuBLAS binder without libcublas (this machine): a clear error naming what it tried. */
class CublasBindingTest {
    @Test
    void missingLibraryGivesAClearError() {
        boolean present = Cublas.searchDirs().stream()
                .anyMatch(d -> Cublas.LIBRARY_NAMES.stream().anyMatch(n -> Files.exists(d.resolve(n))));
        if (present) {
            String msg = "libcublas is installed here: the missing-library error is not testable";
            System.out.println(msg);
            Assumptions.abort(msg);
        }
        var e = assertThrows(Cublas.Unavailable.class, Cublas::load);
        String m = e.getMessage();
        assertTrue(m.startsWith("cuBLAS unavailable: no libcublas.so.13 or libcublas.so.12 could be opened"), m);
        assertTrue(m.contains("libcublas.so.13 (dynamic loader: not found)") && m.contains("libcublas.so.12 (dynamic loader: not found)"), m);
        assertTrue(m.contains("/usr/local/cuda/lib64"), m);
        assertTrue(!m.contains("\n"), "one line");
    }

    @Test
    void statusNames() {
        var e = assertThrows(CudaException.class, () -> Cublas.status(7, "cublasGemmEx"));
        assertTrue(e.getMessage().equals("cublasGemmEx returned cublasStatus 7 (INVALID_VALUE)"), e.getMessage());
    }
}
