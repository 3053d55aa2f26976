#!/usr/bin/env bash
# Type-check the `cuda` feature on a machine without a GPU or a system CUDA toolkit.
#
#   tools/cuda/check_build.sh
#
# Installs NVIDIA's nvcc, runtime headers and CCCL from PyPI into a scratch venv,
# then runs `cargo check --release --features cuda --all-targets` in a separate
# target dir. candle-kernels' build script compiles every .cu kernel to PTX with
# that nvcc, so kernel and Rust compile errors both show up; nothing runs on a GPU.
# Environment: FUDE_CUDA_VENV (default /tmp/fude-cuda-venv), FUDE_CUDA_TARGET
# (default /tmp/fude-cuda-target), CUDA_COMPUTE_CAP (default 90).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${FUDE_CUDA_VENV:-/tmp/fude-cuda-venv}"
[[ -x "$VENV/bin/pip" ]] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet nvidia-cuda-nvcc nvidia-cuda-runtime nvidia-cuda-cccl
CUDA="$("$VENV/bin/python" -c 'import nvidia, os; print(os.path.join(list(nvidia.__path__)[0], "cu13"))')"
export PATH="$CUDA/bin:$PATH" CUDA_ROOT="$CUDA" CUDA_PATH="$CUDA" CUDA_HOME="$CUDA"
export CUDA_COMPUTE_CAP="${CUDA_COMPUTE_CAP:-90}"
# cudarc 0.19 knows CUDA up to 13.4; PyPI's nvcc may be newer, so pin the API version.
export CUDARC_CUDA_VERSION="${CUDARC_CUDA_VERSION:-13040}"
nvcc --version | tail -1
cd "$ROOT"
cargo check --release --features cuda --all-targets --target-dir "${FUDE_CUDA_TARGET:-/tmp/fude-cuda-target}"
