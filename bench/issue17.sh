#!/usr/bin/env bash
# Every figure of issue 17's target table in one run, on this machine, then the table itself: each figure measured
# by the tool bench/README describes for it, one after the other, so the run is one command and one log.
#
#   1. one sampled domain operation ÷ the hand-stacked decorators, CPU per operation (PairedRatio operation: both
#      sides' log lines through logstash-logback-encoder; beside it operationVigilEncoder and operationShipped);
#   2. a JSON log line with scrubbing ÷ logstash-logback-encoder without, CPU per line (PairedRatio log, and
#      logNewRequest: every line another request's, so nothing is cached), shown as throughput (the inverse);
#   3. the HTTP instrumentation's CPU per request ÷ the plain hello-world route, and the OpenTelemetry Java agent's on
#      the same route, at a fixed 2,000 requests per second (bench/http-load.sh, RATE, THREAD_CPU); beside them the
#      floor of any instrumentation on the OpenTelemetry SDK (mode minimal: a hand-written server span and duration
#      histogram on the same SDK, nothing else), so the run shows what the SDK alone costs on this machine;
#   4. identity-service GET /api/v1/users/me: defaults and console off against ENABLE_OBSERVABILITY=false
#      (throughput, p99), Vigil exporting OTLP against the OpenTelemetry agent exporting the same spans to the same
#      receiver (CPU per request over off), and start-up to the first 200 of all (bench/service-overhead.sh).
#
# Build first: ./mvnw -B -q -pl identity-service,bench -am package -DskipTests
# and fetch the agent (not committed):
#   ./mvnw -B -q -N dependency:copy -DoutputDirectory=bench/target/agent \
#     -Dartifact=io.opentelemetry.javaagent:opentelemetry-javaagent:2.31.1
# Usage: bench/issue17.sh [scale=1]   (scale multiplies rounds; 1 takes about 50 minutes on 2 cores)
#   HTTP_MODES  part 3's modes (default "plain sampled minimal agent"; plain, sampled and agent are needed)
#   OUT  where every part's full output goes (default bench/target/issue17-<UTC time>)
# Run it on a quiet machine: every part alternates its variants, so background load hits them alike, but a build
# beside it still widens every interval.
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-1}
JAVA=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
BENCH_JAR=bench/target/benchmarks.jar
[ -f "$BENCH_JAR" ] || { echo "no $BENCH_JAR: build first (see the header)" >&2; exit 1; }
[ -f identity-service/target/identity-service.jar ] || { echo "no identity-service jar: build first" >&2; exit 1; }
ls bench/target/agent/opentelemetry-javaagent-*.jar >/dev/null 2>&1 || { echo "no agent jar: see the header" >&2; exit 1; }
OUT=${OUT:-bench/target/issue17-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"

log() { echo "$(date -u +%FT%TZ) $* (load $(cut -d' ' -f1 /proc/loadavg))" | tee -a "$OUT/run.log"; }
log "issue 17 run, main $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, scale $scale"

paired() { # suite -> its output in $OUT/paired-<suite>.txt
  "$JAVA" -Xms1g -Xmx1g -XX:+AlwaysPreTouch -cp "$BENCH_JAR" io.vigil.bench.PairedRatio "$1" $((30 * scale)) 200 \
      > "$OUT/paired-$1.txt"
  cat "$OUT/paired-$1.txt"
}
log "1/4 one domain operation (PairedRatio operation, operationVigilEncoder, operationShipped)"
paired operation; paired operationVigilEncoder; paired operationShipped
log "2/4 JSON log line (PairedRatio log, logNewRequest)"; paired log; paired logNewRequest
log "3/4 HTTP instrumentation at 2,000 requests/s (bench/http-load.sh)"
RATE=2000 THREAD_CPU=1 MODES="${HTTP_MODES:-plain sampled minimal agent}" WARMUP=20 bench/http-load.sh $((6 * scale)) 10 \
    | tee "$OUT/http.txt"
log "4/4 identity-service, every variant side by side (bench/service-overhead.sh)"
COMPARE_AGENT=1 THREAD_CPU=1 STARTUP_RUNS=3 bench/service-overhead.sh $((5 * scale)) 10 60 | tee "$OUT/identity.txt"
log "done; every part's output is in $OUT"

python3 - "$OUT" <<'EOF'
import re, sys
out = sys.argv[1]
def read(name):
    return open(f"{out}/{name}").read()
def paired(suite):
    m = re.search(r"CPU per op: median ([0-9.]+) \(quartiles ([0-9.]+)–([0-9.]+)\)", read(f"paired-{suite}.txt"))
    return float(m.group(1)), float(m.group(2)), float(m.group(3))
rows = []
def row(figure, measured, target, met):
    rows.append((figure, measured, target, "met" if met else "NOT met"))

op, lo, hi = paired("operation")
row("one sampled domain operation ÷ hand-stacked decorators, CPU", f"{op:.2f} (quartiles {lo:.2f}–{hi:.2f})", "≤ 1.0", op <= 1.0)
for suite, label in (("operationVigilEncoder", "both sides' lines through Vigil's encoder"),
                     ("operationShipped", "as run: Vigil's lines through its encoder, the decorators' through logstash's")):
    r, lo, hi = paired(suite)
    row(f"  the same, {label}", f"{r:.2f} (quartiles {lo:.2f}–{hi:.2f})", "–", True)
for suite, label in (("log", "a request's line"), ("logNewRequest", "every line a new request's")):
    r, lo, hi = paired(suite)
    row(f"JSON log line with scrubbing ÷ logstash-logback-encoder, throughput ({label})",
        f"{1 / r:.2f} (quartiles {1 / hi:.2f}–{1 / lo:.2f})", "≥ 1.0", 1 / r >= 1.0)

http = read("http.txt")
whole = dict(re.findall(r"(\w[\w-]*) ([0-9.]+)", re.search(r"÷ plain, whole process: (.*)", http).group(1)))
interval = dict(re.findall(r"(\w[\w-]*) ([0-9.]+–[0-9.]+)", re.search(r"95 % bootstrap interval over rounds: (.*)", http).group(1)))
s, a = float(whole["sampled"]), float(whole["agent"])
row("HTTP instrumentation CPU per request ÷ plain route (2,000 req/s)", f"{s:.2f} (95 % {interval['sampled']})", "≤ 1.15", s <= 1.15)
row("  the OpenTelemetry agent on the same route, for reference", f"{a:.2f} (95 % {interval['agent']})", "–", True)
if "minimal" in whole:
    row("  the floor: a bare SDK server span and duration histogram, by hand",
        f"{float(whole['minimal']):.2f} (95 % {interval['minimal']})", "–", True)

ident = read("identity.txt")
table = {}
for line in ident.splitlines():
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) == 11 and cells[0] not in ("variant", "") and not cells[0].startswith("-"):
        table[cells[0]] = cells
d, c = table["defaults"], table["console-off"]
row("identity-service defaults ÷ off: throughput / p99", f"{float(d[2]):.2f} / {float(d[4]):.2f}", "≥ 0.90 / ≤ 1.25",
    float(d[2]) >= 0.90 and float(d[4]) <= 1.25)
row("identity-service console off ÷ off: throughput / p99", f"{float(c[2]):.2f} / {float(c[4]):.2f}", "≥ 0.95 / ≤ 1.10",
    float(c[2]) >= 0.95 and float(c[4]) <= 1.10)
m = re.search(r"vigil-otlp \+(-?[0-9]+) us, agent \+(-?[0-9]+) us; .* = ([0-9.-]+)", ident)
row("Vigil's overhead ÷ the OpenTelemetry agent's (CPU per request over off, same exporters)",
    f"{m.group(3)} (+{m.group(1)} µs vs +{m.group(2)} µs)", "≤ 0.5", float(m.group(3)) <= 0.5)
row("start-up to first 200: defaults / console off / agent, ÷ off",
    f"{d[10]} / {c[10]} / {table['agent'][10]} ({table['off'][9]} ms off)", "measured", True)

print()
print(f"| figure (issue 17) | measured | target | |")
print("|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
EOF
