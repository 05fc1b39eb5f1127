#!/usr/bin/env bash
# What each variant of identity-service exports per request: spans by scope and name, log records by
# scope and severity, metric points by name, and stdout lines. Each variant gets its own counting OTLP
# receiver (OtlpSink -Dcount=true), a user and a token, 15 s of wrk (GET /api/v1/users/me, -t2 -c16),
# then a 10 s measured stretch between two readings of the receiver's counts (each after 12 s, so the
# batch processors have exported; metrics every 5 s here).
#
# Build first: ./mvnw -B -q -pl identity-service,bench -am package -DskipTests
# Usage: bench/export-counts.sh [vigil] [agent]     (AGENT: the agent jar, see service-overhead.sh)
set -u
cd "$(dirname "$0")/.."
JAR=${JAR:-$PWD/identity-service/target/identity-service.jar}
BENCH_JAR=${BENCH_JAR:-$PWD/bench/target/benchmarks.jar}
AGENT=${AGENT:-$(ls "$PWD"/bench/target/agent/opentelemetry-javaagent-*.jar 2>/dev/null | head -1)}
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
w=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$w"' EXIT
run() { # name env opts
  local name=$1 env=$2 opts=$3 sp port url tok out n l0 l1
  sp=$(free_port); port=$(free_port); url=http://127.0.0.1:$port
  "$java" -Dcount=true -Xmx256m -cp "$BENCH_JAR" io.vigil.bench.OtlpSink "$sp" > "$w/$name-sink.log" 2>&1 & pids+=($!)
  mkdir -p "$w/$name"
  # shellcheck disable=SC2086
  (cd "$w/$name" && exec env PORT="$port" MANAGEMENT_PORT=0 VIGIL_CONSOLE_PORT=0 ACCESS_TOKEN_TTL=4h LOGIN_RATE_LIMIT=100000/60 \
     OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$sp" OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf OTEL_METRIC_EXPORT_INTERVAL=5000 $env \
     "$java" $opts -jar "$JAR" > out.log 2>&1) & pids+=($!)
  for _ in $(seq 1 240); do curl -sf "$url/health" >/dev/null && break; sleep 1; done
  curl -sf -H 'Content-Type: application/json' "$url/api/v1/auth/register" \
      -d '{"email":"c@example.com","password":"bench passphrase 2024","full_name":"Bench User"}' >/dev/null
  tok=$(curl -sf -H 'Content-Type: application/json' "$url/api/v1/auth/login" \
      -d '{"email":"c@example.com","password":"bench passphrase 2024"}' | sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p')
  wrk -t2 -c16 -d15s -H "Authorization: Bearer $tok" "$url/api/v1/users/me" >/dev/null
  sleep 12
  curl -s "http://127.0.0.1:$sp/counts" > "$w/$name-c0"; l0=$(wc -l < "$w/$name/out.log")
  out=$(wrk -t2 -c16 -d10s -H "Authorization: Bearer $tok" "$url/api/v1/users/me"); n=$(awk '/requests in/ {print $1}' <<< "$out")
  sleep 12
  curl -s "http://127.0.0.1:$sp/counts" > "$w/$name-c1"; l1=$(wc -l < "$w/$name/out.log")
  echo "== $name: $n requests; stdout lines per request: $(awk -v a="$l0" -v b="$l1" -v n="$n" 'BEGIN {printf "%.3f", (b - a) / n}')"
  join -t$'\t' -1 2 -2 2 -a 2 -e 0 -o 1.1,2.1,0 <(sort -t$'\t' -k2 "$w/$name-c0") <(sort -t$'\t' -k2 "$w/$name-c1") \
    | awk -F'\t' -v n="$n" '{d = $2 - $1; if (d > 0) printf "%8d  %.3f/req  %s\n", d, d / n, $3}'
}
[ $# -eq 0 ] && set -- vigil agent
for v in "$@"; do
  case $v in
    vigil) run vigil-otlp "" "" ;;
    # The agent's settings (service name, the method spans standing for Vigil's operation spans) are in
    # bench/agent-identity.properties, shared with service-overhead.sh.
    agent) run agent "ENABLE_OBSERVABILITY=false" "-javaagent:$AGENT -Dotel.javaagent.configuration-file=$PWD/bench/agent-identity.properties" ;;
  esac
done
