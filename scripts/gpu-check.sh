#!/usr/bin/env bash
# The device check in one prepared command (docs/cuda.md gives the exact device call).
#
#   scripts/gpu-check.sh --prepare   here (JDK 25, Maven, nvcc): builds the PTX (nvcc, zero warnings), the classes
#                                    and test classes, collects every jar under gpu-check/lib and makes a trimmed
#                                    JRE 25 with jlink, packed as gpu-check/jre.tar.xz (unpacked on the GPU
#                                    machine under $TMPDIR); prints the sizes (all under 64 MiB, so the folder can
#                                    be carried to the GPU machine). gpu-check/ is git-ignored.
#   scripts/gpu-check.sh             on the GPU machine (no JDK, no Maven, no network; PyTorch 2.x with CUDA):
#                                    writes $OUT/env.txt first (GPU, driver, libcuda, the libcublas chosen, torch,
#                                    the JRE), then runs every GPU test (a missing device is a failure), the GPU
#                                    benchmarks (attention tensor cores / F32 units / cuBLAS GEMM), the same
#                                    attention in torch SDPA, and the model-level benchmarks (torch eager peer,
#                                    then dust4j on the same weights) under one total budget of
#                                    GPU_CHECK_BUDGET_S (default 540) seconds. Logs: $OUT (default ./gpu-out),
#                                    at most 8 files: env.txt, gpu-tests.log, gpu-bench.log, torch-sdpa.log,
#                                    torch-model.log, java-model.log, summary.txt.
# Without a GPU the check stops within seconds with one line saying why (exit 2); any failed step: exit 1.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PREP=$ROOT/gpu-check
LIMIT_MIB=64

die() { echo "gpu-check: $*" >&2; exit "${2:-1}"; }

# ---------------------------------------------------------------------------------------------------- prepare
prepare() {
    local jdk=${JAVA_HOME:-}
    if [[ -z "$jdk" || ! -x "$jdk/bin/jlink" ]]; then
        for j in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-25*; do [[ -x "$j/bin/jlink" ]] && jdk=$j && break; done
    fi
    [[ -x "$jdk/bin/jlink" ]] || die "--prepare needs a JDK 25 with jlink (set JAVA_HOME)"
    "$jdk/bin/java" -version 2>&1 | head -1 | grep -q '"25' || die "--prepare needs JDK 25, JAVA_HOME=$jdk is $("$jdk/bin/java" -version 2>&1 | head -1)"
    command -v nvcc > /dev/null || die "--prepare needs nvcc on the PATH (the PTX is built here; the GPU machine has no nvcc)"
    export JAVA_HOME=$jdk MAVEN_OPTS=${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}
    rm -rf "$PREP"
    mkdir -p "$PREP/lib"
    echo "[prepare] building kernels (PTX with $(nvcc --version | grep -oE 'release [0-9.]+')), model and bench classes"
    # one reactor run: package, then every module's test-scope dependencies (JUnit for GpuTestMain, JCuda, Jackson...)
    mvn -B -q -o -pl kernels,bench -am package dependency:copy-dependencies -DskipTests -Dmaven.javadoc.skip=true \
        -Dmdep.includeScope=test -DexcludeGroupIds=org.dust4j -DoutputDirectory="$PREP/lib" || die "--prepare: Maven build failed"
    grep -q '^ptx.available=true' kernels/target/classes/org/dust4j/kernels/cuda/cuda-build.properties \
        || die "--prepare: the build has no PTX ($(tr '\n' ' ' < kernels/target/classes/org/dust4j/kernels/cuda/cuda-build.properties))"
    rm -f "$PREP"/lib/dust4j-*.jar "$PREP"/lib/jmh-generator-annprocess-*.jar   # module jars from this build; no annotation processor
    for m in tensor autograd weights-import dust-model kernels bench; do
        cp "$m"/target/dust4j-*-SNAPSHOT.jar "$PREP/lib/" || die "--prepare: no jar for module $m"
    done
    "$jdk/bin/jar" --create --file "$PREP/lib/dust4j-kernels-tests.jar" -C kernels/target/test-classes . \
        || die "--prepare: packing the kernels test classes failed"
    # the JRE: the modules the jars use (jdeps), plus the ones reached only reflectively, as services (jdk.zipfs:
    # JUnit scans the test jar through the zip file system) or by flags
    local mods
    mods=$("$jdk/bin/jdeps" --ignore-missing-deps --multi-release 25 --print-module-deps --class-path "$PREP/lib/*" "$PREP"/lib/*.jar 2> /dev/null | tail -n 1) \
        || die "--prepare: jdeps failed"
    [[ "$mods" =~ ^[a-z.,]+$ ]] || die "--prepare: jdeps gave no module list: $mods"
    mods=$(echo "$mods,jdk.incubator.vector,jdk.unsupported,java.management,java.logging,jdk.management,jdk.zipfs" | tr , '\n' | sort -u | paste -sd, -)
    echo "[prepare] jlink modules: $mods"
    # no AWT/font natives (java.desktop is there for java.beans only); uncompressed modules + xz pack smaller than zip
    local jre=$PREP/.jre-build
    rm -rf "$jre"
    "$jdk/bin/jlink" --add-modules "$mods" --strip-debug --no-header-files --no-man-pages --compress=zip-0 \
        --strip-native-debug-symbols=exclude-debuginfo-files \
        --exclude-files='**/libawt*.so,**/libfontmanager.so,**/libfreetype.so,**/liblcms.so,**/libmlib_image.so,**/libjavajpeg.so,**/libsplashscreen.so,**/libjsound.so' \
        --output "$jre" 2>&1 | grep -v 'incubator modules' ; [[ ${PIPESTATUS[0]} == 0 ]] || die "--prepare: jlink failed"
    strip --strip-unneeded "$jre/lib/server/libjvm.so" 2> /dev/null || echo "[prepare] strip not available: libjvm.so kept as is"
    "$jre/bin/java" --add-modules jdk.incubator.vector -cp "$PREP/lib/*" -version > /dev/null 2>&1 || die "--prepare: the trimmed JRE does not start"
    echo "[prepare] packing the JRE ($(du -sk "$jre" | cut -f1) KiB) with xz"
    tar -C "$jre" -cf - . | xz -T2 -9 > "$PREP/jre.tar.xz.tmp" && mv "$PREP/jre.tar.xz.tmp" "$PREP/jre.tar.xz" || die "--prepare: packing the JRE failed"
    rm -rf "$jre"
    printf '%s\n' "git=$(git rev-parse --short HEAD 2> /dev/null)$(git diff --quiet HEAD 2> /dev/null || echo -dirty)" \
        "built=$(date -u +%FT%TZ)" "jre=$("$jdk/bin/java" -version 2>&1 | head -1)" "modules=$mods" > "$PREP/prepared.txt"
    local jk lib total
    jk=$(du -sk "$PREP/jre.tar.xz" | cut -f1); lib=$(du -sk "$PREP/lib" | cut -f1); total=$(du -sk "$PREP" | cut -f1)
    printf '[prepare] sizes: jre.tar.xz %d KiB, lib %d KiB (%d jars), gpu-check/ %d KiB = %.1f MiB (limit %d MiB)\n' \
        "$jk" "$lib" "$(ls "$PREP"/lib/*.jar | wc -l)" "$total" "$(awk -v k="$total" 'BEGIN{print k/1024}')" "$LIMIT_MIB"
    (( total <= LIMIT_MIB * 1024 )) || die "--prepare: gpu-check/ is $((total / 1024)) MiB, over the $LIMIT_MIB MiB carry limit"
    echo "[prepare] ready: carry gpu-check (docs/cuda.md has the device call)"
}

# ---------------------------------------------------------------------------------------------------- check
OUT=${OUT:-$ROOT/gpu-out}
BUDGET=${GPU_CHECK_BUDGET_S:-540}
T0=$SECONDS
declare -a NAMES=() RESULTS=()
STATUS=0

left() { echo $((BUDGET - (SECONDS - T0))); }

# step NAME LIMIT_S command...: runs with min(LIMIT_S, budget left) seconds, output to $OUT/NAME.log
step() {
    local name=$1 limit=$2; shift 2
    local l; l=$(left)
    (( l < limit )) && limit=$l
    if (( limit < 5 )); then
        echo "skipped: the ${BUDGET}s budget is spent" > "$OUT/$name.log"
        NAMES+=("$name"); RESULTS+=("skipped (budget spent)"); STATUS=1
        return 1
    fi
    local t=$SECONDS
    echo "== $name (up to ${limit}s)"
    timeout -k 5 "$limit" "$@" > "$OUT/$name.log" 2>&1
    local rc=$?
    local what="rc=$rc"
    (( rc == 124 || rc == 137 )) && what="TIMEOUT after ${limit}s"
    NAMES+=("$name"); RESULTS+=("$what $((SECONDS - t))s")
    tail -n 4 "$OUT/$name.log" | sed 's/^/   /'
    (( rc == 0 )) || STATUS=1
    return $rc
}

# Folder of the libcublas.so.13 (else .12) to use: DUST4J_CUBLAS, CUDA installs, then PyTorch's NVIDIA wheels.
find_cublas() {
    local dirs=() d py
    [[ -n "${DUST4J_CUBLAS:-}" ]] && IFS=: read -r -a dirs <<< "$DUST4J_CUBLAS"
    [[ -n "${CUDA_HOME:-}" ]] && dirs+=("$CUDA_HOME/lib64")
    dirs+=(/usr/local/cuda/lib64 /usr/local/cuda-1[23]*/lib64 /usr/lib/x86_64-linux-gnu)
    if command -v python3 > /dev/null; then
        py=$(timeout 60 python3 -c 'import site, sys; print("\n".join(site.getsitepackages() + [site.getusersitepackages()]))' 2> /dev/null)
        while IFS= read -r d; do [[ -n "$d" ]] && dirs+=("$d/nvidia/cu13/lib" "$d/nvidia/cublas/lib" "$d/nvidia/cu12/lib" "$d/torch/lib"); done <<< "$py"
    fi
    for pfx in /usr /usr/local /opt/* "$HOME/.local"; do
        for d in "$pfx"/lib/python3*/{site,dist}-packages; do dirs+=("$d/nvidia/cu13/lib" "$d/nvidia/cublas/lib" "$d/nvidia/cu12/lib"); done
    done
    for so in libcublas.so.13 libcublas.so.12; do
        for d in "${dirs[@]}"; do [[ -e "$d/$so" ]] && { echo "$d/$so"; return 0; }; done
    done
    return 1
}

env_report() {   # $OUT/env.txt, before anything else runs
    {
        echo "# gpu-check environment, $(date -u +%FT%TZ)"
        echo "host: $(hostname) $(uname -srm); cpus $(nproc); memory $(free -g 2> /dev/null | awk '/Mem:/{print $2 " GiB"}')"
        [[ -f "$PREP/prepared.txt" ]] && sed 's/^/prepared: /' "$PREP/prepared.txt"
        echo "--- nvidia-smi"
        timeout 30 nvidia-smi 2>&1
        echo "--- GPU / driver"
        timeout 30 nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap,clocks.max.sm --format=csv 2>&1
        echo "--- libcuda: $(ldconfig -p 2> /dev/null | grep -m1 'libcuda.so.1' | sed 's/.*=> //')"
        echo "--- libcublas: ${CUBLAS:-not found}"
        echo "--- JRE: $JAVA"
        "$JAVA" -version 2>&1
        echo "--- python / torch"
        timeout 60 python3 -c 'import sys, torch; print(sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda,
    "available", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")' 2>&1
    } > "$OUT/env.txt"
}

check() {
    mkdir -p "$OUT" || die "cannot create OUT=$OUT" 2
    OUT=$(cd "$OUT" && pwd)
    # no GPU: stop now, with the reason, instead of letting tests or benchmarks wait on a device
    local why=
    if ! command -v nvidia-smi > /dev/null; then
        why="nvidia-smi not found (no NVIDIA driver on this machine)"
    elif ! timeout 30 nvidia-smi -L > /dev/null 2>&1; then
        why="nvidia-smi -L failed: $(timeout 30 nvidia-smi -L 2>&1 | head -1)"
    fi
    if [[ -n "$why" ]]; then
        echo "gpu-check: no GPU here: $why. Run it on the GPU machine (docs/cuda.md)." | tee "$OUT/env.txt" >&2
        exit 2
    fi
    JAVA=
    if [[ -f "$PREP/jre.tar.xz" ]]; then
        local jre=${TMPDIR:-/tmp}/dust4j-jre-$(cksum < "$PREP/jre.tar.xz" | cut -d' ' -f1)
        if [[ ! -x "$jre/bin/java" ]]; then
            rm -rf "$jre.part" && mkdir -p "$jre.part" || die "cannot create $jre.part" 2
            if command -v xz > /dev/null; then
                tar -C "$jre.part" -xJf "$PREP/jre.tar.xz"
            else                                           # no xz binary: Python's lzma
                python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1], "r:xz").extractall(sys.argv[2])' "$PREP/jre.tar.xz" "$jre.part"
            fi || die "unpacking $PREP/jre.tar.xz failed" 2
            mv "$jre.part" "$jre"
        fi
        JAVA=$jre/bin/java
    fi
    if [[ ! -x "$JAVA" ]]; then
        [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]] || die "no JRE: run scripts/gpu-check.sh --prepare where a JDK is and carry gpu-check/" 2
        JAVA=$JAVA_HOME/bin/java
    fi
    [[ -d "$PREP/lib" ]] || die "no prepared jars in $PREP/lib: run scripts/gpu-check.sh --prepare and carry gpu-check/" 2
    CUBLAS=$(find_cublas) || CUBLAS=
    if [[ -n "$CUBLAS" ]]; then
        export DUST4J_CUBLAS=$(dirname "$CUBLAS")
        export LD_LIBRARY_PATH=$DUST4J_CUBLAS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}   # libcublasLt beside it
    fi
    env_report
    echo "environment: $OUT/env.txt (libcublas: ${CUBLAS:-not found: GEMMs use the gemm.cu kernel})"

    local cp="$PREP/lib/*"
    local flags=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow
        -XX:+UseParallelGC -Xmx24g -Ddust4j.cudaSources="$ROOT/kernels/src/main/cuda")
    step gpu-tests 240 "$JAVA" "${flags[@]}" -Ddust4j.requireGpu=true -cp "$cp" org.dust4j.kernels.cuda.GpuTestMain
    step gpu-bench 90 "$JAVA" "${flags[@]}" -cp "$cp" org.dust4j.kernels.cuda.CudaBench
    step torch-sdpa 60 python3 scripts/gpu_torch_peer.py sdpa
    local work=${GPU_CHECK_WORK:-/tmp/dust4j-gpu-check}
    mkdir -p "$work"
    step torch-model 150 python3 scripts/gpu_torch_peer.py model --config configs/dust-gr00t.json --work "$work"
    if [[ -f "$work/model/config.json" ]]; then
        step java-model 150 "$JAVA" "${flags[@]}" -cp "$cp" org.dust4j.bench.GpuModelBench --model "$work/model" --inputs "$work/inputs.safetensors" \
            --train-inputs "$work/train-inputs.safetensors"
    else
        echo "the torch peer wrote no model to $work/model: dust4j model benchmark not run" > "$OUT/java-model.log"
        NAMES+=("java-model"); RESULTS+=("not run (no weights)"); STATUS=1
    fi
    {
        echo "== gpu-check summary ($OUT), $((SECONDS - T0))s of ${BUDGET}s"
        for i in "${!NAMES[@]}"; do printf '  %-12s %s\n' "${NAMES[$i]}" "${RESULTS[$i]}"; done
        grep -hE "tests (successful|failed|skipped|aborted)" "$OUT/gpu-tests.log" 2> /dev/null | sed 's/^ */  /'
        grep -hE "^(attention|gemm|sdpa|model|torch)" "$OUT/gpu-bench.log" "$OUT/torch-sdpa.log" "$OUT/torch-model.log" "$OUT/java-model.log" 2> /dev/null | sed 's/^/  /'
        echo "gpu-check: $([[ $STATUS == 0 ]] && echo PASS || echo FAIL)"
    } | tee "$OUT/summary.txt"
    exit $STATUS
}

case "${1:-}" in
    --prepare) prepare ;;
    "") check ;;
    -h|--help) sed -n '2,20p' "$0" ;;
    *) die "unknown argument $1 (--prepare, or none on the GPU machine)" 2 ;;
esac
