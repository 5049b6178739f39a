#!/usr/bin/env bash
# JMH kernel benchmarks (gpu-runtime/src/test/java/io/tiebreak/runtime/bench). Arguments go to JMH, e.g.
#   gpu-runtime/bench/jmh.sh 'convBackward' -p layer=vgg3 -p precision=fp32,fp16
# The forked JVMs get the Vector API, as deploy/tiebreak gives it to runs; VECTOR_API=off measures the kernels
# without it (their scalar and auto-vectorized loops: the same bits).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
mvn -B -q -pl gpu-runtime test-compile -DskipTests
cp="$(mvn -B -q -pl gpu-runtime dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=/dev/stdout)"
vector=(-jvmArgsPrepend --add-modules=jdk.incubator.vector)
[[ "${VECTOR_API:-on}" == off ]] && vector=()
exec java -cp "gpu-runtime/target/test-classes:gpu-runtime/target/classes:$cp" org.openjdk.jmh.Main "${vector[@]}" "$@"
