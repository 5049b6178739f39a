#!/usr/bin/env bash
# Times tiebreak's sweep of jobs/bench/lenet48.yaml (48 LeNet-5 runs, one Fashion-MNIST epoch each) in local[2] and
# reports the share of the two task slots' time not spent training (scheduling, data loading, checkpoints,
# result writing, idle slots at the end) and the runs per hour. Compare with jobs/bench/torch_loop.py.
#
#   jobs/bench/sweep_bench.sh [WORK_DIR]          (default: target/bench; the Fashion-MNIST ingest is reused)
set -euo pipefail
cd "$(dirname "$0")/../.."
work="${1:-target/bench}"
mkdir -p "$work"
tb() { TIEBREAK_JAVA_OPTS="-Xmx6g -Dspark.master=local[2]" deploy/tiebreak "$@"; }
tb --version >/dev/null   # builds first when the sources changed, outside the timing

if [ ! -f "$work/data/fashion-mnist/_dataset.json" ]; then
  tb ingest --dataset fashion-mnist -i /usr/share/datasets/fashion-mnist -o "$work/data/fashion-mnist"
fi
rm -rf "$work/results"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
tb sweep jobs/bench/lenet48.yaml --data "$work/data" --results "$work/results" --progress log
end=$(date +%s.%N)
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
wall=$(awk "BEGIN {print $end - $start}")
tb sql "SELECT count(*) AS runs, round(sum(train_seconds), 1) AS train_s, round(sum(seconds), 1) AS task_s,
        round(unix_millis(max(finished_at)) / 1000.0 - unix_millis(min(started_at)) / 1000.0, 1) AS first_start_to_last_end_s
        FROM runs" --results "$work/results" | tee "$work/totals.txt"
train=$(awk 'NR==3 {print $2}' "$work/totals.txt")
span=$(awk 'NR==3 {print $4}' "$work/totals.txt")
echo "$wall $train $span" | awk '{printf "command wall %.1fs (JVM, Spark, planning, training, commits, summary): %.1f runs/hour\n", $1, 48*3600/$1;
  printf "not training, whole command: %.1f%% of 2 slots x %.1fs\n", 100*(1 - $2/(2*$1)), $1;
  printf "not training, first task start to last task end: %.1f%% of 2 slots x %.1fs\n", 100*(1 - $2/(2*$3)), $3}'
