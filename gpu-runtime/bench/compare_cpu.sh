#!/usr/bin/env bash
# Side by side on this machine: tiebreak's CPU backend, in its portable and host modes, vs PyTorch CPU: training
# images/s at batch 128. Each case runs its three commands back to back, ROUNDS times, alternating, so all see the same
# machine load; prints the median of each over the rounds, the ratios to PyTorch, and portable's time over host's.
# Usage: gpu-runtime/bench/compare_cpu.sh [ROUNDS] [CASE ...] (default 3 rounds, every case; a case is
# "model precision torch_dtype threads", torch_dtype - where PyTorch cannot train).
# Needs gpu-runtime/target/gpu-runtime.jar (mvn -pl gpu-runtime -am package -DskipTests) and /usr/bin/python3 with torch.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
rounds="${1:-3}"
shift || true
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=("lenet5 fp32 float32 2" "lenet5 fp32 float32 1" "vgg11 fp32 float32 2"
  "vgg11 fp32 float32 1" "lenet5 fp64 float64 2" "vgg11 fp64 float64 2" "lenet5 fp16 - 2" "vgg11 fp16 - 2")
# Steady state on both sides: a LeNet-5 step takes milliseconds, so its windows are 40 steps after 40 warm-up steps
# (the JIT compiles the Java kernels during those); a VGG11 step takes about a second.
timing() { [ "$1" = lenet5 ] && echo "--warmup 40 --windows 5 --steps 40" || echo "--warmup 3 --windows 5 --steps 5"; }
ours() { # model precision threads mode
  java --add-modules jdk.incubator.vector -jar "$jar" bench --model "$1" --precision "$2" --batch 128 --threads "$3" \
    --reproducibility "$4" $(timing "$1") 2>/dev/null | awk '/median/ {print $3}'
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-7s %-5s %3s %10s %10s %10s %9s %9s %9s\n" model prec thr portable host pytorch port/pt host/pt port/host
for case in "${cases[@]}"; do
  set -- $case
  portable=(); host=(); theirs=()
  for r in $(seq "$rounds"); do
    portable+=("$(ours "$1" "$2" "$4" portable)")
    host+=("$(ours "$1" "$2" "$4" host)")
    if [ "$3" != "-" ]; then
      # OMP_NUM_THREADS as well as --threads: PyTorch's OpenMP pool otherwise keeps threads spinning beyond it.
      theirs+=("$(OMP_NUM_THREADS="$4" MKL_NUM_THREADS="$4" /usr/bin/python3 "$here/torch_train_step.py" --model "$1" --dtype "$3" --batch 128 --threads "$4" \
        $(timing "$1") | awk '/median/ {print $3}')")
    fi
  done
  p=$(printf "%s\n" "${portable[@]}" | median)
  h=$(printf "%s\n" "${host[@]}" | median)
  # port/host: portable's time per image over host's (the issue's "no more than 1.2x").
  ph=$(awk -v p="$p" -v h="$h" 'BEGIN {printf "%.2f", h / p}')
  if [ ${#theirs[@]} -gt 0 ]; then
    t=$(printf "%s\n" "${theirs[@]}" | median)
    printf "%-7s %-5s %3s %10.1f %10.1f %10.1f %9.2f %9.2f %9s\n" "$1" "$2" "$4" "$p" "$h" "$t" \
      "$(awk -v o="$p" -v t="$t" 'BEGIN {print o / t}')" "$(awk -v o="$h" -v t="$t" 'BEGIN {print o / t}')" "$ph"
  else
    printf "%-7s %-5s %3s %10.1f %10.1f %10s %9s %9s %9s\n" "$1" "$2" "$4" "$p" "$h" "(cannot)" - - "$ph"
  fi
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
