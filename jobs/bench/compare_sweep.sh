#!/usr/bin/env bash
# The sweep against its fair PyTorch baseline on the same cores: tiebreak's sweep of jobs/bench/lenet48.yaml in
# local[2] (two runs at a time, one thread each) against the same 48 runs as two PyTorch processes side by side, one
# thread each (torch_loop.py --shard 0/2 and 1/2), alternating ROUNDS times so both see the same machine load.
# Prints each round's runs/hour, the medians, their ratio and the load average.
#
#   jobs/bench/compare_sweep.sh [ROUNDS] [WORK_DIR]      (default 2 rounds, target/bench)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-2}"
work="${2:-target/bench}"
mkdir -p "$work"
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# One thread per PyTorch process, really: with torch.set_num_threads(1) alone, PyTorch 1.13 keeps an OpenMP thread
# spinning beside the one that trains (measured: 10 s of CPU in a 12 s run), which takes the other process's core.
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
torch_pair() { # prints the runs/hour of both processes together, from the first start to the last end
  local start end
  start=$(date +%s.%N)
  /usr/bin/python3 jobs/bench/torch_loop.py --threads 1 --shard 0/2 > "$work/torch0.log" 2>&1 &
  local a=$!
  /usr/bin/python3 jobs/bench/torch_loop.py --threads 1 --shard 1/2 > "$work/torch1.log" 2>&1 &
  local b=$!
  wait "$a" && wait "$b" || { echo "a PyTorch process failed: $work/torch0.log, $work/torch1.log" >&2; exit 1; }
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN {printf "%.1f\n", 48 * 3600 / (e - s)}'
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
ours=(); theirs=()
for r in $(seq "$rounds"); do
  jobs/bench/sweep_bench.sh "$work" > "$work/sweep.log" 2>&1 || { echo "the sweep failed: $work/sweep.log" >&2; exit 1; }
  o=$(awk '/runs\/hour/ {print $(NF-1)}' "$work/sweep.log")
  t=$(torch_pair)
  echo "round $r: tiebreak sweep $o runs/hour, two PyTorch processes $t runs/hour (load $(cut -d' ' -f1 /proc/loadavg))"
  ours+=("$o"); theirs+=("$t")
done
mo=$(printf "%s\n" "${ours[@]}" | median)
mt=$(printf "%s\n" "${theirs[@]}" | median)
echo "median: tiebreak sweep $mo runs/hour, two PyTorch processes (1 thread each) $mt runs/hour: $(awk -v o="$mo" -v t="$mt" 'BEGIN {printf "%.2fx", o / t}')"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
