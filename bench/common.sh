# Shared by the bench/ scripts (sourced; expects to run in the repository root, sets JAVA_HOME, JAR, PY).
# JDK 25: JAVA_HOME if it is 25, else /usr/lib/jvm/*25*. Builds bench/target/benchmarks.jar when missing.
java_ok() { [ -x "$1/bin/java" ] && "$1/bin/java" -version 2>&1 | head -1 | grep -q '"25'; }
if [ -n "${JAVA_HOME:-}" ] && java_ok "$JAVA_HOME"; then :; else
  JAVA_HOME=""
  for d in /usr/lib/jvm/*25*; do if java_ok "$d"; then JAVA_HOME="$d"; break; fi; done
  [ -n "$JAVA_HOME" ] || { echo "$(basename "$0"): JDK 25 not found (set JAVA_HOME or install it under /usr/lib/jvm)" >&2; exit 1; }
fi
export JAVA_HOME
JAR=bench/target/benchmarks.jar
if [ ! -f "$JAR" ]; then
  echo "$(basename "$0"): building $JAR ..." >&2
  MAVEN_OPTS="${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}" mvn -q -pl bench -am package -DskipTests >&2
fi
PY=/usr/bin/python3
load() { cut -d' ' -f1-3 /proc/loadavg; }

# PyTorch 1.13 and OpenBLAS (Debian packages), installed when missing.
need_torch() {
  if ! "$PY" -c 'import torch' 2>/dev/null || ! ls /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so* >/dev/null 2>&1; then
    echo "$(basename "$0"): installing PyTorch 1.13 and OpenBLAS (apt-get install -y libopenblas0-pthread python3-torch) ..." >&2
    apt-get install -y libopenblas0-pthread python3-torch >&2 || {
      echo "$(basename "$0"): PyTorch is missing and could not be installed (run: apt-get install -y libopenblas0-pthread python3-torch)" >&2
      exit 1; }
  fi
}

# dust4j's ModelCompare: JVM options in $1, then its arguments. DUST4J_THREADS=2.
java_cmp() {
  local heap="$1"; shift
  DUST4J_THREADS=2 "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED $heap -cp "$JAR" \
      org.dust4j.bench.ModelCompare "$@" 2> >(grep -v 'incubator' >&2)
}

TORCH=tools/reference/compare_torch.py
# setup_torch: defines torch() (compare_torch.py, 2 threads) at torch's best BLAS kernel; see below.
setup_torch() {
  # torch at its best BLAS kernel: inherited OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are dropped for the torch command
  # (an environment that pins Haswell, or a generic core, runs AVX2 or even SSE3 kernels). When OpenBLAS itself falls
  # back to a generic core on an AVX-512 CPU, the SkylakeX (AVX-512) kernels are forced, after compare_torch.py
  # --check-blas has checked torch's float32 matmul against float64 with them (status 2 and no timings when wrong).
  tenv=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE)
  core=$("${tenv[@]}" "$PY" "$TORCH" --corename)
  case "$core" in
    Prescott|Core2|Penryn|Dunnington|Nehalem|Sandybridge|Haswell|Zen|unknown)
      if grep -q avx512f /proc/cpuinfo; then
        echo "$(basename "$0"): OpenBLAS auto-detected core '$core' on an AVX-512 CPU; forcing OPENBLAS_CORETYPE=SkylakeX" >&2
        tenv+=(OPENBLAS_CORETYPE=SkylakeX)
      fi ;;
  esac
  core=$("${tenv[@]}" "$PY" "$TORCH" --check-blas) || { echo "$(basename "$0"): torch's matmul fails its float64 check (see above)" >&2; exit 2; }
  echo "$(basename "$0"): torch runs OpenBLAS core $core (float32 matmul checked against float64)" >&2
}
torch() { "${tenv[@]}" "$PY" "$TORCH" --threads 2 "$@"; }

# prepare NAME CONFIG TRAIN_BATCH: model dir + batch-1 inputs (+ train-batch inputs), written once by the torch side
prepare() {
  local name="$1" cfg="$2" tb="$3" d="$work/$1"
  if [ ! -f "$d/model/model.safetensors" ] || [ ! -f "$d/in-b1.safetensors" ]; then
    echo "$(basename "$0"): writing $name weights (random init seed 0) and inputs to $d ..." >&2
    mkdir -p "$d"
    torch --config "$cfg" --init-seed 0 --batch 1 --seq 64 --bench "" --save-model "$d/model" \
        --save-inputs "$d/in-b1.safetensors" > /dev/null
  fi
  if [ "$tb" -gt 0 ] && [ ! -f "$d/in-b$tb.safetensors" ]; then
    torch --model "$d/model" --batch "$tb" --seq 64 --bench "" --save-inputs "$d/in-b$tb.safetensors" > /dev/null
  fi
}
