#!/usr/bin/env bash
# Every GPU check of the CUDA backend in one command, on the GPU machine (no Java, no network there): run
# deploy/gpu/stage.sh on the build machine first and carry .jre, gpu-runtime/target/gpu-runtime.jar and
# gpu-runtime/target/device-data. Parts, in this order by default, each under its own time limit (about 12 minutes
# at worst in all: on a device tool with a 10-minute limit per command run `selftest torch bench`, then `parity`):
#   selftest  every kernel against the CPU backend (SelfTest)                       -> selftest.txt
#   parity    LeNet-5 and VGG11 training, per-epoch metrics vs CPU (TrainingParity)  -> training-parity.txt
#   torch     fp16 CPU emulation and CUDA backend vs PyTorch CUDA half (TorchParity)  -> torch-parity.txt
#   bench     images/s vs PyTorch, default and deterministic (bench.sh)             -> bench.md, bench-*.txt
# Results go to $OUT (default gpu-runtime/target/device-check; on the device tool, its $OUT comes back); summary.txt lists every
# part's exit code (0 pass, 1 fail, 3 no usable GPU, 124 time limit). Usage: deploy/gpu/device-check.sh [PART...]
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
export JAVA="${JAVA:-$root/.jre/bin/java}" PYTHON="${PYTHON:-python3}" DEVICE="${DEVICE:-cuda:0}"
export OUT="${OUT:-$root/gpu-runtime/target/device-check}"
jar="$root/gpu-runtime/target/gpu-runtime.jar"
mkdir -p "$OUT"
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(selftest torch bench parity)
for need in "$JAVA" "$jar"; do
  [ -e "$need" ] || { echo "device-check.sh: $need is missing: run deploy/gpu/stage.sh and carry its outputs" | tee -a "$OUT/summary.txt"; exit 2; }
done
{
  echo "device-check $(date -u +%FT%TZ) on $(hostname), parts: ${parts[*]}"
  nvidia-smi --query-gpu=index,name,driver_version,memory.total,pci.bus_id --format=csv 2>&1
  "$JAVA" -version 2>&1 | head -1
  "$PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name())' 2>&1
  git log -1 --format='commit %H %s' 2>/dev/null
} > "$OUT/environment.txt"

run_part() { # name, seconds, command...
  local name="$1" limit="$2" start rc
  shift 2
  start=$(date +%s)
  timeout "$limit" "$@" > "$OUT/$name.txt" 2>&1
  rc=$?
  echo "$name: exit $rc after $(( $(date +%s) - start )) s ($(tail -1 "$OUT/$name.txt"))" | tee -a "$OUT/summary.txt"
}

for part in "${parts[@]}"; do
  case "$part" in
    selftest) run_part selftest 120 "$JAVA" -jar "$jar" selftest --device "$DEVICE" ;;
    parity) run_part training-parity 240 "$JAVA" -cp "$jar" io.tiebreak.runtime.check.TrainingParity \
              --device "$DEVICE" --data gpu-runtime/target/device-data --train-limit 1024 --vgg-train-limit 256 --epochs 2 ;;
    torch)
      mkdir -p "$OUT/torch-parity"
      run_part torch-parity-inputs 30 "$JAVA" -cp "$jar" io.tiebreak.runtime.check.TorchParity \
        write "$OUT/torch-parity/in.safetensors" --precision fp16
      run_part torch-parity-pytorch 60 "$PYTHON" deploy/gpu/torch_parity.py "$OUT/torch-parity/in.safetensors" \
        "$OUT/torch-parity/torch.safetensors" --device cuda
      run_part torch-parity 60 "$JAVA" -cp "$jar" io.tiebreak.runtime.check.TorchParity \
        compare "$OUT/torch-parity/in.safetensors" "$OUT/torch-parity/torch.safetensors" --device "$DEVICE" ;;
    bench) run_part bench 240 deploy/gpu/bench.sh && cp "$OUT/bench.txt" "$OUT/bench.md" ;;
    *) echo "device-check.sh: unknown part '$part' (selftest, parity, torch, bench)" | tee -a "$OUT/summary.txt"; exit 2 ;;
  esac
done
