package org.dust4j.serve;

import java.util.LinkedHashMap;
import java.util.Map;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * A Java client of GR00T's inference protocol (the counterpart of {@code RobotInferenceClient}): works against
 * {@code dust4j serve} and against GR00T's own Python server. Not thread-safe (one REQ socket); use one client
 * per thread. A request that gets no reply within the timeout throws and the socket is recreated, as the
 * Python client does.
 */
public final class PolicyClient implements AutoCloseable {
    /** The server replied {@code {"error": ...}}. */
    public static final class ServerError extends RuntimeException {
        /** An error reply. */
        public ServerError(String message) {
            super(message);
        }
    }

    private final ZContext ctx = new ZContext();
    private final String endpoint;
    private final int timeoutMs;
    private final String apiToken;
    private final MsgCodec codec = new MsgCodec(MsgCodec.Limits.defaults());
    private ZMQ.Socket socket;

    /** Connects to {@code tcp://host:port}; each call waits at most {@code timeoutMs} for the reply. */
    public PolicyClient(String host, int port, int timeoutMs, String apiToken) {
        this.endpoint = "tcp://" + host + ":" + port;
        this.timeoutMs = timeoutMs;
        this.apiToken = apiToken;
        open();
    }

    /** Connects without an API token, 15 s timeout (GR00T's default). */
    public PolicyClient(String host, int port) {
        this(host, port, 15_000, null);
    }

    private void open() {
        socket = ctx.createSocket(SocketType.REQ);
        socket.setReceiveTimeOut(timeoutMs);
        socket.setSendTimeOut(timeoutMs);
        socket.setLinger(0);
        socket.connect(endpoint);
    }

    /** Calls an endpoint; {@code data} null sends no "data" field. Throws {@link ServerError} on an error reply. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> call(String name, Map<String, Object> data) {
        Map<String, Object> req = new LinkedHashMap<>();
        req.put("endpoint", name);
        if (data != null) req.put("data", data);
        if (apiToken != null) req.put("api_token", apiToken);
        return (Map<String, Object>) callRaw(MsgCodec.encode(req));
    }

    /** Sends raw bytes and decodes the reply (tests send malformed requests with it). */
    public Object callRaw(byte[] request) {
        if (!socket.send(request, 0)) {
            reopen();
            throw new IllegalStateException("could not send to " + endpoint);
        }
        byte[] reply = socket.recv(0);
        if (reply == null) {
            reopen();
            throw new IllegalStateException("no reply from " + endpoint + " within " + timeoutMs + " ms");
        }
        Object r = codec.decode(reply);
        if (r instanceof Map<?, ?> m && m.get("error") instanceof String e) throw new ServerError(e);
        return r;
    }

    private void reopen() {
        ctx.destroySocket(socket);
        open();
    }

    /** True when the server answers {@code ping}. */
    public boolean ping() {
        try {
            call("ping", null);
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    /** {@code get_action}: observation keys to arrays (and {@code noise_seed}); returns action key to array. */
    public Map<String, NdArray> getAction(Map<String, Object> observation) {
        Map<String, NdArray> out = new LinkedHashMap<>();
        call("get_action", observation).forEach((k, v) -> {
            if (!(v instanceof NdArray a)) throw new IllegalStateException("reply key " + k + " is not an array");
            out.put(k, a);
        });
        return out;
    }

    /** {@code get_modality_config}. */
    public Map<String, ModalityConfig> modalityConfig() {
        Map<String, ModalityConfig> out = new LinkedHashMap<>();
        call("get_modality_config", null).forEach((k, v) -> out.put(k, (ModalityConfig) v));
        return out;
    }

    /** {@code kill}: asks the server to shut down. */
    public void kill() {
        call("kill", null);
    }

    @Override
    public void close() {
        ctx.close();
    }
}
