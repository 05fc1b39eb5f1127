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
#   JAVA_OPTS options for every variant (default none: what `./dev run` gives)
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
names=(); pids=(); ports=(); tokens=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

i=0
while IFS='|' read -r name env opts jar; do
  [ -z "$name" ] && continue
  port=$(free_port)
  dir=$work/$name; mkdir -p "$dir"
  # Common to all: a fixed admin, a long token lifetime (the run outlasts the default), the console
  # on any free port (never another engineer's 4318). $env, $opts unquoted on purpose: word lists.
  # shellcheck disable=SC2086
  (cd "$dir" && exec env PORT="$port" VIGIL_CONSOLE_PORT=0 ACCESS_TOKEN_TTL=4h LOGIN_RATE_LIMIT=100000/60 $env \
      "$java" ${JAVA_OPTS:-} $opts -jar "${jar:-$JAR}" > out.log 2>&1) &
  names+=("$name"); pids+=($!); ports+=("$port")
  i=$((i + 1))
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

load() { # variant index, seconds -> "rps p99_ms cpu_us_per_request"
  local k=$1 d=$2 out before after
  before=$(awk '{print $14 + $15}' "/proc/${pids[$k]}/stat")
  out=$(wrk -t2 -c16 -d"${d}s" --latency -H "Authorization: Bearer ${tokens[$k]}" \
      "http://127.0.0.1:${ports[$k]}/api/v1/users/me")
  after=$(awk '{print $14 + $15}' "/proc/${pids[$k]}/stat")
  awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" '
    /Requests\/sec/ {rps = $2}
    /requests in/ {n = $1}
    $1 == "99%" {v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
                 p99 = v * (u == "us" ? 0.001 : u == "s" ? 1000 : u == "m" ? 60000 : 1)}
    /Non-2xx/ {bad = $NF}
    END {if (bad > 0) {print "non-2xx responses: " bad > "/dev/stderr"}
         printf "%s %.2f %.1f\n", rps, p99, t / hz * 1e6 / n}' <<< "$out"
}

echo "$(date -u +%FT%TZ) $(nproc) cores, load average before warm-up: $(cut -d' ' -f1-3 /proc/loadavg)"
# Warm-up long enough for C2 to finish: compilation CPU would otherwise be billed to requests.
for k in "${!names[@]}"; do load "$k" "$warmup" > /dev/null; done

declare -A results
for r in $(seq 1 "$rounds"); do
  order=("${!names[@]}")
  # Alternate the order each round (forwards, backwards), so no variant always follows the same one.
  if (( r % 2 == 0 )); then mapfile -t order < <(printf '%s\n' "${order[@]}" | tac); fi
  for k in "${order[@]}"; do
    res=$(load "$k" "$seconds")
    results[$k]+="$res"$'\n'
    printf 'round %d %-14s %s req/s  p99 %s ms  CPU %s us/request  (load %s)\n' "$r" "${names[$k]}" $res \
        "$(cut -d' ' -f1 /proc/loadavg)"
  done
done

median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
echo
echo "medians of $rounds rounds of ${seconds}s, wrk -t2 -c16, GET /api/v1/users/me; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| %-14s | %8s | %9s | %8s | %9s | %12s | %9s |\n' variant 'req/s' 'tput/base' 'p99 ms' 'p99/base' 'CPU us/req' 'CPU/base'
printf '|%s|\n' '----------------|----------|-----------|----------|-----------|--------------|-----------'
b_rps= ; b_p99= ; b_cpu=
for k in "${!names[@]}"; do
  rps=$(awk '{print $1}' <<< "${results[$k]}" | grep . | median)
  p99=$(awk '{print $2}' <<< "${results[$k]}" | grep . | median)
  cpu=$(awk '{print $3}' <<< "${results[$k]}" | grep . | median)
  if [ -z "$b_rps" ]; then b_rps=$rps; b_p99=$p99; b_cpu=$cpu; fi
  awk -v n="${names[$k]}" -v r="$rps" -v p="$p99" -v c="$cpu" -v br="$b_rps" -v bp="$b_p99" -v bc="$b_cpu" \
      'BEGIN {printf "| %-14s | %8.0f | %9.2f | %8.1f | %9.2f | %12.0f | %9.2f |\n", n, r, r / br, p, p / bp, c, c / bc}'
done
