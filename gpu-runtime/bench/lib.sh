# Shared by the bench scripts (sourced): the runtime jar, built or a clear message, and the median of stdin's numbers.
jar="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../target/gpu-runtime.jar"
[ -f "$jar" ] || { echo "build first: mvn -B -q -pl gpu-runtime -am package -DskipTests" >&2; exit 2; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
