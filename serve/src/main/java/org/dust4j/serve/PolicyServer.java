package org.dust4j.serve;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * A ZeroMQ REP server speaking GR00T's inference protocol ({@code gr00t/eval/service.py}
 * {@code BaseInferenceServer} + {@code gr00t/eval/robot.py} {@code RobotInferenceServer}): each request is a
 * msgpack map {@code {"endpoint": name, "data": {...}, "api_token": optional}} (endpoint defaults to
 * {@code get_action}); endpoints {@code ping}, {@code kill}, {@code get_action}, {@code get_modality_config}.
 * Any failure of one request becomes the reply {@code {"error": message}} and the server goes on.
 *
 * <p>One REP socket answers one request at a time, so concurrent clients are queued by ZeroMQ (fair-queued per
 * connection). Messages over {@code maxMessageBytes} get an error reply; over twice that, the transport drops them
 * (the peer sees a timeout);
 * decoded messages are bounded by {@link MsgCodec.Limits}. {@link #stop()} (the {@code kill} endpoint, or a
 * SIGTERM hook) ends the loop after the current request; latency percentiles of {@code get_action} are logged
 * every {@code logEvery} requests and at the end.
 */
public final class PolicyServer implements AutoCloseable {
    /**
     * Server options.
     *
     * @param host            interface to bind (127.0.0.1 by default; "*" for all)
     * @param port            TCP port; 0 picks a free one
     * @param maxMessageBytes largest request accepted by the transport
     * @param limits          bounds on decoded requests
     * @param apiToken        required token, or null for none (GR00T's api_token)
     * @param logEvery        log latency percentiles every this many get_action requests (0 = only at the end)
     */
    public record Options(String host, int port, long maxMessageBytes, MsgCodec.Limits limits, String apiToken, int logEvery) {
        /** 127.0.0.1:5555, 256 MiB, default limits, no token, log every 100. */
        public static Options defaults() {
            return new Options("127.0.0.1", 5555, 256L << 20, MsgCodec.Limits.defaults(), null, 100);
        }

        /** The same options on another host and port. */
        public Options at(String h, int p) {
            return new Options(h, p, maxMessageBytes, limits, apiToken, logEvery);
        }
    }

    private final PolicyService service;
    private final Options options;
    private final PrintStream log;
    private final MsgCodec codec;
    private final ZContext ctx = new ZContext();
    private final ZMQ.Socket socket;
    private final int port;
    private final LatencyStats latency = new LatencyStats(10_000);
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile boolean running = true;

    /** Binds the socket (the port is taken when this returns). */
    public PolicyServer(PolicyService service, Options options, PrintStream log) {
        this.service = service;
        this.options = options;
        this.log = log;
        this.codec = new MsgCodec(options.limits());
        socket = ctx.createSocket(SocketType.REP);
        // the transport drops (and disconnects) only messages over twice the limit; up to there a too-large request is
        // received and answered with an error reply, which the client can read (a dropped one just times out)
        socket.setMaxMsgSize(Math.min(Long.MAX_VALUE / 4, 2 * options.maxMessageBytes() + (1 << 20)));
        socket.setReceiveTimeOut(100);
        socket.setLinger(0);
        String addr = "tcp://" + options.host();
        try {
            port = options.port() == 0 ? socket.bindToRandomPort(addr) : bindFixed(addr + ":" + options.port(), options.port());
        } catch (RuntimeException e) {
            ctx.close();
            throw new IllegalStateException("serve: cannot listen on " + addr + ":" + options.port() + ": " + e.getMessage(), e);
        }
    }

    private int bindFixed(String endpoint, int p) {
        socket.bind(endpoint);
        return p;
    }

    /** The bound port. */
    public int port() {
        return port;
    }

    /** The latency record of get_action. */
    public LatencyStats latency() {
        return latency;
    }

    /** Serves until {@link #stop()} or the {@code kill} endpoint; then logs the latency summary and closes. */
    public void run() {
        try {
            while (running) {
                byte[] msg = socket.recv(0);
                if (msg == null) continue;
                long t0 = System.nanoTime();
                Reply r = msg.length > options.maxMessageBytes()
                        ? error("request of " + msg.length + " bytes is over the server's limit of " + options.maxMessageBytes() + " bytes")
                        : handle(msg);
                socket.send(r.bytes, 0);
                if (r.action) {
                    latency.record(System.nanoTime() - t0);
                    if (options.logEvery() > 0 && latency.count() % options.logEvery() == 0) log.println("serve: " + latency.summary("get_action"));
                }
            }
            if (latency.count() > 0) log.println("serve: " + latency.summary("get_action"));
            log.println("serve: stopped");
        } finally {
            ctx.close();
            done.countDown();
        }
    }

    /** Asks the loop to end after the current request (safe from any thread, e.g. a shutdown hook). */
    public void stop() {
        running = false;
    }

    /** Stops and waits up to {@code seconds} for the loop to finish; true when it did. */
    public boolean stopAndWait(long seconds) throws InterruptedException {
        stop();
        return done.await(seconds, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        stop();
        if (done.getCount() > 0) ctx.close();
    }

    private record Reply(byte[] bytes, boolean action) {}

    private Reply handle(byte[] msg) {
        String endpoint = "?";
        try {
            if (!(codec.decode(msg) instanceof Map<?, ?> req)) return error("request is not a msgpack map");
            if (options.apiToken() != null && !options.apiToken().equals(req.get("api_token"))) {
                return error("Unauthorized: Invalid API token");
            }
            Object ep = req.containsKey("endpoint") ? req.get("endpoint") : "get_action";
            if (!(ep instanceof String e)) return error("endpoint must be a string");
            endpoint = e;
            Object data = req.get("data");
            return switch (e) {
                case "ping" -> new Reply(MsgCodec.encode(service.ping()), false);
                case "kill" -> {
                    running = false;
                    log.println("serve: kill endpoint called, shutting down");
                    Map<String, Object> r = new LinkedHashMap<>();
                    r.put("status", "ok");
                    r.put("message", "Server is shutting down");
                    yield new Reply(MsgCodec.encode(r), false);
                }
                case "get_modality_config" -> new Reply(MsgCodec.encode(service.modalityConfig()), false);
                case "get_action" -> {
                    if (data != null && !(data instanceof Map)) yield error("get_action: \"data\" must be a map of observations");
                    @SuppressWarnings("unchecked")
                    Map<String, Object> obs = data == null ? Map.of() : (Map<String, Object>) data;
                    yield new Reply(MsgCodec.encode(service.getAction(obs)), true);
                }
                default -> error("Unknown endpoint: " + e);
            };
        } catch (RuntimeException | OutOfMemoryError ex) {
            String m = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
            log.println("serve: " + endpoint + " failed: " + m.lines().findFirst().orElse(m));
            return error(m);
        }
    }

    private static Reply error(String message) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("error", message);
        return new Reply(MsgCodec.encode(r), false);
    }
}
