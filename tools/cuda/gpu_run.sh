#!/usr/bin/env bash
# Runs the CUDA build of fude on a GPU machine (built here by tools/cuda/build.sh, carried there)
# and prints what the README's "Devices" section reports:
#   1. the GPU, the driver, and where each CUDA library was found;
#   2. `predict` of the same pictures on the GPU and on that machine's CPU: the same readings?
#   3. `bench train --device cuda`: candle and PyTorch training the same network on the GPU;
#   4. `eval` of the bundled recognizer on held-out fonts and the kuzushiji sample, GPU and CPU.
#
#   tools/cuda/gpu_run.sh BIN PICTURES_DIR K49_SAMPLE_DIR
#
# Exits 1 at once when `predict --device cuda` does not run on the GPU (so a command that trains
# on the GPU after it does not fall back to the CPU). Each later step has its own time limit and a
# failed step does not stop the next. The CUDA libraries come from the machine's Python wheels
# (nvidia-cublas, -curand, -cuda-nvrtc) when the system has none; the PyTorch reference is that
# Python's torch.
set -uo pipefail
BIN=$1 PICS=$2 K=$3
NPZ="npz=$K/kuzushiji-sample-imgs.npz,$K/kuzushiji-sample-labels.npz,$K/kuzushiji-sample_classmap.csv"
for d in $(python3 -c 'import nvidia; print(" ".join(nvidia.__path__))' 2>/dev/null); do
  [[ -d "$d/cu13/lib" ]] && export LD_LIBRARY_PATH="$d/cu13/lib:${LD_LIBRARY_PATH:-}"
done
[[ -d /usr/local/nvidia/lib64 ]] && export LD_LIBRARY_PATH="/usr/local/nvidia/lib64:${LD_LIBRARY_PATH:-}"
export FUDE_TORCH_PYTHON="${FUDE_TORCH_PYTHON:-$(command -v python3)}"
step() { echo; echo "=== $1"; }
timed() { local t0=$EPOCHREALTIME; timeout "$@"; local rc=$?; awk -v a="$t0" -v b="$EPOCHREALTIME" -v rc=$rc 'BEGIN { printf "(rc %d, %.2f s)\n", rc, b - a }'; }

step "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
lscpu | grep -E "^Model name|^CPU\(s\)"
ldd "$BIN" | grep -E "not found|libcuda|cublas|curand|nvrtc"

step "predict, GPU then CPU"
timed 120 "$BIN" predict --device cuda --json --top 3 "$PICS"/*.png > /tmp/predict_cuda.jsonl 2> /tmp/predict_cuda.err
cat /tmp/predict_cuda.err
grep -q "device: cuda" /tmp/predict_cuda.err || { echo "the GPU did not run: stopping"; exit 1; }
timed 120 "$BIN" predict --device cpu --json --top 3 "$PICS"/*.png > /tmp/predict_cpu.jsonl
python3 - <<'PY'
import json
# One JSON object a line; `timed` adds its own line after them.
g = [json.loads(l) for l in open("/tmp/predict_cuda.jsonl") if l.startswith("{")]
c = [json.loads(l) for l in open("/tmp/predict_cpu.jsonl") if l.startswith("{")]
same = sum(a["top"][0]["char"] == b["top"][0]["char"] for a, b in zip(g, c))
diff = max((abs(x["prob"] - y["prob"]) for a, b in zip(g, c) for x, y in zip(a["top"], b["top"])), default=float("nan"))
print(f"pictures: {len(g)} on the GPU, {len(c)} on the CPU; same first choice: {same}; largest difference in a top-3 probability: {diff:.2e}")
PY

step "bench train on the GPU (candle, then PyTorch on the same GPU)"
timed 180 "$BIN" bench train --device cuda

step "eval of the bundled recognizer, GPU then CPU"
timed 120 "$BIN" eval --device cuda --data "fonts,$NPZ"
timed 120 "$BIN" eval --device cpu --data "fonts,$NPZ"
