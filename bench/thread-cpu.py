#!/usr/bin/env python3
"""CPU time of a JVM's threads by group, per request (Linux /proc): which thread pays for what.

  thread-cpu.py snap PID                 > snapshot   (one line per thread: tid, group, CPU ns)
  thread-cpu.py diff BEFORE AFTER N      >> rounds    (one JSON line: microseconds per request by group)
  thread-cpu.py table NAME=ROUNDS ...                 (markdown table of the medians, groups as rows)

A group is the thread's name without its trailing number ("GC Thread#3" -> "GC Thread", C2/C1 compiler
threads, "ForkJoinPool-1-worker-7" -> the virtual threads' carriers, i.e. the request threads). Threads
that ended between the snapshots are not counted. Used by service-overhead.sh with THREAD_CPU=1.
"""
import json
import os
import random
import re
import statistics
import sys

HZ = os.sysconf("SC_CLK_TCK")


def group(comm):
    if comm.startswith("ForkJoinPool"):
        return "request threads (virtual-thread carriers)"
    if comm.startswith("JettyServerThr") or comm.startswith("qtp"):
        return "request threads (Jetty's pool)"
    if comm.startswith("C2 Compiler") or comm.startswith("C1 Compiler"):
        return "JIT compilers"
    if comm.startswith("G1 Conc") or comm.startswith("G1 Main Marker"):
        return "GC: concurrent marking"
    if comm.startswith("GC Thread"):
        return "GC: pauses (workers)"
    if comm.startswith("G1 "):
        return "GC: refinement, service"
    return re.sub(r"[-#]?\d+$", "", comm)


def snap(pid):
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                s = f.read()
        except OSError:
            continue
        comm = s[s.index("(") + 1 : s.rindex(")")]
        fields = s[s.rindex(")") + 2 :].split()
        try:
            # Time on the CPU in nanoseconds (the scheduler's own account): utime + stime come in 10 ms ticks, which
            # over a 10 s round of a 16-thread pool is a rounding error of a few µs per request.
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                ns = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            ns = (int(fields[11]) + int(fields[12])) * 1_000_000_000 // HZ
        print(f"{tid}\t{group(comm)}\t{ns}")


def read(path):
    out = {}
    with open(path) as f:
        for line in f:
            tid, g, ns = line.rstrip("\n").split("\t")
            out[tid] = (g, int(ns))
    return out


def diff(before, after, n):
    b, a = read(before), read(after)
    by = {}
    for tid, (g, ns) in a.items():
        by[g] = by.get(g, 0) + ns - b.get(tid, (g, 0))[1]
    total = sum(by.values())
    by["process (these threads)"] = total
    print(json.dumps({g: round(t / 1e3 / max(1, int(n)), 2) for g, t in by.items()}))


def table(args):
    cols = []
    for arg in args:
        name, path = arg.split("=", 1)
        rounds = [json.loads(line) for line in open(path) if line.strip()]
        cols.append((name, rounds))
    groups = sorted({g for _, rounds in cols for r in rounds for g in r},
                    key=lambda g: (g.startswith("process"), -max(
                        statistics.median([r.get(g, 0) for r in rounds]) for _, rounds in cols)))
    print("| thread group (µs CPU / request, median) | " + " | ".join(n for n, _ in cols) + " |")
    print("|---|" + "---|" * len(cols))
    for g in groups:
        meds = [statistics.median([r.get(g, 0) for r in rounds]) for _, rounds in cols]
        if max(meds) < 0.5 and not g.startswith("process"):
            continue
        print(f"| {g} | " + " | ".join(f"{m:.1f}" for m in meds) + " |")
    # The ratio the targets are written in: each column's whole-process median over the first column's, and the
    # same without the JIT compilers (still compiling after the warm-up: a one-off cost, not a per-request one).
    def med(rounds, key):
        return statistics.median([key(r) for r in rounds])
    whole = [med(rounds, lambda r: r.get("process (these threads)", 0)) for _, rounds in cols]
    steady = [med(rounds, lambda r: r.get("process (these threads)", 0) - r.get("JIT compilers", 0))
              for _, rounds in cols]
    if len(cols) > 1 and whole[0] > 0 and steady[0] > 0:
        print()
        print("÷ " + cols[0][0] + ", whole process: " + ", ".join(
            f"{n} {w / whole[0]:.3f}" for (n, _), w in zip(cols[1:], whole[1:])))
        print("÷ " + cols[0][0] + ", without the JIT compilers: " + ", ".join(
            f"{n} {w / steady[0]:.3f}" for (n, _), w in zip(cols[1:], steady[1:])))
        # How far the whole-process ratio can be trusted: every round is a fresh process, and processes of the same
        # code differ by a few per cent (JIT decisions, memory layout), so a run's median moves with which processes
        # it happened to get. The interval resamples each column's rounds (with replacement, fixed seed) and takes
        # the 2.5th and 97.5th percentiles of the ratio of medians; the per-round ratios pair the modes run
        # back to back in one round.
        base = [r.get("process (these threads)", 0) for r in cols[0][1]]
        rng = random.Random(17)
        parts = []
        for name, rounds in cols[1:]:
            own = [r.get("process (these threads)", 0) for r in rounds]
            ratios = sorted(
                statistics.median(rng.choices(own, k=len(own))) / statistics.median(rng.choices(base, k=len(base)))
                for _ in range(10000))
            paired = [o / b for o, b in zip(own, base) if b > 0]
            parts.append(f"{name} {ratios[250]:.3f}–{ratios[9750]:.3f} (rounds: "
                         + " ".join(f"{x:.3f}" for x in paired) + ")")
        print("÷ " + cols[0][0] + ", whole process, 95 % bootstrap interval over rounds: " + "; ".join(parts))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "snap":
        snap(sys.argv[2])
    elif cmd == "diff":
        diff(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "table":
        table(sys.argv[2:])
    else:
        sys.exit(__doc__)
