#!/usr/bin/env bash
# Spark GPU discovery script (spark.executor.resource.gpu.discoveryScript / spark.worker.resource.gpu.discoveryScript):
# prints the node's GPUs as Spark's ResourceInformation JSON, e.g. {"name": "gpu", "addresses": ["0", "1"]}.
# Addresses are nvidia-smi's indices (PCI bus order); CudaBackend opens "cuda:N" as the N-th GPU in that same order
# (Backends.forSparkGpu), so a task binds to the GPU Spark gave it whatever CUDA_DEVICE_ORDER says.
# NVIDIA_SMI overrides the nvidia-smi command (tests use a stand-in).
set -euo pipefail
smi="${NVIDIA_SMI:-nvidia-smi}"
if ! command -v "$smi" >/dev/null 2>&1; then
  echo "getGpusResources.sh: $smi not found: this node has no NVIDIA driver, so it has no GPU for Spark" >&2
  exit 1
fi
if ! indices="$("$smi" --query-gpu=index --format=csv,noheader 2>&1)"; then
  echo "getGpusResources.sh: $smi failed: $indices" >&2
  exit 1
fi
addresses="$(printf '%s\n' "$indices" | tr -d ' \r' | { grep -E '^[0-9]+$' || true; } | sed 's/.*/"&"/' | paste -sd, - | sed 's/,/, /g')"
echo "{\"name\": \"gpu\", \"addresses\": [${addresses}]}"
