#!/usr/bin/env bash
# Compiles every kernels/src/main/cuda/*.cu to PTX for compute_80 and compute_90 (one PTX file per .cu per
# arch) into OUT_DIR/ptx/, writes OUT_DIR/ptx/manifest.txt (one line per PTX: module arch file entries) and
# OUT_DIR/cuda-build.properties. Run by Maven (exec-maven-plugin, generate-resources) on every build.
# Without nvcc on the PATH (or with DUST4J_NVCC=off) it writes ptx.available=false and succeeds: the JAR is
# CPU-only and says so. Any nvcc warning is an error (--Werror all-warnings).
#   usage: build-ptx.sh SRC_DIR OUT_DIR
set -euo pipefail
SRC=${1:?source dir}
OUT=${2:?output dir}
ARCHS=${DUST4J_CUDA_ARCHS:-"80 90"}
PTX_DIR="$OUT/ptx"
PROPS="$OUT/cuda-build.properties"
mkdir -p "$OUT"
rm -rf "$PTX_DIR"

NVCC=${NVCC:-nvcc}
if [[ "${DUST4J_NVCC:-on}" == "off" ]] || ! command -v "$NVCC" >/dev/null 2>&1; then
    reason="nvcc not found on the PATH"
    [[ "${DUST4J_NVCC:-on}" == "off" ]] && reason="DUST4J_NVCC=off"
    printf 'ptx.available=false\nreason=%s\n' "$reason" > "$PROPS"
    echo "[build-ptx] $reason: building a CPU-only JAR (no CUDA kernels)"
    exit 0
fi

mkdir -p "$PTX_DIR"
start=$(date +%s.%N)
jobs=()
# largest files first (attention dominates), so the parallel slots finish together
for cu in $(ls -S "$SRC"/*.cu); do
    for arch in $ARCHS; do jobs+=("$cu $arch"); done
done
par=${DUST4J_NVCC_JOBS:-$(nproc)}
export NVCC PTX_DIR
# one nvcc per (file, arch), $par at a time; xargs exits non-zero if any compile fails
printf '%s\n' "${jobs[@]}" | xargs -P "$par" -L 1 bash -c '
    cu=$0; arch=$1; name=$(basename "$cu" .cu)
    "$NVCC" -ptx -arch=compute_$arch -std=c++17 -O3 -lineinfo --Werror all-warnings \
        -o "$PTX_DIR/$name.sm$arch.ptx" "$cu" || { echo "[build-ptx] FAILED: $name for compute_$arch" >&2; exit 255; }'

manifest="$PTX_DIR/manifest.txt"
: > "$manifest"
entries=0
for ptx in "$PTX_DIR"/*.ptx; do
    f=$(basename "$ptx")
    module=${f%%.sm*}
    arch=${f##*.sm}; arch=${arch%.ptx}
    names=$(grep -oE '^\.(visible )?\.entry [A-Za-z0-9_]+' "$ptx" | awk '{print $NF}' | sort | paste -sd, -)
    echo "$module $arch $f $names" >> "$manifest"
    entries=$((entries + $(echo "$names" | tr ',' '\n' | grep -c .)))
done
sort -o "$manifest" "$manifest"
version=$("$NVCC" --version | grep -oE 'release [0-9.]+, V[0-9.]+' | awk '{print $NF}')
modules=$(ls "$SRC"/*.cu | wc -l)
end=$(date +%s.%N)
secs=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}')
printf 'ptx.available=true\nnvcc.version=%s\narchs=%s\nmodules=%s\nptx.files=%s\n' \
    "$version" "$(echo $ARCHS | tr ' ' ',')" "$modules" "$(ls "$PTX_DIR"/*.ptx | wc -l)" > "$PROPS"
echo "[build-ptx] $modules .cu files x archs {$ARCHS} -> $(ls "$PTX_DIR"/*.ptx | wc -l) PTX files, $entries entry points, ${secs}s with $par parallel nvcc"
