package org.dust4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The "Use from Java" example of README.md: extracted, compiled with javax.tools against this module's test class
 * path and run; its printed result must equal the same sampling done here.
 */
class ReadmeJavaExampleTest {
    static Path root() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("README.md"))) p = p.getParent();
        if (p == null) throw new IllegalStateException("README.md not found");
        return p;
    }

    @Test
    void readmeExampleCompilesAndRuns(@TempDir Path tmp) throws Exception {
        String readme = Files.readString(root().resolve("README.md"));
        int at = readme.indexOf("## Use from Java");
        assertTrue(at >= 0, "README.md has a 'Use from Java' section");
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertTrue(m.find(at), "the section has a ```java block");
        String code = m.group(1);
        long lines = code.lines().filter(l -> !l.isBlank() && !l.strip().startsWith("import")).count();
        assertTrue(lines <= 20, "the example stays short (" + lines + " lines without imports)");
        Path src = tmp.resolve("UseDust4j.java");
        Files.writeString(src, code);
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diag = new ByteArrayOutputStream();
        int rc = javac.run(null, diag, diag, "--add-modules", "jdk.incubator.vector", "-classpath", cp, "-d", tmp.toString(), src.toString());
        assertEquals(0, rc, "README example does not compile:\n" + diag.toString(StandardCharsets.UTF_8));

        Path model = root().resolve("models/demo-dust");
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (URLClassLoader cl = new URLClassLoader(new URL[] {tmp.toUri().toURL()}, getClass().getClassLoader())) {
            Method main = cl.loadClass("UseDust4j").getMethod("main", String[].class);
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            main.invoke(null, (Object) new String[] {model.toString()});
        } finally {
            System.setOut(old);
        }
        DustPolicy p = DustPolicy.load(model).withOptions(new SamplerOptions(4, 2, SamplerOptions.Variant.START));
        int dvl = p.model().config().vlDim();
        float[][] vl = new float[8][dvl];
        for (int s = 0; s < 8; s++) vl[s][s % dvl] = 1f;
        float[][] a = p.sample(new DustPolicy.Observation(vl, new float[p.model().config().stateDim()], 0, 42L)).actions();
        String want = String.format(Locale.getDefault(), "%d x %d actions, a[0][0] = %.6f%n", a.length, a[0].length, a[0][0]);
        assertEquals(want, out.toString(StandardCharsets.UTF_8));
        assertTrue(List.of(16).contains(a.length));
    }
}
