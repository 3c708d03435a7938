package org.dust4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Ops;
import org.junit.jupiter.api.Test;

/** The op and dtype codes #defined in the .cu files equal the Java enum ordinals the backend passes. */
class OpCodesTest {
    static Map<String, Integer> defines(String file) throws IOException {
        String src = Files.readString(TestData.cudaSources().resolve(file));
        Map<String, Integer> m = new HashMap<>();
        Matcher mt = Pattern.compile("#define (\\w+) (\\d+)\\s*$", Pattern.MULTILINE).matcher(src);
        while (mt.find()) m.put(mt.group(1), Integer.parseInt(mt.group(2)));
        return m;
    }

    static void check(Map<String, Integer> defs, String prefix, Enum<?>[] values) {
        for (Enum<?> v : values) assertEquals(v.ordinal(), defs.get(prefix + v.name()), prefix + v.name());
    }

    @Test
    void binaryScalarUnaryReduceAndDtypeCodes() throws IOException {
        Map<String, Integer> ew = defines("elementwise.cu");
        check(ew, "BIN_", Ops.Binary.values());
        Map<String, Integer> sc = new HashMap<>();
        ew.forEach((k, v) -> { if (k.startsWith("SC_")) sc.put(k, v); });
        check(sc, "SC_", Ops.Scalar.values());
        check(defines("activation.cu"), "U_", Ops.Unary.values());
        check(defines("reduce.cu"), "R_", Ops.Reduce.values());
        check(defines("common.cuh"), "DT_", DType.values());
    }
}
