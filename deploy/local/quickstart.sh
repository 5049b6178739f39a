#!/usr/bin/env bash
# The README's first command: the quickstart sweep on the embedded default (Spark local mode, CPU backend, the real
# Fashion-MNIST from Debian's dataset-fashion-mnist), then its results table through Spark SQL.
# Data and results go to work/ in the checkout (git-ignored); run it again to see the sweep skip finished runs.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
# JDK 17 and Maven build it, OpenBLAS is the CPU backend's BLAS, dataset-fashion-mnist the real Fashion-MNIST.
deploy/local/install-packages.sh openjdk-17-jdk-headless maven libopenblas0-pthread dataset-fashion-mnist
work="${TIEBREAK_WORK:-$root/work}"
if [ ! -f "$work/data/fashion-mnist/_dataset.json" ]; then
  deploy/tiebreak ingest --dataset fashion-mnist -i /usr/share/datasets/fashion-mnist -o "$work/data/fashion-mnist"
fi
deploy/tiebreak sweep conf/quickstart.yaml --data "$work/data" --results "$work/results"
deploy/tiebreak sql --results "$work/results" \
  "SELECT network, precision, pool, pool_form, status, epochs_done, round(final_test_accuracy, 4) AS final_test_accuracy,
          round(last_finite_test_accuracy, 4) AS last_finite
   FROM runs ORDER BY precision, beta"
