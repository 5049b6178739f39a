#!/usr/bin/env bash
# tiebreak on a Spark cluster through spark-submit: deploy/spark-submit.sh [spark-submit options] -- <command> [args]
#   deploy/spark-submit.sh --master spark://host:7077 --executor-memory 12g -- sweep conf/study-vgg11-cifar10.yaml \
#       --data s3a://bucket/data --results s3a://bucket/results
# Needs SPARK_HOME: the folder of a Spark 4.1.x distribution for Scala 2.13 (bin/spark-submit inside), e.g.
#   export SPARK_HOME=/opt/spark-4.1.1-bin-hadoop3
# Ships jobs/target/tiebreak-app.jar (our classes, Iceberg's Spark runtime; rebuilt with mvn when missing or older
# than the sources) and spark-hadoop-cloud through --packages, which brings hadoop-aws, its AWS SDK bundle and the
# S3A committers at the cluster's Spark version. Set TIEBREAK_PACKAGES to "" if the cluster already has hadoop-aws.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ -z "${SPARK_HOME:-}" ] || [ ! -x "$SPARK_HOME/bin/spark-submit" ]; then
  echo "error: set SPARK_HOME to a Spark 4.1.x (Scala 2.13) distribution, the folder with bin/spark-submit" \
       "(SPARK_HOME is '${SPARK_HOME:-}'); for one machine, deploy/tiebreak needs none" >&2
  exit 2
fi
jar="$root/jobs/target/tiebreak-app.jar"
if [ ! -f "$jar" ] || [ -n "$(find "$root/pom.xml" "$root/gpu-runtime/pom.xml" "$root/jobs/pom.xml" \
    "$root/gpu-runtime/src/main" "$root/jobs/src/main" -newer "$jar" -print -quit 2>/dev/null)" ]; then
  echo "tiebreak: building the application jar (mvn package, tests skipped)..." >&2
  (cd "$root" && mvn -B -DskipTests -pl jobs -am package) >&2
fi
submit=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do submit+=("$1"); shift; done
[ $# -gt 0 ] || { echo "usage: $0 [spark-submit options] -- <command> [args]" >&2; exit 2; }
shift
packages="${TIEBREAK_PACKAGES-org.apache.spark:spark-hadoop-cloud_2.13:4.1.1}"
# The portable GEMM's Vector API kernel needs the JDK 17 incubator module in every JVM (without it: the same bits,
# slower). A --conf spark.{driver,executor}.extraJavaOptions of your own replaces these: keep the option in it.
vector="--add-modules=jdk.incubator.vector"
exec "$SPARK_HOME/bin/spark-submit" --class io.tiebreak.jobs.cli.Tiebreak \
  ${packages:+--packages "$packages"} \
  --conf "spark.driver.extraJavaOptions=$vector" --conf "spark.executor.extraJavaOptions=$vector" \
  "${submit[@]}" "$jar" "$@"
