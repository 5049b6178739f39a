#!/usr/bin/env bash
# Prepares, on a machine with Java, Maven and nvcc, everything device-check.sh needs on the GPU machine (which has no
# Java and no network): gpu-runtime/target/gpu-runtime.jar with the kernels, the jlink'ed Java runtime in .jre/
# (make-jre.sh) and a Fashion-MNIST subset in gpu-runtime/target/device-data. All three are git-ignored; carry them:
#   .jre  gpu-runtime/target/gpu-runtime.jar  gpu-runtime/target/device-data
# Usage: deploy/gpu/stage.sh [--no-build]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
if [ "${1:-}" != "--no-build" ]; then
  command -v nvcc >/dev/null || { echo "stage.sh: nvcc is not on the PATH: the jar would have no kernels" >&2; exit 1; }
  mvn -B -q -pl gpu-runtime -am package -DskipTests
fi
unzip -l gpu-runtime/target/gpu-runtime.jar | grep tiebreak-kernels.fatbin >/dev/null \
  || { echo "stage.sh: gpu-runtime.jar has no tiebreak-kernels.fatbin (built without nvcc?)" >&2; exit 1; }
deploy/gpu/make-jre.sh "$root/.jre"
src="${FASHION_MNIST:-/usr/share/datasets/fashion-mnist}"
dst=gpu-runtime/target/device-data
mkdir -p "$dst"
# The first images of each split, as gzip'ed IDX files (the full set would not fit the device's carry limit).
python3 - "$src" "$dst" <<'PY'
import gzip, os, struct, sys
src, dst = sys.argv[1], sys.argv[2]
for name, keep in (("train-images-idx3-ubyte", 4096), ("train-labels-idx1-ubyte", 4096),
                   ("t10k-images-idx3-ubyte", 1000), ("t10k-labels-idx1-ubyte", 1000)):
    path = os.path.join(src, name)
    opener = open if os.path.exists(path) else gzip.open
    with opener(path if os.path.exists(path) else path + ".gz", "rb") as f:
        magic, = struct.unpack(">I", f.read(4))
        dims = struct.unpack(">%dI" % (magic & 0xff), f.read(4 * (magic & 0xff)))
        per = 1
        for d in dims[1:]:
            per *= d
        body = f.read(keep * per)
    with gzip.open(os.path.join(dst, name + ".gz"), "wb") as g:
        g.write(struct.pack(">I", magic) + struct.pack(">%dI" % len(dims), keep, *dims[1:]) + body)
PY
echo "stage.sh: carry .jre gpu-runtime/target/gpu-runtime.jar gpu-runtime/target/device-data ($(du -csh .jre gpu-runtime/target/gpu-runtime.jar "$dst" | tail -1 | cut -f1) in all)"
