#!/usr/bin/env bash
# Data parallelism on this machine's CPU (docs/design.md, "Data parallelism"): training images/s of LeNet-5 and VGG11
# fp32 at batch 128, (a) one run on 2 devices of 1 thread each against 1 device of 2 threads, and (b) the cost of
# micro-batches, M = 16, 32, 64 against M = 128, on one device of 2 threads. The cases of each model run back to
# back, ROUNDS times, alternating, so all see the same load; prints each case's median over the rounds and its ratio to
# the first case of its group. Usage: gpu-runtime/bench/data_parallel.sh [ROUNDS] (default 3).
# Needs gpu-runtime/target/gpu-runtime.jar (mvn -B -q -pl gpu-runtime -am package -DskipTests).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
rounds="${1:-3}"
bench() { java --add-modules jdk.incubator.vector -jar "$jar" bench --precision fp32 --batch 128 --threads 2 "$@" 2>/dev/null | awk '/median/ {print $3}'; }

# name|arguments; the first case of a group is its baseline.
groups=(
  "1 device x 2 threads, M=128|;2 devices x 1 thread, M=64|--replicas 2 --micro-batch 64;1 device x 2 threads, M=64|--micro-batch 64"
  "M=128|;M=64|--micro-batch 64;M=32|--micro-batch 32;M=16|--micro-batch 16"
)
printf "%-8s %-34s %12s %8s\n" model case images/s ratio
for model in lenet5 vgg11; do
  for group in "${groups[@]}"; do
    IFS=';' read -ra cases <<< "$group"
    declare -A runs=()
    for r in $(seq "$rounds"); do
      for c in "${cases[@]}"; do
        runs["$c"]+="$(bench --model "$model" ${c#*|}) "
      done
    done
    base=""
    for c in "${cases[@]}"; do
      m=$(printf "%s\n" ${runs["$c"]} | median)
      [ -z "$base" ] && base="$m"
      printf "%-8s %-34s %12.1f %8.2f\n" "$model" "${c%%|*}" "$m" "$(awk -v m="$m" -v b="$base" 'BEGIN {print m / b}')"
    done
    unset runs
  done
done
