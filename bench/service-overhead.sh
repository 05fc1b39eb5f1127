#!/usr/bin/env bash
# What observability costs identity-service as a user runs it: every variant below is started side
# by side (own port, own H2 directory), gets a user and a bearer token, is warmed up, then loaded in
# alternating rounds with wrk (GET /api/v1/users/me, -t2 -c16) so that background load hits all
# variants alike. Prints each round, then medians as ratios to the first variant.
#
# Build first: ./mvnw -B -q -pl identity-service -am package -DskipTests
# Usage: bench/service-overhead.sh [rounds=3] [seconds=10] [warmup=20]
#   VARIANTS  newline-separated "name|ENV=V ENV2=V|java options|jar" (jar defaults to $JAR);
#             the first one is the baseline the ratios refer to. Default: the list below.
#   EXTRA_VARIANTS  appended to VARIANTS (same format), e.g. an agent or an older jar.
#   JAR       the service jar (default identity-service/target/identity-service.jar)
#   JAVA_OPTS options for every variant (default -Xms1g -Xmx1g; JAVA_OPTS= for none, what `./dev run` gives).
#             A fixed heap because G1 sizes a default heap (1/64 to 1/4 of RAM) by each JVM's own history:
#             in one run the same jar got an 86 MB or a 128 MB eden, hence 2.4x the young collections, and a
#             concurrent marking cycle fell inside the measured rounds of some variants only; either moved a
#             variant's ratio by 10-20 % (bench/README, eighth session).
#   COMPARE_AGENT=1  also runs, against one local OTLP receiver (bench's OtlpSink, which discards):
#             vigil-otlp (Vigil on, exporting OTLP; the console is then off by default) and agent
#             (ENABLE_OBSERVABILITY=false plus the OpenTelemetry Java agent exporting OTLP, configured by
#             bench/agent-identity.properties to make the same spans per request as Vigil). Fetch
#             the agent first (not committed):
#               ./mvnw -B -q -N dependency:copy -DoutputDirectory=bench/target/agent \
#                 -Dartifact=io.opentelemetry.javaagent:opentelemetry-javaagent:2.31.1
#             AGENT overrides its path; BENCH_JAR the jar holding OtlpSink (bench/target/benchmarks.jar).
#             In VARIANTS/EXTRA_VARIANTS, @OTLP@ in a variant's environment stands for that receiver's
#             OTEL_EXPORTER_OTLP_ENDPOINT and protocol (e.g. an older jar, or OTEL_LOGS_EXPORTER=none).
#   STARTUP_RUNS  start-up to the first 200 of /health, each variant started alone (default 3; 0 skips)
#   THREAD_CPU=1  also CPU per request by thread group (request threads, GC pauses, GC marking, JIT,
#             each Vigil thread) from /proc/<pid>/task/*/stat, medians per variant (bench/thread-cpu.py)
#
# Besides throughput, p99 and CPU per request it reports each variant's allocation rate during
# the measured rounds, from its GC log (-Xlog:gc, added to every variant) and its heap in use at
# the start and end of each round.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; seconds=${2:-10}; warmup=${3:-20}
JAR=${JAR:-$PWD/identity-service/target/identity-service.jar}
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
[ -f "$JAR" ] || { echo "no $JAR: build identity-service first" >&2; exit 1; }

# name | environment | JVM options | jar. Add a variant by adding a line.
DEFAULT_VARIANTS='off|ENABLE_OBSERVABILITY=false||
defaults|||
console-off|VIGIL_CONSOLE=false||'
VARIANTS=${VARIANTS:-$DEFAULT_VARIANTS}
[ -n "${EXTRA_VARIANTS:-}" ] && VARIANTS="$VARIANTS"$'\n'"$EXTRA_VARIANTS"

work=$(mktemp -d)
names=(); pids=(); ports=(); tokens=(); dirs=()
sink_pid= ; launched=
cleanup() {
  for p in "${pids[@]}" ${launched:-}; do kill "$p" 2>/dev/null || true; done
  if [ -n "$sink_pid" ]; then kill "$sink_pid" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  if [ -f "$work/sink.log" ]; then echo; echo "OTLP receiver got:"; grep -v '^OTLP sink' "$work/sink.log" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

if [ "${COMPARE_AGENT:-0}" = 1 ]; then
  AGENT=${AGENT:-$(ls "$PWD"/bench/target/agent/opentelemetry-javaagent-*.jar 2>/dev/null | head -1)}
  [ -f "$AGENT" ] || { echo "no agent jar: see COMPARE_AGENT in the header" >&2; exit 1; }
  BENCH_JAR=${BENCH_JAR:-$PWD/bench/target/benchmarks.jar}
  sink_port=$(free_port)
  "$java" -Xmx256m -cp "$BENCH_JAR" io.vigil.bench.OtlpSink "$sink_port" > "$work/sink.log" 2>&1 &
  sink_pid=$!
  otlp="OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$sink_port OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf"
  # Both export traces (every request sampled) and metrics every 60 s to the receiver, and per request
  # the same six spans: the server span, three JDBC spans and, for Vigil's two operation spans, the
  # agent's method spans (bench/agent-identity.properties). What only Vigil exports is its access log
  # (a JSON line on stdout and an OTLP log record) and the contract's metrics: identity-service with
  # Vigil off logs nothing per request, so the agent has nothing to bridge (bench/README).
  VARIANTS=${VARIANTS//@OTLP@/$otlp} # a variant of your own may export to the same receiver: @OTLP@ in its environment
  VARIANTS="$VARIANTS"$'\n'"vigil-otlp|$otlp||"$'\n'"agent|ENABLE_OBSERVABILITY=false $otlp|-javaagent:$AGENT -Dotel.javaagent.configuration-file=$PWD/bench/agent-identity.properties|"
fi

# launch NAME ENV OPTS JAR PORT DIR: one variant in the background (pid in $launched)
launch() {
  local name=$1 env=$2 opts=$3 jar=$4 port=$5 dir=$6
  mkdir -p "$dir"
  # Common to all: a fixed admin, a long token lifetime (the run outlasts the default), the console
  # and the management port on any free port (never another engineer's 4318 or 9464), a GC log for the allocation rate. $env, $opts
  # unquoted on purpose: word lists.
  # shellcheck disable=SC2086
  (cd "$dir" && exec env PORT="$port" MANAGEMENT_PORT=0 VIGIL_CONSOLE_PORT=0 ACCESS_TOKEN_TTL=4h LOGIN_RATE_LIMIT=100000/60 $env \
      "$java" ${JAVA_OPTS--Xms1g -Xmx1g} -Xlog:gc:file=gc.log $opts -jar "${jar:-$JAR}" > out.log 2>&1) &
  launched=$!
}

# Start-up to the first 200: each variant alone on the machine (the others are not running yet).
startup_runs=${STARTUP_RUNS:-3}
declare -A startup
if (( startup_runs > 0 )); then
  echo "$(date -u +%FT%TZ) start-up to the first 200 of /health, each variant alone, $startup_runs runs (load $(cut -d' ' -f1 /proc/loadavg))"
  for r in $(seq 1 "$startup_runs"); do
    while IFS='|' read -r name env opts jar; do
      [ -z "$name" ] && continue
      port=$(free_port)
      t0=$(date +%s%N)
      launch "$name" "$env" "$opts" "$jar" "$port" "$work/startup-$name-$r"
      ms=
      for _ in $(seq 1 3000); do
        if curl -sf -o /dev/null "http://127.0.0.1:$port/health"; then ms=$(( ($(date +%s%N) - t0) / 1000000 )); break; fi
        sleep 0.02
      done
      kill "$launched" 2>/dev/null || true; wait "$launched" 2>/dev/null || true
      startup[$name]+="${ms:-NaN}"$'\n'
      printf 'start-up %d %-14s %s ms\n' "$r" "$name" "${ms:-did not start}"
    done <<< "$VARIANTS"
  done
fi

while IFS='|' read -r name env opts jar; do
  [ -z "$name" ] && continue
  port=$(free_port)
  launch "$name" "$env" "$opts" "$jar" "$port" "$work/$name"
  names+=("$name"); pids+=("$launched"); ports+=("$port"); dirs+=("$work/$name")
done <<< "$VARIANTS"

for k in "${!names[@]}"; do
  url="http://127.0.0.1:${ports[$k]}"
  for _ in $(seq 1 180); do curl -sf "$url/health" > /dev/null && break; sleep 1; done
  curl -sf "$url/health" > /dev/null || { echo "${names[$k]} did not start:" >&2; tail -20 "$work/${names[$k]}/out.log" >&2; exit 1; }
  email="bench-$k@example.com"; password='bench passphrase 2024'
  curl -sf -H 'Content-Type: application/json' "$url/api/v1/auth/register" \
      -d "{\"email\":\"$email\",\"password\":\"$password\",\"full_name\":\"Bench User\"}" > /dev/null
  token=$(curl -sf -H 'Content-Type: application/json' "$url/api/v1/auth/login" \
      -d "{\"email\":\"$email\",\"password\":\"$password\"}" | sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p')
  [ -n "$token" ] || { echo "${names[$k]}: no token" >&2; exit 1; }
  curl -sf -H "Authorization: Bearer $token" "$url/api/v1/users/me" > /dev/null
  tokens+=("$token")
done

# heap in use (KiB) of a JVM; its pid is the java process started by launch
heap_used() { jcmd "$1" GC.heap_info 2>/dev/null | awk '/used/ {for (i = 1; i <= NF; i++) if ($i == "used") {v = $(i + 1); sub(/K.*/, "", v); print v; exit}}'; }

load() { # variant index, seconds -> "rps p99_ms cpu_us_per_request alloc_MB_per_s"
  local k=$1 d=$2 out before after used0 used1 gc0 gc1 alloc
  used0=$(heap_used "${pids[$k]}"); gc0=$(wc -l < "${dirs[$k]}/gc.log")
  before=$(awk '{print $14 + $15}' "/proc/${pids[$k]}/stat")
  [ "${THREAD_CPU:-0}" = 1 ] && python3 bench/thread-cpu.py snap "${pids[$k]}" > "$work/threads0"
  out=$(wrk -t2 -c16 -d"${d}s" --latency -H "Authorization: Bearer ${tokens[$k]}" \
      "http://127.0.0.1:${ports[$k]}/api/v1/users/me")
  after=$(awk '{print $14 + $15}' "/proc/${pids[$k]}/stat")
  if [ "${THREAD_CPU:-0}" = 1 ]; then
    python3 bench/thread-cpu.py snap "${pids[$k]}" > "$work/threads1"
    python3 bench/thread-cpu.py diff "$work/threads0" "$work/threads1" "$(awk '/requests in/ {print $1}' <<< "$out")" \
        >> "${dirs[$k]}/threads.jsonl"
    awk '/requests in/ {print $1}' <<< "$out" >> "${dirs[$k]}/requests"
  fi
  used1=$(heap_used "${pids[$k]}"); gc1=$(wc -l < "${dirs[$k]}/gc.log")
  # Allocated = what each collection found in use minus what the previous one left, plus the growth
  # since the last; in MB per second of load.
  alloc=$(sed -n "$((gc0 + 1)),${gc1}p" "${dirs[$k]}/gc.log" | awk -v u0="${used0:-0}" -v u1="${used1:-0}" -v d="$d" '
    function kib(s,  n) {n = s + 0; return s ~ /G$/ ? n * 1048576 : s ~ /M$/ ? n * 1024 : n}
    /Pause/ && /->/ {for (i = 1; i <= NF; i++) if ($i ~ /->/) {split($i, h, "->"); sub(/\(.*/, "", h[2]);
                       total += kib(h[1]) - prev; prev = kib(h[2])}}
    BEGIN {prev = u0}
    END {total += u1 - prev; printf "%.1f", total / 1024 / d}')
  awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v alloc="$alloc" '
    /Requests\/sec/ {rps = $2}
    /requests in/ {n = $1}
    $1 == "99%" {v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
                 p99 = v * (u == "us" ? 0.001 : u == "s" ? 1000 : u == "m" ? 60000 : 1)}
    /Non-2xx/ {bad = $NF}
    END {if (bad > 0) {print "non-2xx responses: " bad > "/dev/stderr"}
         printf "%s %.2f %.1f %s\n", rps, p99, t / hz * 1e6 / n, alloc}' <<< "$out"
}

echo "$(date -u +%FT%TZ) $(nproc) cores, load average before warm-up: $(cut -d' ' -f1-3 /proc/loadavg); JVM options of every variant: ${JAVA_OPTS--Xms1g -Xmx1g}"
# Warm-up long enough for C2 to finish: compilation CPU would otherwise be billed to requests.
for k in "${!names[@]}"; do load "$k" "$warmup" > /dev/null; rm -f "${dirs[$k]}/threads.jsonl"; done

declare -A results
for r in $(seq 1 "$rounds"); do
  order=("${!names[@]}")
  # Alternate the order each round (forwards, backwards), so no variant always follows the same one.
  if (( r % 2 == 0 )); then mapfile -t order < <(printf '%s\n' "${order[@]}" | tac); fi
  for k in "${order[@]}"; do
    res=$(load "$k" "$seconds")
    results[$k]+="$res"$'\n'
    printf 'round %d %-14s %s req/s  p99 %s ms  CPU %s us/request  alloc %s MB/s  (load %s)\n' "$r" "${names[$k]}" $res \
        "$(cut -d' ' -f1 /proc/loadavg)"
  done
done

median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
echo
echo "medians of $rounds rounds of ${seconds}s, wrk -t2 -c16, GET /api/v1/users/me; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| %-14s | %8s | %9s | %8s | %9s | %10s | %8s | %8s | %9s | %10s | %9s |\n' variant 'req/s' 'tput/base' \
    'p99 ms' 'p99/base' 'CPU us/req' 'CPU/base' 'alloc MB/s' 'KB/req' 'start-up ms' 'start/base'
printf '|%s|\n' '----------------|----------|-----------|----------|-----------|------------|----------|------------|-----------|-------------|-----------'
b_rps= ; b_p99= ; b_cpu= ; b_start=
declare -A cpu_of
for k in "${!names[@]}"; do
  rps=$(awk '{print $1}' <<< "${results[$k]}" | grep . | median)
  p99=$(awk '{print $2}' <<< "${results[$k]}" | grep . | median)
  cpu=$(awk '{print $3}' <<< "${results[$k]}" | grep . | median)
  alloc=$(awk '{print $4}' <<< "${results[$k]}" | grep . | median)
  start=$(grep -v NaN <<< "${startup[${names[$k]}]:-}" | grep . | median || true)
  start=${start:-0}
  cpu_of[${names[$k]}]=$cpu
  if [ -z "$b_rps" ]; then b_rps=$rps; b_p99=$p99; b_cpu=$cpu; b_start=$start; fi
  awk -v n="${names[$k]}" -v r="$rps" -v p="$p99" -v c="$cpu" -v a="$alloc" -v s="$start" \
      -v br="$b_rps" -v bp="$b_p99" -v bc="$b_cpu" -v bs="$b_start" \
      'BEGIN {printf "| %-14s | %8.0f | %9.2f | %8.1f | %9.2f | %10.0f | %8.2f | %10.0f | %9.1f | %11.0f | %9s |\n",
              n, r, r / br, p, p / bp, c, c / bc, a, a * 1024 / r, s, (bs > 0 ? sprintf("%.2f", s / bs) : "-")}'
done
if [ "${THREAD_CPU:-0}" = 1 ]; then
  echo
  cols=(); for k in "${!names[@]}"; do cols+=("${names[$k]}=${dirs[$k]}/threads.jsonl"); done
  python3 bench/thread-cpu.py table "${cols[@]}"
  # Since each process started, over all its requests (warm-up included): GC cycles that fell outside
  # the measured rounds count too.
  echo; echo "since start (incl. start-up and warm-up), per request:"
  cols=()
  for k in "${!names[@]}"; do
    python3 bench/thread-cpu.py snap "${pids[$k]}" > "$work/threads-all"
    python3 bench/thread-cpu.py diff /dev/null "$work/threads-all" "$(awk '{s += $1} END {print s}' "${dirs[$k]}/requests")" \
        > "${dirs[$k]}/threads-all.jsonl"
    cols+=("${names[$k]}=${dirs[$k]}/threads-all.jsonl")
  done
  python3 bench/thread-cpu.py table "${cols[@]}"
fi
if [ -n "${cpu_of[agent]:-}" ] && [ -n "${cpu_of[vigil-otlp]:-}" ] && [ -n "${cpu_of[off]:-}" ]; then
  awk -v v="${cpu_of[vigil-otlp]}" -v a="${cpu_of[agent]}" -v o="${cpu_of[off]}" 'BEGIN {
    printf "\nCPU per request over off: vigil-otlp +%.0f us, agent +%.0f us; Vigil'"'"'s overhead / the agent'"'"'s = %.2f\n",
           v - o, a - o, ((a - o) > 0 ? (v - o) / (a - o) : 0)}'
fi
