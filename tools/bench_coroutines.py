#!/usr/bin/env python3
"""Coroutine benchmark (tools/bench coroutines): runs the host-native coroutine_bench binary
(tests/bench, Google Benchmark) pinned to one CPU, several repetitions, and prints the medians
as markdown tables: Coronet's switch against Boost.Context's fcontext and glibc's ucontext, the
scheduler's own costs, stack creation, and memory per idle coroutine."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ROOT, build_path  # noqa: E402
from harness.report import build_type, cpu_model, load_average, ratio, utc_now  # noqa: E402

BINARY = Path("tests") / "bench" / "coroutine_bench"
BUILD_HINT = ("cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release "
              "&& cmake --build build-release")

# (row title, {column: benchmark run name}). Columns: coronet, fcontext, ucontext.
COMPARED = [
    ("switch round trip A→B→A", {
        "coronet": "switch_roundtrip/coronet",
        "fcontext": "switch_roundtrip/fcontext",
        "ucontext": "switch_roundtrip/ucontext"}),
    ("create + enter + leave, ready stack", {
        "coronet": "create_enter_leave/coronet",
        "fcontext": "create_enter_leave/fcontext",
        "ucontext": "create_enter_leave/ucontext"}),
]

# Coronet-only rows: (title, run name, what the note column compares against).
SCHEDULER = [
    ("sched: spawn + run + join, from a coroutine, stack use measured (kernel setting: "
     "backed pages counted, the cached stack trimmed to a page)",
     "sched_spawn_join/from_coroutine/measured", "switch"),
    ("sched: spawn + run + join, from a coroutine, unmeasured",
     "sched_spawn_join/from_coroutine/unmeasured", "switch"),
    ("sched: spawn + run + join, from the scheduler's context, unmeasured",
     "sched_spawn_join/from_scheduler/unmeasured", "switch"),
    ("sched: yield ping-pong, per yield", "sched_yield/ping_pong", "switch"),
    ("host clock read (reference: the loop reads it 2-3× per coroutine run)",
     "clock_read/host", None),
]
STACKS = [
    ("stack from scratch: mmap + guard mprotect + munmap",
     "stack_create/mmap_guard_munmap", "pool"),
    ("stack from scratch, with the first touch (page fault)",
     "stack_create/mmap_guard_fault_munmap", "pool"),
    ("stack from the pool: acquire + release", "stack_create/pool/unmeasured", None),
    ("stack from the pool, measured (page count and trim; host: mincore + madvise)",
     "stack_create/pool/measured", "pool"),
]
MEMORY_PREFIX = "idle_memory/"
NOISY_CV = 0.05  # flag medians whose repetitions vary more than this (coefficient of variation)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="tools/bench coroutines",
        description="Coroutine switch, scheduler, stack and memory benchmark (host x86-64): "
                    "Coronet against Boost.Context (fcontext) and ucontext.",
        epilog=f"Build first: {BUILD_HINT}")
    p.add_argument("--build-dir", default="build-release",
                   help="top-level host build dir, relative to the repository or absolute "
                        "(default %(default)s)")
    p.add_argument("--json", metavar="FILE",
                   help="also write Google Benchmark's raw JSON (plus how it was run) to FILE")
    p.add_argument("--repetitions", type=int, default=5,
                   help="repetitions per benchmark; the tables show the median (default %(default)s)")
    p.add_argument("--min-time", type=float, default=None, metavar="SECONDS",
                   help="minimum time per repetition (Google Benchmark's default: 0.5)")
    p.add_argument("--time", choices=("cpu", "real"), default="cpu",
                   help="which clock the tables use: process CPU time, robust when other work "
                        "shares the CPU, or wall clock (default %(default)s)")
    p.add_argument("--cpu", type=int, default=1, help="CPU to pin to with taskset (default %(default)s)")
    p.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    p.add_argument("--no-interleave", action="store_true",
                   help="run each benchmark's repetitions back to back (default: in random "
                        "order across benchmarks, so drifting machine load hits all alike)")
    p.add_argument("--filter", default=None, metavar="REGEX",
                   help="only benchmarks matching REGEX (--benchmark_filter)")
    args = p.parse_args(argv)
    if args.repetitions < 1:
        p.error("--repetitions must be at least 1")
    return args


def pin_prefix(args: argparse.Namespace) -> list[str]:
    if args.no_pin:
        return []
    if not shutil.which("taskset"):
        print("bench coroutines: taskset not found, running unpinned", file=sys.stderr)
        return []
    try:
        allowed = os.sched_getaffinity(0)
    except (AttributeError, OSError):
        allowed = set(range(os.cpu_count() or 1))
    if args.cpu not in allowed:
        print(f"bench coroutines: CPU {args.cpu} not available (have {sorted(allowed)}), "
              "running unpinned", file=sys.stderr)
        return []
    return ["taskset", "-c", str(args.cpu)]


UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def collect(doc: dict, clock: str) -> dict[str, dict]:
    """run name -> {'ns': median per operation, 'cv': coefficient of variation or None,
    'counters': the median entry's counters}."""
    medians: dict[str, dict] = {}
    cvs: dict[str, float] = {}
    singles: dict[str, dict] = {}
    key = f"{clock}_time"
    for b in doc.get("benchmarks", []):
        name = b.get("run_name", b["name"])
        if b.get("error_occurred"):
            medians[name] = {"error": b.get("error_message", "error")}
            continue
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                medians[name] = b
            elif b.get("aggregate_name") == "cv":
                cvs[name] = b.get(key)
        else:
            singles.setdefault(name, b)  # one repetition: no aggregates
    out: dict[str, dict] = {}
    for name in set(medians) | set(singles):
        b = medians.get(name) or singles[name]
        if "error" in b:
            out[name] = b
            continue
        ops = b.get("ops_per_iter") or 1.0
        ns = b[key] * UNIT_NS.get(b.get("time_unit", "ns"), 1.0) / ops
        counters = {k: v for k, v in b.items() if isinstance(v, (int, float)) and k not in (
            "family_index", "per_family_instance_index", "repetitions", "repetition_index",
            "threads", "iterations", "real_time", "cpu_time")}
        out[name] = {"ns": ns, "cv": cvs.get(name), "counters": counters}
    return out


def fmt_ns(entry: Optional[dict], noisy: list[str], name: str) -> str:
    if entry is None:
        return "–"
    if "error" in entry:
        return f"error: {entry['error']}"
    ns = entry["ns"]
    text = f"{ns:,.0f}" if ns >= 100 else f"{ns:.1f}"
    cv = entry.get("cv")
    if cv is not None and cv > NOISY_CV:
        noisy.append(f"{name} (cv {cv * 100:.0f}%)")
        text += " †"
    return text


def ns_ratio(a: Optional[dict], b: Optional[dict]) -> Optional[float]:
    """Time per operation of entry a over entry b (None if either is missing or failed)."""
    return ratio((a or {}).get("ns"), (b or {}).get("ns"))


def times(x: float) -> str:
    return f"{x:,.0f}×" if x >= 100 else f"{x:.1f}×"


def print_tables(results: dict[str, dict], header: str) -> None:
    noisy: list[str] = []
    switch = results.get("switch_roundtrip/coronet")
    pool = results.get("stack_create/pool/unmeasured")
    print(header)
    print()
    print("| benchmark | Coronet ns | Boost.Context ns | ucontext ns | Coronet/Boost | note |")
    print("|---|---:|---:|---:|---:|---|")
    for title, names in COMPARED:
        if not any(n in results for n in names.values()):
            continue
        cells = [fmt_ns(results.get(names[c]), noisy, names[c]) for c in ("coronet", "fcontext", "ucontext")]
        r = ns_ratio(results.get(names["coronet"]), results.get(names["fcontext"]))
        u = ns_ratio(results.get(names["ucontext"]), results.get(names["coronet"]))
        note = f"ucontext {u:.0f}× Coronet" if u else ""
        print(f"| {title} | " + " | ".join(cells) + f" | {'–' if r is None else f'{r:.2f}'} | {note} |")
    for rows in (SCHEDULER, STACKS):
        for title, name, against in rows:
            entry = results.get(name)
            if entry is None:
                continue
            note = ""
            if against == "switch":
                x = ns_ratio(entry, switch)
                note = f"{times(x)} a raw round trip" if x else ""
            elif against == "pool":
                x = ns_ratio(entry, pool)
                note = f"{times(x)} the pool" if x else ""
            print(f"| {title} | {fmt_ns(entry, noisy, name)} | – | – | – | {note} |")

    memory = sorted((n for n in results if n.startswith(MEMORY_PREFIX)), key=memory_order)
    if memory:
        print()
        print("Memory per idle coroutine (all blocked on one sched::Event), bytes; RSS growth "
              "from /proc/self/statm. Host stacks are committed lazily, so only touched pages "
              "count.")
        print()
        print("| coroutines | stack | guard pages | RSS / coroutine | marginal RSS / coroutine "
              "| control block (sizeof Coroutine) |")
        print("|---:|---:|---|---:|---:|---:|")
        for name in memory:
            parts = name[len(MEMORY_PREFIX):].split("/")
            entry = results[name]
            if "error" in entry:
                print(f"| {parts[0]} | {parts[1]} | {parts[2]} | error: {entry['error']} | | |")
                continue
            c = entry["counters"]
            print(f"| {int(parts[0]):,} | {parts[1].replace('KiB', ' KiB')} | "
                  f"{'yes' if parts[2] == 'guard' else 'no (heap stacks)'} | "
                  f"{c.get('rss_per_coroutine', float('nan')):,.0f} | "
                  f"{c.get('rss_per_coroutine_marginal', float('nan')):,.0f} | "
                  f"{c.get('control_block', float('nan')):.0f} |")
        print()
        print("Marginal: RSS growth after the first 1 000 coroutines (those can reuse pooled "
              "stacks and heap already resident). 100 000 guarded stacks would need 200 000 "
              "mappings (each guard splits one) against Linux's vm.max_map_count (65 530 by "
              "default), so 100 000 runs on heap stacks without guards. The kernel demand-pages "
              "its stacks the same way, with guards that cost no memory (README, Memory).")
    if noisy:
        print()
        print("† repetitions varied by more than 5 %: " + "; ".join(noisy))


def memory_order(name: str) -> tuple:
    parts = name[len(MEMORY_PREFIX):].split("/")
    try:
        return (parts[2] != "guard", int(parts[0]), -int(parts[1].replace("KiB", "")))
    except (IndexError, ValueError):
        return (True, 0, 0)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    build_dir = build_path(args.build_dir)
    binary = build_dir / BINARY
    if not binary.is_file():
        print(f"bench coroutines: no benchmark binary at {binary}\n"
              f"build it first (from {ROOT}):\n  {BUILD_HINT}", file=sys.stderr)
        return 2
    kind = build_type(build_dir)
    if kind != "Release":
        print(f"bench coroutines: warning: {build_dir} is a {kind} build; the scheduler library "
              "is built with its flags (the benchmark itself is always -O2). Use a Release "
              "build for figures.", file=sys.stderr)

    pin = pin_prefix(args)
    cmd = pin + [str(binary), "--benchmark_format=json",
                 f"--benchmark_repetitions={args.repetitions}",
                 "--benchmark_report_aggregates_only=true"]
    if not args.no_interleave:
        cmd.append("--benchmark_enable_random_interleaving=true")
    if args.min_time is not None:
        cmd.append(f"--benchmark_min_time={args.min_time}")
    if args.filter:
        cmd.append(f"--benchmark_filter={args.filter}")
    load_before = load_average()
    print(f"bench coroutines: {' '.join(cmd)}\n"
          f"bench coroutines: {args.repetitions} repetitions of each benchmark, about "
          f"{max(1, args.repetitions * 20 // 60)}-{max(2, args.repetitions * 36 // 60)} minutes",
          file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        print(f"bench coroutines: {binary.name} exited with status {proc.returncode}", file=sys.stderr)
        return 1
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        print(f"bench coroutines: could not parse the benchmark's JSON: {e}", file=sys.stderr)
        return 1

    results = collect(doc, args.time)
    load = load_before or (None,)
    context = doc.get("context", {})
    now = utc_now()
    header = (f"Coroutine benchmark, median of {args.repetitions} repetitions, "
              f"{'CPU' if args.time == 'cpu' else 'wall-clock'} time per operation; "
              f"{cpu_model()}, {context.get('num_cpus', '?')} CPUs, "
              f"{'pinned to CPU ' + str(args.cpu) if pin else 'not pinned'}, "
              f"load average {load[0]:.2f} at start, build type {kind}, {now}")
    if load_before and load_before[0] > 0.5:
        header += ("\n\nOther work was running (load average above 0.5): "
                   + ("CPU time keeps most of it out of the figures."
                      if args.time == "cpu" else "wall-clock figures include it; try --time cpu."))
    print_tables(results, header)

    if args.json:
        doc["coronet_bench"] = {
            "date": now,
            "command": cmd,
            "build_dir": str(build_dir),
            "build_type": kind,
            "pinned_cpu": args.cpu if pin else None,
            "load_average_before": load_before,
            "clock": args.time,
            "per_operation_ns": {k: v.get("ns") for k, v in sorted(results.items())},
        }
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n")
        print(f"\nbench coroutines: wrote {args.json}", file=sys.stderr)
    errors = [n for n, v in results.items() if "error" in v]
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
