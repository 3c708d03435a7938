package org.dust4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** example-inputs writes a file that forward, loss and sample accept as is, for both model types. */
class ExampleInputsCommandTest {
    static Path repo() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("models/demo-dust"))) p = p.getParent();
        return p;
    }

    @Test
    void everyOpAcceptsItsExampleInputs(@TempDir Path tmp) {
        for (String model : new String[] {"models/demo-dust", "testdata/model/gr00t"}) {
            String dir = repo().resolve(model).toString();
            for (String op : new String[] {"forward", "loss", "sample"}) {
                Path in = tmp.resolve(op + "-" + model.replace('/', '_') + ".safetensors");
                MainTest.Result r = MainTest.run("example-inputs", "--model", dir, "--op", op, "--out", in.toString(), "--batch", "2");
                assertEquals(0, r.code(), r.err());
                assertTrue(r.err().contains("vl[2, 8, "), r.err());
                Path out = tmp.resolve("out-" + op + ".safetensors");
                MainTest.Result o = MainTest.run(op, "--model", dir, "--inputs", in.toString(), "--out", out.toString());
                assertEquals(0, o.code(), model + " " + op + ": " + o.err());
                assertTrue(Files.isRegularFile(out));
            }
        }
    }

    @Test
    void badArgumentsAreOneLine(@TempDir Path tmp) {
        String dir = repo().resolve("models/demo-dust").toString();
        MainTest.Result r = MainTest.run("example-inputs", "--model", dir, "--op", "train", "--out", tmp.resolve("x").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("dust4j: error: example-inputs: --op must be forward, loss or sample, got \"train\""), r.err());
        r = MainTest.run("example-inputs", "--model", dir, "--op", "sample", "--out", tmp.resolve("no/such/dir/x.safetensors").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("folder " + tmp.resolve("no/such/dir") + " does not exist"), r.err());
    }
}
