package org.dust4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.dust4j.tensor.Backends;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --device} on every model command, and {@code info}'s device report. This machine class (CI) has no GPU: asking for
 * CUDA must be one error line naming why, exit 1, and nothing written; {@code --device cpu} must give the fixture results.
 */
class DeviceOptionTest {

    static final String[] COMMANDS = {"forward", "loss", "sample", "train", "eval", "ablate", "demo"};

    @Test
    void everyModelCommandTakesTheDeviceOption() {
        for (String c : COMMANDS) {
            ModelCommandsTest.Result r = ModelCommandsTest.run(c, "--help");
            assertEquals(0, r.code(), c + ": " + r.err());
            assertTrue(r.out().contains("--device=DEVICE"), c + " --help lacks --device:\n" + r.out());
        }
    }

    @Test
    void cudaWithoutAUsableDeviceIsOneClearError(@TempDir Path tmp) {
        String why = Backends.providers().stream().filter(p -> p.name().equals("cuda")).findFirst().orElseThrow().whyUnavailable();
        Assumptions.assumeTrue(why != null, "a usable CUDA device is present: the unavailable case cannot happen here");
        Path out = tmp.resolve("f.safetensors");
        for (String dev : new String[] {"cuda", "cuda:1"}) {
            ModelCommandsTest.Result r = ModelCommandsTest.run("forward", "--device", dev, "--model", ModelCommandsTest.fixture("dust-dual", "").toString(),
                    "--inputs", ModelCommandsTest.fixture("dust-dual", "forward_in.safetensors").toString(), "--out", out.toString());
            assertEquals(1, r.code(), r.err());
            String first = r.err().lines().findFirst().orElse("");
            assertTrue(first.startsWith("dust4j: error: device cuda:") && first.contains("requested but not available: " + why), first);
            assertFalse(Files.exists(out), "nothing is written");
        }
        ModelCommandsTest.Result t = ModelCommandsTest.run("train", "--device", "cuda", "--data", tmp.resolve("none").toString(), "--out",
                tmp.resolve("run").toString());
        assertEquals(1, t.code());
        assertTrue(t.err().contains("requested but not available"), "train checks the device before reading data: " + t.err());
    }

    @Test
    void badDeviceNamesAreRejected(@TempDir Path tmp) {
        for (String[] c : new String[][] {{"tpu", "is unknown"}, {"cuda:x", "bad CUDA ordinal"}, {"cuda:-1", "bad CUDA ordinal"}}) {
            ModelCommandsTest.Result r = ModelCommandsTest.run("sample", "--device", c[0], "--model", ModelCommandsTest.fixture("dust-dual", "").toString(),
                    "--inputs", ModelCommandsTest.fixture("dust-dual", "sample_in.safetensors").toString(), "--out", tmp.resolve("s.safetensors").toString());
            assertEquals(1, r.code(), c[0]);
            assertTrue(r.err().lines().findFirst().orElse("").contains(c[1]), c[0] + ": " + r.err());
        }
    }

    @Test
    void cpuDeviceGivesTheFixtureResults(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("f.safetensors");
        ModelCommandsTest.Result r = ModelCommandsTest.run("forward", "--device", "cpu", "--model", ModelCommandsTest.fixture("dust-dual", "").toString(),
                "--inputs", ModelCommandsTest.fixture("dust-dual", "forward_in.safetensors").toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        ModelCommandsTest.assertClose(ModelCommandsTest.fixture("dust-dual", "forward_out.safetensors"), ModelCommandsTest.read(out));
    }

    @Test
    void infoListsDevicesPtxAndCublas() {
        ModelCommandsTest.Result r = ModelCommandsTest.run("info");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("backend    cuda:"), r.out());
        assertTrue(r.out().contains("  ptx      dust4j CUDA kernels:"), r.out());
        assertTrue(r.out().contains("  cublas   "), r.out());
        assertTrue(r.out().contains("  devices  "), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("devices    cpu")), r.out());
    }
}
