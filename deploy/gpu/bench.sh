#!/usr/bin/env bash
# Training images/s on the GPU, side by side: tiebreak's CUDA backend (`gpu-runtime.jar bench --device`) against
# PyTorch on the same GPU, default settings, cudnn.deterministic = True, and deterministic without TF32 (true fp32,
# the arithmetic tiebreak does). VGG11-CIFAR fp32 and fp16, LeNet-5 fp32, batch 128. Prints a markdown table; the raw
# outputs go to $OUT/bench-*.txt. Usage: deploy/gpu/bench.sh (from device-check.sh; JAVA, PYTHON, DEVICE, OUT apply).
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
java="${JAVA:-$root/.jre/bin/java}"
python="${PYTHON:-python3}"
jar="$root/gpu-runtime/target/gpu-runtime.jar"
device="${DEVICE:-cuda:0}"
out="${OUT:-$root/gpu-runtime/target/device-check}"
mkdir -p "$out"
median() { awk '/median images\/s/ {print $3}' "$1" | tail -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }
echo "| model | precision | tiebreak (img/s) | PyTorch default | PyTorch deterministic | PyTorch det. no TF32 | tiebreak / det. |"
echo "|---|---|---:|---:|---:|---:|---:|"
for case in "vgg11 fp32 float32" "vgg11 fp16 float16" "lenet5 fp32 float32"; do
  set -- $case
  log="$out/bench-$1-$2"
  "$java" -jar "$jar" bench --device "$device" --model "$1" --precision "$2" --batch 128 --windows 5 --steps 20 > "$log-tiebreak.txt" 2>&1
  ours="$(median "$log-tiebreak.txt")"
  [ -n "$ours" ] || ours="n/a ($(head -c 80 "$log-tiebreak.txt" | tr '\n|' '  '))"
  "$python" "$root/deploy/gpu/torch_bench.py" --model "$1" --dtype "$3" > "$log-torch-default.txt" 2>&1
  "$python" "$root/deploy/gpu/torch_bench.py" --model "$1" --dtype "$3" --deterministic > "$log-torch-deterministic.txt" 2>&1
  "$python" "$root/deploy/gpu/torch_bench.py" --model "$1" --dtype "$3" --deterministic --no-tf32 > "$log-torch-det-notf32.txt" 2>&1
  td="$(median "$log-torch-default.txt")"; tdet="$(median "$log-torch-deterministic.txt")"; tn="$(median "$log-torch-det-notf32.txt")"
  echo "| $1 | $2 | $ours | ${td:-n/a} | ${tdet:-n/a} | ${tn:-n/a} | $(ratio "$ours" "$tdet") |"
done
