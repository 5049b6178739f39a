#!/usr/bin/env bash
# Side by side on this machine: tiebreak's CPU backend vs PyTorch CPU, training images/s at batch 128 with 2 threads.
# Each pair runs back to back, ROUNDS times, alternating, so both see the same machine load; prints the median of each
# side over the rounds and the ratio. Usage: gpu-runtime/bench/compare_cpu.sh [ROUNDS] (default 3).
# Needs gpu-runtime/target/gpu-runtime.jar (mvn -pl gpu-runtime package -DskipTests) and /usr/bin/python3 with torch.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
rounds="${1:-3}"
printf "%-8s %-8s %12s %12s %8s\n" model prec tiebreak pytorch ratio
for case in "lenet5 fp32 float32" "lenet5 fp64 float64" "vgg11 fp32 float32" "vgg11 fp64 float64" "lenet5 fp16 -" "vgg11 fp16 -"; do
  set -- $case
  ours=(); theirs=()
  for r in $(seq "$rounds"); do
    ours+=("$(java -jar "$jar" bench --model "$1" --precision "$2" --batch 128 --threads 2 | awk '/median/ {print $3}')")
    if [ "$3" != "-" ]; then
      theirs+=("$(/usr/bin/python3 "$here/torch_train_step.py" --model "$1" --dtype "$3" --batch 128 --threads 2 | awk '/median/ {print $3}')")
    fi
  done
  o=$(printf "%s\n" "${ours[@]}" | median)
  if [ ${#theirs[@]} -gt 0 ]; then
    t=$(printf "%s\n" "${theirs[@]}" | median)
    printf "%-8s %-8s %12.1f %12.1f %8.2f\n" "$1" "$2" "$o" "$t" "$(awk -v o="$o" -v t="$t" 'BEGIN {print o / t}')"
  else
    printf "%-8s %-8s %12.1f %12s %8s\n" "$1" "$2" "$o" "(none)" "-"
  fi
done
