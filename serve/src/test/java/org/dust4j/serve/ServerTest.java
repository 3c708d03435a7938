package org.dust4j.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.dust4j.model.DustPolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The server on 127.0.0.1 with the Java client and a Python client written from GR00T's protocol. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServerTest {
    @TempDir
    static Path tmp;
    static PolicyService service;
    static PolicyServer server;
    static Thread loop;
    static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();

    @BeforeAll
    static void start() throws Exception {
        service = Fixtures.service(Fixtures.modelDir(tmp));
        PolicyServer.Options o = PolicyServer.Options.defaults().at("127.0.0.1", 0);
        o = new PolicyServer.Options(o.host(), o.port(), 1 << 20, o.limits(), null, 10);
        server = new PolicyServer(service, o, new PrintStream(LOG, true, StandardCharsets.UTF_8));
        loop = Thread.ofPlatform().name("serve-test").start(server::run);
    }

    @AfterAll
    static void stop() throws Exception {
        assertTrue(server.stopAndWait(10), "server loop ends after stop()");
    }

    static Map<String, Object> observation(long seed, java.util.Random r) {
        Map<String, Object> obs = new LinkedHashMap<>();
        int[] w = {4, 2, 3, 1};
        String[] k = {"state.arm", "state.base", "state.wrist", "state.gripper"};
        for (int i = 0; i < 4; i++) {
            float[] v = new float[w[i]];
            for (int j = 0; j < v.length; j++) v[j] = (float) r.nextGaussian();
            obs.put(k[i], NdArray.ofFloats(v, 1, w[i]));
        }
        float[] f = new float[5 * 16];
        for (int j = 0; j < f.length; j++) f[j] = (float) r.nextGaussian();
        obs.put("backbone_features", NdArray.ofFloats(f, 5, 16));
        obs.put("noise_seed", seed);
        return obs;
    }

    /** What the served policy gives in process: normalise, sample, unnormalise (no protocol in between). */
    static Map<String, float[][]> inProcess(Map<String, Object> obs) throws Exception {
        RobotUnits u = service.units();
        Map<String, float[]> raw = new LinkedHashMap<>();
        for (RobotUnits.Key k : u.stateKeys()) raw.put(k.name(), ((NdArray) obs.get(k.name())).toFloats(k.name()));
        float[] vl = ((NdArray) obs.get("backbone_features")).toFloats("f");
        float[][] rows = new float[vl.length / 16][];
        for (int i = 0; i < rows.length; i++) rows[i] = java.util.Arrays.copyOfRange(vl, i * 16, i * 16 + 16);
        DustPolicy p = DustPolicy.load(tmp.resolve("model"));
        var chunk = p.sample(new DustPolicy.Observation(rows, u.normaliseState(raw), 31, (Long) obs.get("noise_seed")));
        return u.unnormaliseActions(chunk.actions());
    }

    @Test
    void javaClientGetsActionsInRobotUnits() throws Exception {
        try (PolicyClient c = warmClient(server.port())) {
            // one retry as GR00T's client does (ping recreates the socket after a timeout); seen once under heavy load
            assertTrue(c.ping() || c.ping(), "ping; server log:\n" + LOG.toString(StandardCharsets.UTF_8));
            Map<String, ModalityConfig> mc = c.modalityConfig();
            assertEquals(List.of("action.arm", "action.base", "action.wrist", "action.gripper"), mc.get("action").modalityKeys());
            assertEquals(List.of(0, 1, 2, 3), mc.get("action").deltaIndices());
            assertEquals(List.of("video.ego_view"), mc.get("video").modalityKeys());
            Map<String, Object> obs = observation(11, new java.util.Random(1));
            Map<String, NdArray> got = c.getAction(obs);
            Map<String, float[][]> want = inProcess(obs);
            assertEquals(List.copyOf(want.keySet()), List.copyOf(got.keySet()));
            for (var e : want.entrySet()) {
                NdArray a = got.get(e.getKey());
                assertEquals("<f4", a.dtype());
                assertArrayEquals(new int[] {4, e.getValue()[0].length}, a.shape());
                float[] flat = a.toFloats(e.getKey());
                for (int t = 0; t < 4; t++) {
                    assertArrayEquals(e.getValue()[t], java.util.Arrays.copyOfRange(flat, t * a.shape()[1], (t + 1) * a.shape()[1]), 0f, e.getKey());
                }
            }
            float[] grip = got.get("action.gripper").toFloats("g");
            for (float g : grip) assertTrue(g == 0f || g == 1f, "binary gripper " + g);
            obs.put("noise_seed", 12L);
            assertFalse(java.util.Arrays.equals(grip.length > 0 ? got.get("action.arm").toFloats("a") : null,
                    c.getAction(obs).get("action.arm").toFloats("a")), "another seed gives other actions");
        }
    }

    @Test
    void badRequestsGetErrorRepliesAndTheServerGoesOn() throws Exception {
        try (PolicyClient c = warmClient(server.port())) {
            Map<String, Object> obs = observation(1, new java.util.Random(2));
            assertError(c, "Unknown endpoint: act", () -> c.call("act", Map.of()));
            Map<String, Object> noFeat = new LinkedHashMap<>(obs);
            noFeat.remove("backbone_features");
            assertError(c, "\"backbone_features\" [S,16] is required", () -> c.getAction(noFeat));
            Map<String, Object> nan = new LinkedHashMap<>(obs);
            nan.put("state.base", NdArray.ofFloats(new float[] {0, Float.POSITIVE_INFINITY}, 1, 2));
            assertError(c, "state.base holds a non-finite value", () -> c.getAction(nan));
            Map<String, Object> shape = new LinkedHashMap<>(obs);
            shape.put("state.arm", NdArray.ofFloats(new float[8], 2, 4));
            assertError(c, "state.arm has shape [2, 4], expected [1,4]", () -> c.getAction(shape));
            Map<String, Object> typo = new LinkedHashMap<>(obs);
            typo.put("state.armm", NdArray.ofFloats(new float[4], 1, 4));
            assertError(c, "unknown key \"state.armm\"", () -> c.getAction(typo));
            Map<String, Object> toks = new LinkedHashMap<>(obs);
            toks.put("backbone_features", NdArray.ofFloats(new float[4097 * 16], 4097, 16));
            assertError(c, "1 <= S <= 4096", () -> c.getAction(toks));
            Map<String, Object> ints = new LinkedHashMap<>(obs);
            ints.put("backbone_features", new NdArray("<i4", new int[] {1, 16}, new byte[64]));
            assertError(c, "must be a float array", () -> c.getAction(ints));
            assertError(c, "malformed msgpack", () -> c.callRaw(new byte[] {(byte) 0xc1, 1, 2}));
            assertError(c, "request is not a msgpack map", () -> c.callRaw(MsgCodec.encode(List.of(1, 2))));
            assertError(c, "\"data\" must be a map", () -> c.callRaw(MsgCodec.encode(Map.of("endpoint", "get_action", "data", 3L))));
            assertTrue(c.ping());
            // a message over the limit (1 MiB here) gets an error reply, and the server goes on
            assertError(c, "request of 2097152 bytes is over the server's limit of 1048576 bytes", () -> c.callRaw(new byte[2 << 20]));
            assertTrue(c.ping(), "server still answers after an oversized message");
        }
    }

    /**
     * A client whose connection has answered a ping. Known issue, not yet understood: with JeroMQ 0.6.0 the first
     * request on a fresh REQ connection is now and then never answered (about 1 run in 3 of this class); a timed-out
     * call reopens the socket, so a retried ping gets a working connection. The loss is written up in docs/cli.md.
     */
    private static PolicyClient warmClient(int port) {
        PolicyClient c = new PolicyClient("127.0.0.1", port, 5_000, null);
        for (int i = 0; i < 4; i++) {
            if (c.ping()) return c;   // ping returns false on a timeout, after reopening the socket
        }
        c.close();
        throw new AssertionError("no answer to 4 pings on port " + port);
    }

    private static void assertError(PolicyClient c, String part, org.junit.jupiter.api.function.Executable ex) {
        PolicyClient.ServerError e = assertThrows(PolicyClient.ServerError.class, ex);
        assertTrue(e.getMessage().contains(part), "expected \"" + part + "\" in: " + e.getMessage());
    }

    @Test
    void concurrentClientsAreQueued() throws Exception {
        long before = server.latency().count();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<float[]>>> fs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                fs.add(pool.submit(() -> {
                    List<float[]> out = new ArrayList<>();
                    try (PolicyClient c = warmClient(server.port())) {
                        for (int i = 0; i < 5; i++) out.add(c.getAction(observation(100 + i, new java.util.Random(i))).get("action.arm").toFloats("a"));
                    }
                    return out;
                }));
            }
            List<float[]> first = fs.get(0).get(60, TimeUnit.SECONDS);
            for (Future<List<float[]>> f : fs) {
                List<float[]> r = f.get(60, TimeUnit.SECONDS);
                for (int i = 0; i < 5; i++) assertArrayEquals(first.get(i), r.get(i), 0f, "same request, same reply whatever the interleaving");
            }
            assertNotEquals(first.get(0)[0], first.get(1)[0]);
        } finally {
            pool.shutdownNow();
        }
        assertTrue(server.latency().count() >= before + 20);
        assertTrue(LOG.toString(StandardCharsets.UTF_8).contains("get_action: "), "latency percentiles are logged");
        assertTrue(server.latency().percentileMs(99) >= server.latency().percentileMs(50));
    }

    @Test
    void pythonClientFromTheGr00tProtocol() throws Exception {
        String py = System.getenv().getOrDefault("DUST4J_PYTHON", "/usr/bin/python3");
        Process probe = new ProcessBuilder(py, "-c", "import zmq, msgpack, numpy").redirectErrorStream(true).start();
        String probeOut = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0,
                "the Python protocol test needs " + py + " with pyzmq, msgpack and numpy: apt-get install -y python3-zmq python3-msgpack python3-numpy"
                        + " (or set DUST4J_PYTHON); got: " + probeOut.strip());
        Path script = Path.of("src/test/python/gr00t_client.py").toAbsolutePath();
        Path out = tmp.resolve("py.json");
        Process p = new ProcessBuilder(py, script.toString(), "--port", Integer.toString(server.port()), "--out", out.toString())
                .redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(90, TimeUnit.SECONDS), "python client finished");
        assertEquals(0, p.exitValue(), "python client: " + text);
        assertTrue(text.contains("gr00t_client: ok"), text);
        // the Python client's actions equal what the served policy gives in process for its observation
        JsonNode r = new ObjectMapper().readTree(out.toFile());
        Map<String, Object> obs = new LinkedHashMap<>();
        r.get("observation").fields().forEachRemaining(e -> {
            JsonNode v = e.getValue();
            int rows = v.size(), cols = v.get(0).size();
            float[] f = new float[rows * cols];
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) f[i * cols + j] = (float) v.get(i).get(j).asDouble();
            obs.put(e.getKey(), NdArray.ofFloats(f, rows, cols));
        });
        obs.put("noise_seed", 5L);
        Map<String, float[][]> want = inProcess(obs);
        for (var e : want.entrySet()) {
            for (int t = 0; t < 4; t++) {
                JsonNode row = r.get("actions").get(e.getKey()).get(t);
                for (int j = 0; j < row.size(); j++) assertEquals(e.getValue()[t][j], (float) row.get(j).asDouble(), 0f, e.getKey());
            }
        }
        assertEquals(7, r.get("errors").size());
        assertTrue(r.get("errors").get(0).asText().contains("Unknown endpoint: nope"));
        assertTrue(r.get("errors").get(6).asText().contains("must be a numpy array"), r.get("errors").get(6).asText());
    }

    @Test
    void killEndpointStopsASecondServer() throws Exception {
        PolicyServer s2 = new PolicyServer(service, PolicyServer.Options.defaults().at("127.0.0.1", 0), new PrintStream(new ByteArrayOutputStream()));
        Thread t = Thread.ofPlatform().start(s2::run);
        try (PolicyClient c = warmClient(s2.port())) {
            assertEquals("ok", c.call("kill", null).get("status"));
        }
        t.join(10_000);
        assertFalse(t.isAlive(), "kill ends the serving loop");
        assertTrue(Files.exists(tmp));
    }
}
