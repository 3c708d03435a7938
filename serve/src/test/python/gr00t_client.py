#!/usr/bin/env python3
"""A GR00T-style inference client written from the protocol of Isaac-GR00T's gr00t/eval/service.py
(REQ socket; msgpack maps {"endpoint", "data"}; numpy arrays as {"__ndarray_class__": True, "as_npy": np.save bytes};
ModalityConfig as {"__ModalityConfig_class__": True, "as_json": ...}; errors as {"error": message}).

Run by ServerTest (serve module) against `dust4j serve` on 127.0.0.1:
    python3 gr00t_client.py --port P --out results.json
Exits non-zero with a message on the first check that fails. Needs python3-zmq, python3-msgpack, python3-numpy.
"""
import argparse
import io
import json
import sys

import msgpack
import numpy as np
import zmq


def encode(obj):
    if isinstance(obj, np.ndarray):
        buf = io.BytesIO()
        np.save(buf, obj, allow_pickle=False)
        return {"__ndarray_class__": True, "as_npy": buf.getvalue()}
    return obj


def decode(obj):
    if "__ModalityConfig_class__" in obj:
        return {"ModalityConfig": json.loads(obj["as_json"])}
    if "__ndarray_class__" in obj:
        return np.load(io.BytesIO(obj["as_npy"]), allow_pickle=False)
    return obj


class Client:
    def __init__(self, port, timeout_ms=20000):
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.REQ)
        self.sock.setsockopt(zmq.RCVTIMEO, timeout_ms)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(f"tcp://127.0.0.1:{port}")

    def call(self, endpoint, data=None, requires_input=True):
        req = {"endpoint": endpoint}
        if requires_input:
            req["data"] = data
        self.sock.send(msgpack.packb(req, default=encode))
        return msgpack.unpackb(self.sock.recv(), object_hook=decode)


def check(cond, what):
    if not cond:
        print("gr00t_client: FAILED: " + what, file=sys.stderr)
        sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--kill", action="store_true")
    a = ap.parse_args()
    c = Client(a.port)

    r = c.call("ping", requires_input=False)
    check(r == {"status": "ok", "message": "Server is running"}, f"ping reply {r}")

    mc = c.call("get_modality_config", requires_input=False)
    check(set(mc) == {"video", "state", "action", "language"}, f"modality config keys {list(mc)}")
    state_keys = mc["state"]["ModalityConfig"]["modality_keys"]
    action_keys = mc["action"]["ModalityConfig"]["modality_keys"]
    horizon = len(mc["action"]["ModalityConfig"]["delta_indices"])
    check(state_keys == ["state.arm", "state.base", "state.wrist", "state.gripper"], f"state keys {state_keys}")
    widths = {"state.arm": 4, "state.base": 2, "state.wrist": 3, "state.gripper": 1}

    rng = np.random.default_rng(3)
    obs = {k: rng.normal(size=(1, w)).astype(np.float32) for k, w in widths.items()}
    obs["backbone_features"] = rng.normal(size=(5, 16)).astype(np.float32)
    obs["video.ego_view"] = np.zeros((1, 8, 8, 3), dtype=np.uint8)
    obs["annotation.human.task_description"] = ["pick up the cube"]
    obs["noise_seed"] = 5
    act = c.call("get_action", obs)
    check("error" not in act, f"get_action error: {act.get('error')}")
    check(list(act) == action_keys, f"action keys {list(act)} vs {action_keys}")
    for k, v in act.items():
        check(isinstance(v, np.ndarray) and v.dtype == np.float32 and v.ndim == 2 and v.shape[0] == horizon, f"{k}: {type(v)} {getattr(v, 'shape', None)}")
        check(np.all(np.isfinite(v)), f"{k} not finite")
    check(set(np.unique(act["action.gripper"])) <= {0.0, 1.0}, f"binary gripper gave {np.unique(act['action.gripper'])}")
    again = c.call("get_action", obs)
    check(all(np.array_equal(again[k], act[k]) for k in act), "same seed, different actions")

    # batched: [B, T, w] states, [B, S, D] features; element 0 uses seed 5 like the unbatched call
    bobs = {k: np.stack([v, rng.normal(size=v.shape).astype(np.float32)]) for k, v in obs.items() if k.startswith("state.")}
    bobs["backbone_features"] = np.stack([obs["backbone_features"], rng.normal(size=(5, 16)).astype(np.float32)])
    bobs["noise_seed"] = 5
    bat = c.call("get_action", bobs)
    check("error" not in bat, f"batched get_action error: {bat.get('error')}")
    for k in action_keys:
        check(bat[k].shape == (2,) + act[k].shape, f"batched {k} shape {bat[k].shape}")
        check(np.array_equal(bat[k][0], act[k]), f"batched element 0 of {k} differs from the unbatched call")

    # bad requests: each an error reply, the server keeps serving
    bad = [
        ("nope", {}),
        ("get_action", {k: v for k, v in obs.items() if k != "backbone_features"}),
        ("get_action", {**obs, "state.arm": np.full((1, 4), np.nan, dtype=np.float32)}),
        ("get_action", {**obs, "state.arm": np.zeros((1, 3), dtype=np.float32)}),
        ("get_action", {**obs, "backbone_features": np.zeros((5, 15), dtype=np.float32)}),
        ("get_action", {**obs, "state.armm": np.zeros((1, 4), dtype=np.float32)}),
        ("get_action", {**obs, "state.arm": [1.0, 2.0, 3.0, 4.0]}),
    ]
    errors = []
    for ep, data in bad:
        r = c.call(ep, data)
        check(isinstance(r, dict) and isinstance(r.get("error"), str), f"bad request to {ep} got {r}")
        errors.append(r["error"])
    check(c.call("ping", requires_input=False)["status"] == "ok", "ping after bad requests")

    with open(a.out, "w") as f:
        json.dump({
            "observation": {k: v.tolist() for k, v in obs.items() if isinstance(v, np.ndarray) and v.dtype == np.float32},
            "actions": {k: v.tolist() for k, v in act.items()},
            "errors": errors,
        }, f)
    if a.kill:
        r = c.call("kill", requires_input=False)
        check(r.get("status") == "ok", f"kill reply {r}")
    print("gr00t_client: ok")


if __name__ == "__main__":
    main()
