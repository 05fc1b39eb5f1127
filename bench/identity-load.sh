#!/usr/bin/env bash
# The identity-service read mix against three instances in one run — observability on, off
# (ENABLE_OBSERVABILITY=false), and on with profiling (JFR files) — in alternating rounds, so that
# background load hits all three alike. Build first: ./mvnw -pl identity-service -am package -DskipTests
# Usage: bench/identity-load.sh [rounds=5] [seconds=12] [concurrency=8]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}; seconds=${2:-12}; concurrency=${3:-8}
jar=$PWD/identity-service/target/identity-service.jar
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
start() { # port, extra environment
  mkdir -p "$work/$1"
  (cd "$work/$1" && exec env PORT=$1 MANAGEMENT_PORT=0 ADMIN_EMAIL=admin@example.com ADMIN_PASSWORD='root passphrase 2024' \
      LOGIN_RATE_LIMIT=100000/60 VIGIL_CONSOLE=false $2 "$java" -Xmx1g -jar "$jar" > out.log 2>&1) &
  pids+=($!)
}
start 8101 "ENABLE_OBSERVABILITY=true"
start 8102 "ENABLE_OBSERVABILITY=false"
start 8103 "PROFILING_ENABLED=true PYROSCOPE_SERVER_ADDRESS=file:$work/8103/profiles"
for p in 8101 8102 8103; do
  for _ in $(seq 1 120); do curl -sf "localhost:$p/health" > /dev/null && break; sleep 1; done
done
declare -A name=([8101]=on [8102]=off [8103]=profiling)
for r in $(seq 1 "$rounds"); do
  for p in 8102 8101 8103; do
    line=$("$java" -jar "$jar" traffic --url "http://127.0.0.1:$p" --duration "$seconds" --concurrency "$concurrency" \
        --mix read --admin-email admin@example.com --admin-password 'root passphrase 2024' 2>/dev/null | grep '^total')
    echo "round $r ${name[$p]}: $line"
  done
done
