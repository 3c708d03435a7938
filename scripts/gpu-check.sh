#!/usr/bin/env bash
# One command for the GPU machine: build, run every GPU test (missing device = failure) and the GPU benchmarks
# (fused attention TFLOP/s, compared with PyTorch SDPA when torch with CUDA is importable; GEMM via cuBLAS and the
# gemm.cu kernel). Logs go to $OUT (default ./gpu-out); a summary is printed; exit status non-zero on any failure.
# Budget: under 8 minutes on an H100 (each step has its own timeout).
#
#   scripts/gpu-check.sh            build with Maven if it is here, else use a prepared build (below), then run
#   scripts/gpu-check.sh --prepare  build and collect every jar under kernels/target/gpu-check/ so a machine with
#                                   only a JDK (no Maven, no network) can run the check: carry kernels/target and
#                                   tensor/target with the working tree.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-./gpu-out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
if [[ -z "${JAVA_HOME:-}" ]]; then
    for j in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-25*; do [[ -x "$j/bin/java" ]] && JAVA_HOME=$j && break; done
fi
export JAVA_HOME
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
PREP=kernels/target/gpu-check
declare -a NAMES=() RESULTS=()
step() {   # step NAME TIMEOUT_S command...
    local name=$1 limit=$2; shift 2
    local t0=$SECONDS
    echo "== $name"
    timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
    local rc=$?
    NAMES+=("$name"); RESULTS+=("rc=$rc $((SECONDS - t0))s")
    tail -n 5 "$OUT/$name.log"
    return $rc
}

prepare() {
    mkdir -p "$PREP/lib"
    mvn -q -pl kernels -am package dependency:copy-dependencies -DskipTests -Dmdep.includeScope=test \
        -DoutputDirectory="$(pwd)/$PREP/lib" || return 1
    echo "prepared $PREP (carry kernels/target and tensor/target)"
}

if [[ "${1:-}" == "--prepare" ]]; then prepare; exit $?; fi

status=0
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || echo "nvidia-smi not available" >> "$OUT/nvidia-smi.txt"
if command -v mvn > /dev/null && [[ "${GPU_CHECK_PREBUILT:-0}" != 1 ]]; then
    step build 300 prepare || status=1
elif [[ -d "$PREP/lib" ]]; then
    echo "== build: using the prepared build in $PREP"
else
    echo "no Maven and no prepared build ($PREP): run scripts/gpu-check.sh --prepare where Maven works" | tee "$OUT/build.log"
    exit 1
fi
CP="kernels/target/classes:kernels/target/test-classes:tensor/target/classes:$PREP/lib/*"
FLAGS="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx8g"

if [[ $status == 0 ]]; then
    step gpu-tests 300 "$JAVA" $FLAGS -Ddust4j.requireGpu=true -Ddust4j.cudaSources=kernels/src/main/cuda -cp "$CP" \
        org.dust4j.kernels.cuda.GpuTestMain || status=1
    grep -E "tests (successful|failed|skipped|aborted)" "$OUT/gpu-tests.log" || true
    step gpu-bench 240 "$JAVA" $FLAGS -cp "$CP" org.dust4j.kernels.cuda.CudaBench || status=1
    if python3 -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2> /dev/null; then
        cat > "$OUT/sdpa_bench.py" <<'PY'
import torch, torch.nn.functional as F
for dtype in (torch.bfloat16, torch.float32):
    for b, h, n, dh in ((4, 16, 1024, 64), (4, 16, 1024, 128), (8, 16, 2048, 64), (16, 12, 256, 48)):
        q, k, v = (torch.randn(b, h, n, dh, device="cuda", dtype=dtype, requires_grad=True) for _ in range(3))
        g = torch.randn_like(q)
        def fwd(): return F.scaled_dot_product_attention(q, k, v)
        for _ in range(3): fwd()
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        ts = []
        for _ in range(5):
            s.record(); fwd(); e.record(); torch.cuda.synchronize(); ts.append(s.elapsed_time(e))
        ms = sorted(ts)[2]
        o = fwd(); tb = []
        for _ in range(3):
            o = fwd(); s.record(); o.backward(g); e.record(); torch.cuda.synchronize(); tb.append(s.elapsed_time(e))
        mb = sorted(tb)[1]
        fl = 4.0 * b * h * n * n * dh
        print(f"sdpa {str(dtype).split('.')[-1]} B={b} H={h} T={n} dh={dh}: fwd {ms:.3f} ms {fl/ms/1e9:.2f} TFLOP/s, bwd {mb:.3f} ms {2.5*fl/mb/1e9:.2f} TFLOP/s")
PY
        step torch-sdpa 120 python3 "$OUT/sdpa_bench.py" || status=1
    else
        echo "torch with CUDA not importable: SDPA comparison skipped" | tee "$OUT/torch-sdpa.log"
    fi
fi

echo
echo "== summary ($OUT)"
for i in "${!NAMES[@]}"; do printf '  %-10s %s\n' "${NAMES[$i]}" "${RESULTS[$i]}"; done
[[ -f "$OUT/gpu-bench.log" ]] && grep -E "^(attention|gemm)" "$OUT/gpu-bench.log" | sed 's/^/  /'
[[ -f "$OUT/torch-sdpa.log" ]] && grep -E "^sdpa" "$OUT/torch-sdpa.log" | sed 's/^/  /'
echo "gpu-check: $([[ $status == 0 ]] && echo PASS || echo FAIL)"
exit $status
