#!/usr/bin/env bash
# HTTP instrumentation overhead: the same Javalin route served plain and with VigilJavalinPlugin,
# loaded with wrk on loopback; rounds interleave the modes so drift hits each alike.
# Usage: [MODES="plain sampled"] [WARMUP=30] bench/http-load.sh [rounds] [seconds]
#        (after ./mvnw -pl bench -am package -DskipTests)
#        A mode written before:MODE runs from $BEFORE_JAR (e.g. a copy of benchmarks.jar built from
#        the previous commit), so an old and a new build alternate in one run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-2}
SECONDS_PER_RUN=${2:-15}
JAVA=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
PORT=18080
URL="http://127.0.0.1:$PORT/api/v1/users/42"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }

run() {
  local label=$1 mode=$1 jar=bench/target/benchmarks.jar
  if [[ $mode == before:* ]]; then mode=${mode#before:}; jar=${BEFORE_JAR:?BEFORE_JAR is needed for before: modes}; fi
  # Pre-touched heap: first-touch page faults of a growing heap would be billed to requests.
  "$JAVA" -Xms512m -Xmx512m -XX:+AlwaysPreTouch -cp "$jar" io.vigil.bench.HttpLoadServer "$mode" "$PORT" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -fs "$URL" >/dev/null 2>&1 && break; sleep 0.1; done
  # Warm-up long enough for C2 to finish: compilation CPU would otherwise be billed to requests.
  wrk -t1 -c16 -d"${WARMUP:-30}s" "$URL" >/dev/null
  local out cpu_before cpu_after
  cpu_before=$(cpu_ticks "$pid")
  out=$(wrk -t1 -c16 -d"${SECONDS_PER_RUN}s" --latency "$URL")
  cpu_after=$(cpu_ticks "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local rps p50 p99 requests cpu_us
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  # Server CPU per request: robust when other processes share the cores, unlike req/s.
  cpu_us=$(awk -v t=$((cpu_after - cpu_before)) -v n="$requests" -v hz="$(getconf CLK_TCK)" \
    'BEGIN {printf "%.1f", t / hz * 1e6 / n}')
  printf '%-16s %10s req/s   p50 %8s   p99 %8s   server CPU %7s us/request\n' "$label" "$rps" "$p50" "$p99" "$cpu_us"
}

# utime + stime of a process, in clock ticks
cpu_ticks() {
  awk '{print $14 + $15}' "/proc/$1/stat"
}

for round in $(seq 1 "$ROUNDS"); do
  echo "round $round"
  for mode in ${MODES:-plain sampled unsampled nolog off}; do run "$mode"; done
done
