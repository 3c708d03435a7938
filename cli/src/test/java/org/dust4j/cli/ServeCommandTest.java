package org.dust4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.dust4j.model.ModelConfig;
import org.dust4j.model.PolicyModel;
import org.dust4j.serve.NdArray;
import org.dust4j.serve.PolicyClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code dust4j serve} end to end on 127.0.0.1 (kill endpoint and SIGTERM), and the JVM without the Vector API module. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ServeCommandTest {
    static Path serveData() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("testdata/serve"))) p = p.getParent();
        return p.resolve("testdata/serve");
    }

    static Path model(Path tmp, boolean withMetadata) throws Exception {
        Path d = tmp.resolve("model");
        PolicyModel.create(ModelConfig.read(serveData().resolve("model/config.json")), 3).save(d);
        if (withMetadata) {
            Files.createDirectories(d.resolve("experiment_cfg"));
            Files.copy(serveData().resolve("metadata.json"), d.resolve("experiment_cfg/metadata.json"));
        }
        return d;
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static Map<String, Object> observation() {
        Map<String, Object> obs = new LinkedHashMap<>();
        obs.put("state.arm", NdArray.ofFloats(new float[] {0.1f, 0.2f, -0.3f, 1f}, 1, 4));
        obs.put("state.base", NdArray.ofFloats(new float[] {0f, 1f}, 1, 2));
        obs.put("state.wrist", NdArray.ofFloats(new float[] {0.5f, 0.5f, 0.5f}, 1, 3));
        obs.put("state.gripper", NdArray.ofFloats(new float[] {1f}, 1, 1));
        obs.put("backbone_features", NdArray.ofFloats(new float[3 * 16], 3, 16));
        return obs;
    }

    @Test
    void missingMetadataIsOneLineNamingThePath(@TempDir Path tmp) throws Exception {
        Path m = model(tmp, false);
        MainTest.Result r = MainTest.run("serve", "--model", m.toString(), "--port", "0");
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("dust4j: error: serve: no normalisation metadata at " + m.resolve("experiment_cfg/metadata.json")), r.err());
    }

    @Test
    void servesUntilKilled(@TempDir Path tmp) throws Exception {
        Path m = model(tmp, true);
        int port = freePort();
        CompletableFuture<MainTest.Result> run = CompletableFuture.supplyAsync(() -> MainTest.run("serve", "--model", m.toString(),
                "--port", Integer.toString(port), "--data-config", serveData().resolve("data_config.json").toString(), "--warmup", "1"));
        try (PolicyClient c = new PolicyClient("127.0.0.1", port, 2000, null)) {
            boolean up = false;
            for (int i = 0; i < 60 && !up && !run.isDone(); i++) up = c.ping();
            assertTrue(up, "server answers ping: " + (run.isDone() ? run.get().err() : "timeout"));
            Map<String, NdArray> a = c.getAction(observation());
            assertEquals(List.of("action.arm", "action.base", "action.wrist", "action.gripper"), List.copyOf(a.keySet()));
            c.kill();
        }
        MainTest.Result r = run.get(30, TimeUnit.SECONDS);
        assertEquals(0, r.code(), r.err());
    }

    static List<String> javaCommand(boolean vector, String mainClass, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        if (vector) cmd.add("--add-modules=jdk.incubator.vector");
        cmd.addAll(List.of("-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")), mainClass));
        cmd.addAll(List.of(args));
        return cmd;
    }

    @Test
    void sigtermShutsDownGracefully(@TempDir Path tmp) throws Exception {
        Path m = model(tmp, true);
        Process p = new ProcessBuilder(javaCommand(true, "org.dust4j.cli.Main", "serve", "--model", m.toString(), "--port", "0", "--warmup", "0"))
                .redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                out.append(line).append('\n');
                if (line.startsWith("serve: listening on")) break;
            }
            assertTrue(out.toString().contains("serve: listening on tcp://127.0.0.1:"), out.toString());
            p.toHandle().destroy();   // SIGTERM (Process.destroy would also close our end of the pipe)
            while ((line = r.readLine()) != null) out.append(line).append('\n');
        }
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "exits after SIGTERM");
        assertTrue(out.toString().contains("serve: stopped"), "the serving loop ended before the JVM exited: " + out);
    }

    @Test
    void withoutTheVectorModuleTheCliAndTheLibrarySayWhichFlagToAdd() throws Exception {
        Process p = new ProcessBuilder(javaCommand(false, "org.dust4j.cli.Main", "info")).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), err);
        assertEquals(1, err.strip().lines().count(), "one line: " + err);
        assertTrue(err.contains("add --add-modules jdk.incubator.vector"), err);

        Process q = new ProcessBuilder(javaCommand(false, "org.dust4j.cli.NoVectorProbe", serveData().resolve("model").toString())).start();
        String out = new String(q.getInputStream().readAllBytes(), StandardCharsets.UTF_8) + new String(q.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(q.waitFor(60, TimeUnit.SECONDS));
        assertTrue(out.startsWith("IllegalStateException: dust4j needs the JDK's Vector API module: add --add-modules jdk.incubator.vector"), out);
    }
}
