#!/usr/bin/env bash
# tiebreak on a Spark cluster through spark-submit: deploy/spark-submit.sh [spark-submit options] -- <command> [args]
#   deploy/spark-submit.sh --master spark://host:7077 --executor-memory 12g -- sweep conf/study-vgg11-cifar10.yaml \
#       --data s3a://bucket/data --results s3a://bucket/results
# Ships jobs/target/tiebreak-app.jar (built when missing) and spark-hadoop-cloud through --packages, which brings
# hadoop-aws, its AWS SDK bundle and the S3A committers at the cluster's Spark version (the jobs switch to the magic
# committer themselves for s3a:// outputs). SPARK_HOME must point at a
# Spark 4.1.x (Scala 2.13) distribution. Set TIEBREAK_PACKAGES to "" if the cluster already has hadoop-aws.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
: "${SPARK_HOME:?set SPARK_HOME to a Spark 4.1.x distribution}"
jar="$root/jobs/target/tiebreak-app.jar"
[ -f "$jar" ] || (cd "$root" && mvn -B -q -DskipTests -pl jobs -am package)
submit=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do submit+=("$1"); shift; done
[ $# -gt 0 ] || { echo "usage: $0 [spark-submit options] -- <command> [args]" >&2; exit 2; }
shift
packages="${TIEBREAK_PACKAGES-org.apache.spark:spark-hadoop-cloud_2.13:4.1.1}"
exec "$SPARK_HOME/bin/spark-submit" --class io.tiebreak.jobs.cli.Tiebreak \
  ${packages:+--packages "$packages"} \
  "${submit[@]}" "$jar" "$@"
