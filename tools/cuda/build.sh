#!/usr/bin/env bash
# Build the `cuda` feature's release binary on a machine without a GPU or a system CUDA toolkit.
#
#   tools/cuda/build.sh                      # -> $FUDE_CUDA_TARGET/release/fude
#   FUDE_CUDA_CHECK=1 tools/cuda/build.sh    # only type-check every target (no linking)
#
# Installs NVIDIA's CUDA 13.0 compiler, runtime headers, CCCL, cuBLAS, cuRAND and NVRTC from PyPI
# into a scratch venv. 13.0 matches the GPU machine's driver (580, CUDA 13.0): PTX from a newer
# nvcc is refused by an older driver. candle-kernels' build script compiles every .cu kernel to
# PTX with that nvcc. cudarc links the driver library (libcuda) at build time; there is none
# without a driver, so a stub with the same exported names stands in for the link (as the CUDA
# toolkit's own lib64/stubs does); the real one is found at run time.
# Environment: FUDE_CUDA_VENV (default /tmp/fude-cuda-venv), FUDE_CUDA_TARGET
# (default /tmp/fude-cuda-target), CUDA_COMPUTE_CAP (default 90: Hopper).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${FUDE_CUDA_VENV:-/tmp/fude-cuda-venv}"
TARGET="${FUDE_CUDA_TARGET:-/tmp/fude-cuda-target}"
[[ -x "$VENV/bin/pip" ]] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet "nvidia-cuda-nvcc==13.0.*" "nvidia-cuda-crt==13.0.*" "nvidia-nvvm==13.0.*" \
  "nvidia-cuda-runtime==13.0.*" "nvidia-cuda-cccl==13.0.*" "nvidia-cublas==13.0.*" "nvidia-cuda-nvrtc==13.0.*" "nvidia-curand==10.4.*"
CUDA="$("$VENV/bin/python" -c 'import nvidia, os; print(os.path.join(list(nvidia.__path__)[0], "cu13"))')"
# The linker wants unversioned names; the wheels ship only the versioned ones.
(cd "$CUDA/lib" && for l in cublas cublasLt nvrtc cudart; do ln -sf "lib$l.so.13" "lib$l.so"; done && ln -sf libcurand.so.10 libcurand.so)
# The driver stub: every cu* function cudarc declares, as an empty function, sonamed libcuda.so.1.
CUDARC="$(cd "$ROOT" && cargo metadata --format-version 1 --features cuda 2>/dev/null \
  | python3 -c 'import json, sys; print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"] == "cudarc"))')"
mkdir -p "$CUDA/lib/stubs"
grep -ohE "pub (unsafe )?fn cu[A-Za-z0-9_]+" "$(dirname "$CUDARC")/src/driver/sys/mod.rs" | awk '{print $NF}' | sort -u \
  | sed 's/.*/void &(void) {}/' > "$CUDA/lib/stubs/cuda_stub.c"
cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$CUDA/lib/stubs/libcuda.so" "$CUDA/lib/stubs/cuda_stub.c"
export PATH="$CUDA/bin:$PATH" CUDA_ROOT="$CUDA" CUDA_PATH="$CUDA" CUDA_HOME="$CUDA"
export CUDA_COMPUTE_CAP="${CUDA_COMPUTE_CAP:-90}"
nvcc --version | tail -1
cd "$ROOT"
if [[ -n "${FUDE_CUDA_CHECK:-}" ]]; then
  cargo check --release --features cuda --all-targets --target-dir "$TARGET"
else
  cargo build --release --features cuda --bin fude --target-dir "$TARGET"
  echo "built $TARGET/release/fude"
fi
