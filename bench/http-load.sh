#!/usr/bin/env bash
# HTTP instrumentation overhead: the same Javalin route served plain and with VigilJavalinPlugin,
# loaded with wrk on loopback; rounds interleave the modes so drift hits each alike.
# Usage: bench/http-load.sh [rounds] [seconds]   (after ./mvnw -pl bench -am package -DskipTests)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-2}
SECONDS_PER_RUN=${2:-15}
JAVA=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
PORT=18080
URL="http://127.0.0.1:$PORT/api/v1/users/42"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }

run() {
  local mode=$1
  "$JAVA" -Xms512m -Xmx512m -cp bench/target/benchmarks.jar io.vigil.bench.HttpLoadServer "$mode" "$PORT" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -fs "$URL" >/dev/null 2>&1 && break; sleep 0.1; done
  wrk -t1 -c16 -d5s "$URL" >/dev/null                      # warm-up: JIT, pools
  local out
  out=$(wrk -t1 -c16 -d"${SECONDS_PER_RUN}s" --latency "$URL")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  printf '%-10s %10s req/s   p50 %8s   p99 %8s\n' "$mode" "$rps" "$p50" "$p99"
}

for round in $(seq 1 "$ROUNDS"); do
  echo "round $round"
  for mode in plain sampled unsampled; do run "$mode"; done
done
