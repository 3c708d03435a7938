package org.dust4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Guards the Vector API kernels against falling off C2's intrinsified path, without timing anything.
 *
 * <p>Why a bytecode check: a Vector API value stays in a register only while C2 sees both its producer and its
 * consumer in one compilation unit. When a method that takes or returns a {@code FloatVector} (or a mask or shuffle)
 * is left out of line, every vector crossing the call is boxed on the heap. Whether C2 inlines such a helper depends
 * on the profile at the moment it compiles the caller (a call site it judged cold gets the 35-byte limit; a helper
 * already compiled on its own is refused as "already compiled into a big method"), so the same kernel ran at full
 * speed in one JVM and 10-30x slower in the next (issue 11: binary ADD on [81, 256] at 0.76 ms per call; the
 * inlining log showed {@code CpuElementwise::bin (104 bytes) failed to inline: callee is too large}). No such
 * method exists any more: every kernel method takes arrays and offsets and keeps its vectors local. This test
 * reads the compiled classes of the package and fails on any method (lambdas included) whose descriptor has a
 * Vector, VectorMask or VectorShuffle type. Species, shapes and operators are constants, not boxed values: allowed.
 */
class VectorBoundaryTest {

    private static final List<String> BOXED = List.of("jdk.incubator.vector.Vector", "jdk.incubator.vector.FloatVector",
            "jdk.incubator.vector.IntVector", "jdk.incubator.vector.ShortVector", "jdk.incubator.vector.ByteVector",
            "jdk.incubator.vector.LongVector", "jdk.incubator.vector.DoubleVector", "jdk.incubator.vector.VectorMask",
            "jdk.incubator.vector.VectorShuffle");

    @Test
    void noMethodPassesOrReturnsAVector() throws IOException, URISyntaxException {
        Path dir = Path.of(CpuBackend.class.getProtectionDomain().getCodeSource().getLocation().toURI()).resolve("org/dust4j/tensor");
        List<String> offenders = new ArrayList<>();
        int classes = 0, methods = 0;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).sorted().toList()) {
                ClassModel cm;
                try (InputStream in = Files.newInputStream(f)) {
                    cm = ClassFile.of().parse(in.readAllBytes());
                }
                classes++;
                methods += cm.methods().size();
                offenders.addAll(offenders(cm));
            }
        }
        assertTrue(classes > 20 && methods > 300, "read only " + classes + " classes / " + methods + " methods from " + dir);
        assertEquals(List.of(), offenders, "methods with a Vector API value in their signature (box vectors when not inlined)");
    }

    /** Methods of one class with a boxed Vector API type as a parameter or result. */
    static List<String> offenders(ClassModel cm) {
        List<String> out = new ArrayList<>();
        for (MethodModel m : cm.methods()) {
            MethodTypeDesc d = m.methodTypeSymbol();
            List<ClassDesc> types = new ArrayList<>(d.parameterList());
            types.add(d.returnType());
            for (ClassDesc t : types) {
                while (t.isArray()) t = t.componentType();
                if (BOXED.contains(t.descriptorString().replace('/', '.').replaceAll("^L|;$", ""))) {
                    out.add(cm.thisClass().asInternalName() + "." + m.methodName().stringValue() + d.descriptorString());
                    break;
                }
            }
        }
        return out;
    }

    @Test
    void theCheckSeesAVectorSignature() throws IOException {
        // the check must be able to fail: the helper class below has a FloatVector parameter
        ClassModel cm;
        try (InputStream in = VectorBoundaryTest.class.getResourceAsStream("VectorBoundaryTest$Bad.class")) {
            cm = ClassFile.of().parse(in.readAllBytes());
        }
        assertEquals(1, offenders(cm).size(), offenders(cm).toString());
    }

    /** A method of the forbidden kind (test code only). */
    static final class Bad {
        static float first(jdk.incubator.vector.FloatVector v) { return v.lane(0); }
    }
}
