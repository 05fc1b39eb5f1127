#!/usr/bin/env bash
# What observability costs the event pipeline (document 002 claims tracing ~2-5 %, logging < 1 %):
# event-pipeline.jar started twice side by side, instrumentation off (ENABLE_OBSERVABILITY=false)
# and on (the defaults), each on its own embedded KRaft broker and H2 in its own directory, with
# its consumer running. Two measurements, each in alternating rounds so background load hits both alike:
#   ingest   wrk -t2 -c16 POST /api/v1/events for S seconds: req/s, p99, CPU per event (the whole
#            process: API, outbox, its broker and its consumer, from /proc/<pid>/stat)
#   consume  bench's PipelineConsumerRate (one JVM, in-process broker holding N pipeline messages):
#            the analytics consumer from offset 0 to N rows, on and off in turn; records/s and CPU
#            per record ("off" has no /metrics to watch, so the consumer is timed in-process)
# Prints each round, then medians as ratios to "off".
#
# Build first: ./mvnw -B -q -pl event-pipeline,bench -am package -DskipTests
# Usage: bench/pipeline-overhead.sh [rounds=3] [seconds=10] [warmup=20] [records=20000]
#   JAR  the jar (default event-pipeline/target/event-pipeline.jar); JAVA_OPTS for both variants
#   BENCH_JAR  bench/target/benchmarks.jar
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; seconds=${2:-10}; warmup=${3:-20}; records=${4:-20000}
BENCH_JAR=${BENCH_JAR:-$PWD/bench/target/benchmarks.jar}
JAR=${JAR:-$PWD/event-pipeline/target/event-pipeline.jar}
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
[ -f "$JAR" ] || { echo "no $JAR: build event-pipeline first" >&2; exit 1; }

names=(off on)
envs=("ENABLE_OBSERVABILITY=false" "")
work=$(mktemp -d)
declare -a pids ports mports
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"event_type":"page_view","source":"web","occurred_at":"2026-11-29T10:00:00Z","payload":{"path":"/pricing","ms":42}}'
LUA

# start K GROUP: variant K on its directory (the broker keeps its topic across restarts), consumer group GROUP
start() {
  local k=$1 group=$2 dir="$work/${names[$1]}"
  mkdir -p "$dir"
  ports[$k]=$(free_port); mports[$k]=$(free_port)
  # shellcheck disable=SC2086
  (cd "$dir" && exec env PORT="${ports[$k]}" METRICS_PORT="${mports[$k]}" DATA_DIR="$dir/data" VIGIL_CONSOLE=false \
      CONSUMER_GROUP="$group" ${envs[$k]} "$java" ${JAVA_OPTS:-} -jar "$JAR" >> out.log 2>&1) &
  pids[$k]=$!
  for _ in $(seq 1 600); do curl -sf -o /dev/null "http://127.0.0.1:${ports[$k]}/health" && return 0; sleep 0.2; done
  echo "${names[$k]} did not start:" >&2; tail -20 "$dir/out.log" >&2; exit 1
}
stop() { kill "${pids[$1]}"; wait "${pids[$1]}" 2>/dev/null || true; pids[$1]=; }
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

ingest() { # K SECONDS -> "req/s p99_ms cpu_us_per_event"
  local k=$1 d=$2 out c0 c1
  c0=$(cpu "${pids[$k]}")
  out=$(wrk -t2 -c16 -d"${d}s" --latency -s "$work/post.lua" "http://127.0.0.1:${ports[$k]}/api/v1/events")
  c1=$(cpu "${pids[$k]}")
  awk -v t=$((c1 - c0)) -v hz="$hz" '
    /Requests\/sec/ {rps = $2}
    /requests in/ {n = $1}
    $1 == "99%" {v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
                 p99 = v * (u == "us" ? 0.001 : u == "s" ? 1000 : u == "m" ? 60000 : 1)}
    /Non-2xx/ {bad = $NF}
    END {if (bad > 0) {print "non-2xx responses: " bad > "/dev/stderr"}
         printf "%s %.2f %.1f\n", rps, p99, t / hz * 1e6 / n}' <<< "$out"
}

echo "$(date -u +%FT%TZ) $(nproc) cores, load average before start: $(cut -d' ' -f1-3 /proc/loadavg)"
for k in 0 1; do start "$k" analytics; done
for k in 0 1; do ingest "$k" "$warmup" > /dev/null; done   # C2 warm-up, and a backlog for the first drain

declare -A ing
for r in $(seq 1 "$rounds"); do
  order=(0 1); (( r % 2 == 0 )) && order=(1 0)
  for k in "${order[@]}"; do
    res=$(ingest "$k" "$seconds"); ing[$k]+="$res"$'\n'
    printf 'round %d ingest  %-4s %s req/s  p99 %s ms  CPU %s us/event  (load %s)\n' "$r" "${names[$k]}" $res "$(cut -d' ' -f1 /proc/loadavg)"
  done
done

median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
echo
echo "ingest: medians of $rounds rounds, wrk -t2 -c16 ${seconds}s POST /api/v1/events; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| %-7s | %9s | %9s | %7s | %12s | %8s |\n' variant 'ingest/s' 'tput/off' 'p99 ms' 'CPU us/event' 'CPU/off'
printf '|%s|\n' '---------|-----------|-----------|---------|--------------|----------'
for k in 0 1; do
  col() { awk -v c="$2" '{print $c}' <<< "$1" | grep . | median; }
  rps=$(col "${ing[$k]}" 1); p99=$(col "${ing[$k]}" 2); cpe=$(col "${ing[$k]}" 3)
  if [ "$k" = 0 ]; then b=("$rps" "$cpe"); fi
  awk -v n="${names[$k]}" -v r="$rps" -v p="$p99" -v c="$cpe" -v br="${b[0]}" -v bc="${b[1]}" \
      'BEGIN {printf "| %-7s | %9.0f | %9.2f | %7.1f | %12.0f | %8.2f |\n", n, r, r / br, p, c, c / bc}'
done
for k in 0 1; do stop "$k"; done

echo
echo "consume: bench PipelineConsumerRate $records records, $rounds rounds"
"$java" ${JAVA_OPTS:-} -cp "$BENCH_JAR" io.vigil.bench.PipelineConsumerRate "$records" "$rounds" 2>"$work/rate.err" \
  || { tail -20 "$work/rate.err" >&2; exit 1; }
