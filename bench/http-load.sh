#!/usr/bin/env bash
# HTTP instrumentation overhead: the same Javalin route served plain and with VigilJavalinPlugin,
# loaded with wrk on loopback; rounds interleave the modes, each round starting at the next mode, so drift and a mode's
# place in the round hit each alike.
# Usage: [MODES="plain sampled"] [WARMUP=30] bench/http-load.sh [rounds] [seconds]
#        (after ./mvnw -pl bench -am package -DskipTests)
#        A mode written before:MODE runs from $BEFORE_JAR (e.g. a copy of benchmarks.jar built from
#        the previous commit), so an old and a new build alternate in one run; other:MODE likewise from $OTHER_JAR
#        (a third build, e.g. an experiment's).
#        otlp: Vigil exporting spans and log records over OTLP/HTTP to a local receiver (bench's OtlpSink, which
#        discards), as a service with a collector runs; agent: the plain route with the OpenTelemetry Java agent
#        exporting to the same receiver (AGENT: its jar, fetched as bench/service-overhead.sh's header says);
#        otlp-nologs: otlp with OTEL_LOGS_EXPORTER=none, exporting what the agent exports here (spans, metrics).
#        minimal: the floor of any HTTP instrumentation on the OpenTelemetry SDK: a hand-written server span with the
#        conventions' request attributes and the one duration histogram, on sampled's SDK, processor and exporter.
#        THREAD_CPU=1: also CPU per request by thread group (bench/thread-cpu.py), a table of medians at the end.
#        Every mode logs through VigilLogging's chain to stdout, which goes to /dev/null (HttpLoadServer).
#        RATE=N: the measured rounds send a fixed N requests per second (bench/paced.lua) instead of as many as the
#        server answers; every mode then serves the same load in the same I/O regime (each request finds the server
#        idle, as in production), so CPU per request and latency compare. Without RATE: closed-loop, saturating.
#        The warm-up then ends with PACED_WARMUP (default 20) seconds at that rate, so the JIT has recompiled for it.
#        PROFILE=1 (implies THREAD_CPU=1): async-profiler (the library the Pyroscope agent bundles, taken from
#        benchmarks.jar; itimer, a sample per 1 ms of the process's CPU, which the kernel delivers at its tick: about
#        250 per busy CPU second, so use long rounds) samples each measured round; at the end
#        io.vigil.bench.CpuAttribution bills the request threads' CPU per request to components (server, Vigil's
#        HTTP adapter, Vigil core, OpenTelemetry, logging, the agent). Profiles (collapsed stacks) stay in
#        $PROFILE_DIR (default bench/target/profile).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-2}
SECONDS_PER_RUN=${2:-15}
JAVA=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
PORT=18080
URL="http://127.0.0.1:$PORT/api/v1/users/42"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }

sink_pid=
threads_dir=$(mktemp -d)
[ "${PROFILE:-0}" = 1 ] && THREAD_CPU=1
PROFILE_DIR=${PROFILE_DIR:-bench/target/profile}
if [ "${PROFILE:-0}" = 1 ]; then
  rm -rf "$PROFILE_DIR"; mkdir -p "$PROFILE_DIR"
  unzip -o -q bench/target/benchmarks.jar libasyncProfiler-linux-x64.so -d "$PROFILE_DIR"
fi
cleanup() { if [ -n "$sink_pid" ]; then kill "$sink_pid" 2>/dev/null || true; fi; rm -rf "$threads_dir"; }
trap cleanup EXIT
if [[ " ${MODES:-} " == *" agent "* || " ${MODES:-} " == *otlp* ]]; then
  SINK_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$JAVA" -Xmx256m -cp bench/target/benchmarks.jar io.vigil.bench.OtlpSink "$SINK_PORT" >/dev/null 2>&1 &
  sink_pid=$!
fi

run() {
  local label=$1 mode=$1 jar=bench/target/benchmarks.jar agent=() env=()
  if [[ $mode == before:* ]]; then mode=${mode#before:}; jar=${BEFORE_JAR:?BEFORE_JAR is needed for before: modes}; fi
  if [[ $mode == other:* ]]; then mode=${mode#other:}; jar=${OTHER_JAR:?OTHER_JAR is needed for other: modes}; fi
  if [[ $mode == agent || $mode == otlp* ]]; then
    env=(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$SINK_PORT" OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf)
  fi
  if [[ $mode == otlp-nologs ]]; then
    # What the agent exports here: spans and metrics, no log records (the access line still goes to stdout).
    env+=(OTEL_LOGS_EXPORTER=none); mode=otlp
  fi
  if [[ $mode == agent ]]; then
    local agent_jar=${AGENT:-$(ls "$PWD"/bench/target/agent/opentelemetry-javaagent-*.jar 2>/dev/null | head -1)}
    [ -f "$agent_jar" ] || { echo "no agent jar: see COMPARE_AGENT in bench/service-overhead.sh" >&2; exit 1; }
    # Every request sampled, spans and the HTTP server metrics exported as Vigil's otlp mode does; the route logs
    # nothing, so the agent's log bridge has nothing to send.
    agent=(-javaagent:"$agent_jar" -Dotel.service.name=bench -Dotel.traces.sampler=always_on)
    mode=plain
  fi
  # Pre-touched heap: first-touch page faults of a growing heap would be billed to requests.
  env "${env[@]}" "$JAVA" -Xms512m -Xmx512m -XX:+AlwaysPreTouch "${agent[@]}" -cp "$jar" io.vigil.bench.HttpLoadServer "$mode" "$PORT" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 300); do curl -fs "$URL" >/dev/null 2>&1 && break; sleep 0.1; done
  # Warm-up long enough for C2 to finish: compilation CPU would otherwise be billed to requests.
  wrk -t1 -c16 -d"${WARMUP:-30}s" "$URL" >/dev/null
  # At a fixed rate the server idles between requests, which takes branches (selector wake-ups, parking) a saturating
  # warm-up never did: C2 then deoptimizes and recompiles Jetty's and the JDK's I/O path in the first paced seconds,
  # 40-60 us of compiler CPU per request that differs from process to process. Warm up in the measured regime too.
  if [ -n "${RATE:-}" ]; then RATE=$RATE wrk -t1 -c16 -d"${PACED_WARMUP:-20}s" -s bench/paced.lua "$URL" >/dev/null; fi
  local out cpu_before cpu_after
  cpu_before=$(cpu_ticks "$pid")
  [ "${THREAD_CPU:-0}" = 1 ] && python3 bench/thread-cpu.py snap "$pid" > "$threads_dir/before"
  if [ "${PROFILE:-0}" = 1 ]; then
    # Loaded after the warm-up, so only the measured round is sampled; jcmd wants the options as one quoted word.
    "${JAVA%/java}/jcmd" "$pid" JVMTI.agent_load "$PWD/$PROFILE_DIR/libasyncProfiler-linux-x64.so" \
        "\"start,event=itimer,interval=1000000,threads\"" >/dev/null
  fi
  local paced=()
  [ -n "${RATE:-}" ] && paced=(-s bench/paced.lua)
  out=$(RATE=${RATE:-} wrk -t1 -c16 -d"${SECONDS_PER_RUN}s" --latency "${paced[@]}" "$URL")
  cpu_after=$(cpu_ticks "$pid")
  [ "${PROFILE:-0}" = 1 ] && "${JAVA%/java}/jcmd" "$pid" JVMTI.agent_load \
      "$PWD/$PROFILE_DIR/libasyncProfiler-linux-x64.so" "\"stop,collapsed,file=$PWD/$PROFILE_DIR/$label-$round.txt\"" >/dev/null
  if [ "${THREAD_CPU:-0}" = 1 ]; then
    python3 bench/thread-cpu.py snap "$pid" > "$threads_dir/after"
    python3 bench/thread-cpu.py diff "$threads_dir/before" "$threads_dir/after" \
        "$(awk '/requests in/ {print $1}' <<<"$out")" >> "$threads_dir/$label.jsonl"
  fi
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

# Each round starts at another mode (round r at the r-th, wrapping): with a fixed order every mode had the same place
# after the same predecessor in every round, so whatever a place costs (a VM whose speed drifts within a round, the
# previous server's memory still being freed) fell on one mode. (2026-11-30: minimal, third in every round, came out
# below plain, first in every round, in four rounds of six, 0.83-0.99, though it does strictly more.)
read -r -a all_modes <<<"${MODES:-plain sampled unsampled nolog off}"
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round"
  for i in "${!all_modes[@]}"; do run "${all_modes[$(( (i + round - 1) % ${#all_modes[@]} ))]}"; done
done
if [ "${THREAD_CPU:-0}" = 1 ]; then
  echo
  cols=()
  for mode in ${MODES:-plain sampled unsampled nolog off}; do cols+=("$mode=$threads_dir/$mode.jsonl"); done
  python3 bench/thread-cpu.py table "${cols[@]}"
fi
if [ "${PROFILE:-0}" = 1 ]; then
  echo
  attribution=()
  for mode in ${MODES:-plain sampled unsampled nolog off}; do
    # Each mode's samples scaled to its request threads' measured CPU per request (median of the rounds).
    us=$(python3 -c 'import json,statistics,sys; print(statistics.median(json.loads(l).get("request threads (Jetty'"'"'s pool)", 0) for l in open(sys.argv[1]) if l.strip()))' "$threads_dir/$mode.jsonl")
    attribution+=("$mode=$us=$(ls "$PROFILE_DIR/$mode"-*.txt | paste -sd,)")
  done
  "$JAVA" -cp bench/target/benchmarks.jar io.vigil.bench.CpuAttribution "${attribution[@]}"
fi
