#!/usr/bin/env bash
# Builds the Java runtime the GPU machine needs (it has no Java): a jlink image of the JDK here with only the
# modules gpu-runtime.jar uses, in the git-ignored folder .jre/ at the repository root (carried to the device with
# the work tree). Usage: deploy/gpu/make-jre.sh [output-dir]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/.jre}"
jlink="${JAVA_HOME:+$JAVA_HOME/bin/}jlink"
command -v "$jlink" >/dev/null || { echo "make-jre.sh: jlink not found (set JAVA_HOME to a JDK 17)" >&2; exit 1; }
# java.logging: netlib and JCuda log through java.util.logging; jdk.unsupported: sun.misc.Unsafe for JNA/netlib.
# jdeps also lists java.desktop, java.sql (Jackson's optional java.beans/java.sql support) and jdk.incubator.vector
# (netlib's optional Vector API BLAS): none is loaded by the runtime's code paths, so they stay out.
modules=java.base,java.logging,jdk.unsupported
rm -rf "$out"
"$jlink" --add-modules "$modules" --compress=2 --strip-debug --no-header-files --no-man-pages --output "$out"
echo "make-jre.sh: $(du -sh "$out" | cut -f1) Java runtime ($modules) in $out"
"$out/bin/java" -version 2>&1 | head -1
