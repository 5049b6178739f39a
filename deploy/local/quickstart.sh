#!/usr/bin/env bash
# The README's first command: the quickstart sweep on the embedded default (Spark local mode, CPU backend, the real
# Fashion-MNIST from Debian's dataset-fashion-mnist), then its results table through Spark SQL.
# Data and results go to work/ in the checkout (git-ignored); run it again to see the sweep skip finished runs.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
if ! dpkg-query -W -f='${Status}' dataset-fashion-mnist 2>/dev/null | grep -q "install ok installed"; then
  echo "quickstart: installing Debian's dataset-fashion-mnist (the real Fashion-MNIST)" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq dataset-fashion-mnist
fi
work="${TIEBREAK_WORK:-$root/work}"
if [ ! -f "$work/data/fashion-mnist/_dataset.json" ]; then
  deploy/tiebreak ingest --dataset fashion-mnist -i /usr/share/datasets/fashion-mnist -o "$work/data/fashion-mnist"
fi
deploy/tiebreak sweep conf/quickstart.yaml --data "$work/data" --results "$work/results"
deploy/tiebreak sql --results "$work/results" \
  "SELECT network, precision, pool, pool_form, status, epochs_done, round(final_test_accuracy, 4) AS final_test_accuracy
   FROM runs ORDER BY precision, beta"
