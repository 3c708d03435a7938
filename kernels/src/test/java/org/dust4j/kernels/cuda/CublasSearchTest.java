package org.dust4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where Cublas looks for libcublas: a fake file system of CUDA and Python installs under a temp dir. */
class CublasSearchTest {
    @TempDir
    Path tmp;

    Path dir(String rel) throws IOException { return Files.createDirectories(tmp.resolve(rel)); }

    @Test
    void findsPytorchWheelsOwnFoldersAndEnvFoldersInOrder() throws IOException {
        Path usr = dir("usr"), usrLocal = dir("usr/local"), opt = dir("opt"), home = dir("home/u");
        Path cu13 = dir("usr/local/lib/python3.12/dist-packages/nvidia/cu13/lib");
        Path cublas12 = dir("usr/lib/python3/dist-packages/nvidia/cublas/lib");
        Path conda = dir("opt/conda/lib/python3.11/site-packages/nvidia/cublas/lib");
        Path user = dir("home/u/.local/lib/python3.10/site-packages/nvidia/cu13/lib");
        Path venv = dir("venv/lib64/python3.13/site-packages/torch/lib");
        dir("usr/local/lib/python2.7/dist-packages/nvidia/cublas/lib");          // not a Python 3
        dir("usr/local/lib/python3.12/dist-packages/nvidia/cudnn/lib");          // not cuBLAS
        Path own1 = tmp.resolve("mine1"), own2 = tmp.resolve("mine2");
        Map<String, String> env = Map.of("DUST4J_CUBLAS", own1 + java.io.File.pathSeparator + own2, "CUDA_HOME", tmp.resolve("cuda").toString(),
                "VIRTUAL_ENV", tmp.resolve("venv").toString());
        List<Path> dirs = Cublas.searchDirs(env, home, List.of(usr, usrLocal, opt));
        assertEquals(own1, dirs.get(0), "DUST4J_CUBLAS first");
        assertEquals(own2, dirs.get(1));
        assertEquals(tmp.resolve("cuda/lib64"), dirs.get(2), "then CUDA_HOME");
        for (Path p : List.of(cu13, cublas12, conda, user, venv)) assertTrue(dirs.contains(p), p + " in " + dirs);
        assertTrue(dirs.indexOf(Path.of("/usr/local/cuda/lib64")) < dirs.indexOf(cublas12), "the CUDA install before the Python wheels");
        assertFalse(dirs.stream().anyMatch(p -> p.toString().contains("python2") || p.toString().contains("cudnn")), dirs.toString());
        assertEquals(dirs.size(), dirs.stream().distinct().count(), "no folder twice");
    }

    @Test
    void withoutPythonInstallsOnlyTheCudaFoldersAreListed() throws IOException {
        List<Path> dirs = Cublas.searchDirs(Map.of(), dir("h"), List.of(dir("r")));
        assertEquals(Path.of("/usr/local/cuda/lib64"), dirs.get(0));
        assertTrue(dirs.stream().noneMatch(p -> p.startsWith(tmp)), dirs.toString());
    }
}
