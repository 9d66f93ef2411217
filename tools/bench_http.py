#!/usr/bin/env python3
"""HTTP benchmark (tools/bench http): Coronet's HTTP app against a Linux guest running nginx
(tools/linux_guest: Debian 12's kernel, nginx 1.22, redis-server), both serving the same
`GET /` answer (200, text/plain, "Hello, world!\\n") on the same QEMU board, with the same
vCPU count (1), memory and network device, under the same TCG.

Network: a tap device in a network namespace this script creates (10.77.0.1/24 on the host
side, the guest at 10.77.0.2 static), clients run inside it with `ip netns exec`: no QEMU
user networking, whose listen backlog of 1 would be measured instead of the guest.

Per round, the guests boot in turn (A, B, A, B, ...); on each boot:
  - QEMU start -> first HTTP 200 (a client that opens a new connection every 20 ms) and
    QEMU start -> the guest's ready line on its console;
  - a short warm-up (TCG translates the code paths on first use), then `ab -k -c 100`,
    `wrk -t2 -c100` and `wrk` with 16 requests pipelined per connection (tools/wrk/pipeline.lua);
  - one more GET to check the guest still serves, then QEMU is stopped (SIGTERM).
Extra boots (--boots) add first-response samples. Then, per guest, the smallest -m that
still boots and serves (GET /, ab -k -c 100 without failures, GET / again) by bisection,
and the image sizes. Medians over runs without failures; runs with failed or non-2xx
requests, socket errors or a guest that stopped serving are listed and flagged, not averaged.

Results: a table on stdout, all samples in build/bench/http.json, a chart in
build/bench/http.png (matplotlib, run with Debian's /usr/bin/python3), copied to
docs/bench/http.png with --update-readme-assets. Needs root (network namespace, tap).
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import build_path  # noqa: E402
from harness.chart import publish  # noqa: E402
from harness.guests import (  # noqa: E402
    Boot, Guest, add_guest_options, add_output_options, finish_guest_options, fmt_s, guests_ready,
    linux_versions, machine_context, memory_search)
from harness.loadgen import WRK_TIMEOUT, run_ab, run_wrk  # noqa: E402
from harness.netns import GUEST_ADDRESS, measure_in_namespace, netns_prefix  # noqa: E402
from harness.report import build_type, preflight, ratio, spread, stop_on_sigterm  # noqa: E402
from target import TargetError, list_boards  # noqa: E402

PIPELINE_DEPTH = 16
AB_MIN_REQUESTS, AB_MAX_REQUESTS = 20000, 2000000
URL = f"http://{GUEST_ADDRESS}/"


def log(msg: str) -> None:
    print(f"bench http: {msg}", file=sys.stderr, flush=True)


# -- the benchmark ------------------------------------------------------------------------


def load_round(guest: Guest, args: argparse.Namespace, ns: str, round_no: int) -> None:
    """One boot of `guest` with the load tests; appends to guest.samples."""
    log(f"round {round_no}: {guest.title}: booting")
    with Boot(guest, args.memory, ns, args.boot_timeout, args.verbose) as boot:
        s = boot.sample
        s["round"] = round_no
        if not boot.ok:
            s["error"] = boot.failure()
            guest.samples["failures"].append(f"round {round_no}: {s['error']}")
            log(f"round {round_no}: {guest.title}: FAILED to serve: {s['error']}")
            guest.samples["boots"].append(s)
            return
        log(f"round {round_no}: {guest.title}: first response {s['first_response_s']:.2f} s "
            f"after QEMU start, ready line {fmt_s(s.get('ready_line_s'))}")
        requests = args.ab_requests
        if args.warmup:
            s["warmup"] = run_ab(URL, args.warmup, args.concurrency, netns_prefix(ns))
            if not requests:  # as many as the warm-up's rate fills --ab-seconds with
                rate = s["warmup"].get("rps") or 0
                requests = min(max(int(rate * args.ab_seconds / 1000 + 1) * 1000, AB_MIN_REQUESTS),
                               AB_MAX_REQUESTS)
        runs = [
            ("ab", f"ab -n {requests or AB_MIN_REQUESTS}",
             lambda: run_ab(URL, requests or AB_MIN_REQUESTS, args.concurrency, netns_prefix(ns))),
            ("wrk", "wrk",
             lambda: run_wrk(URL, args.wrk_threads, args.concurrency, args.wrk_seconds, prefix=netns_prefix(ns))),
            ("wrk_pipelined", "wrk pipelined",
             lambda: run_wrk(URL, args.wrk_threads, args.concurrency, args.wrk_seconds, PIPELINE_DEPTH,
                             netns_prefix(ns))),
        ]
        for key, name, run in runs:
            s[key] = run()
            # A guest that stops answering mid-run can leave a run that looks clean (wrk
            # just counts fewer requests): each run counts only if the guest still serves.
            if not boot.still_serving():
                s[key]["failed"] = True
                s[key]["problems"].append("the guest stopped serving during this run")
            log(f"round {round_no}: {guest.title}: {name}: {describe_run(s[key])}")
            if not s["served_after"]:
                guest.samples["failures"].append(f"round {round_no}: stopped serving during {name}: "
                                                 f"{s['not_serving']}; QEMU's virtio queues: "
                                                 f"{json.dumps(s.get('virtio_queues'))}")
                log(f"round {round_no}: {guest.title}: STOPPED SERVING: {s['not_serving']}; "
                    f"virtio queues {json.dumps(s.get('virtio_queues'))}")
                break
        guest.samples["boots"].append(s)


def boot_only(guest: Guest, args: argparse.Namespace, ns: str) -> None:
    """A boot for the first-response figure alone."""
    with Boot(guest, args.memory, ns, args.boot_timeout, args.verbose) as boot:
        s = boot.sample
        if boot.ok:
            boot.still_serving()
            log(f"boot: {guest.title}: first response {s['first_response_s']:.2f} s, "
                f"ready line {fmt_s(s.get('ready_line_s'))}")
        else:
            s["error"] = boot.failure()
            guest.samples["failures"].append(f"extra boot: {s['error']}")
            log(f"boot: {guest.title}: FAILED: {s['error']}")
        guest.samples["boots"].append(s)


def serves_with(guest: Guest, mib: int, args: argparse.Namespace, ns: str, timeout: float) -> tuple[bool, str]:
    """Does `guest` boot with -m <mib>M and serve: GET /, ab -k -c 100 clean, GET / again?"""
    try:
        with Boot(guest, f"{mib}M", ns, timeout, args.verbose) as boot:
            if not boot.ok:
                return False, boot.failure()[:300]
            ab = run_ab(URL, args.memory_check_requests, args.concurrency, netns_prefix(ns))
            if ab["failed"]:
                return False, "ab: " + "; ".join(ab["problems"])
            if not boot.still_serving():
                return False, "stopped serving after ab"
            return True, f"first response {boot.sample['first_response_s']:.2f} s, ab {ab['rps']:.0f} req/s"
    except TargetError as e:
        return False, str(e)


# -- summaries ----------------------------------------------------------------------------


def describe_run(run: dict) -> str:
    if run.get("error"):
        return f"FAILED: {run['error']}"
    text = f"{run['rps']:.0f} req/s" if run.get("rps") is not None else "no rate"
    if run.get("latency_p99_ms") is not None:
        text += f", p50 {run['latency_p50_ms']:.2f} ms, p99 {run['latency_p99_ms']:.2f} ms"
    if run["failed"]:
        text += " — FAILURES: " + "; ".join(run["problems"])
    return text


METRICS = [  # key in a boot sample, title, unit, higher is better
    ("ab", "ab -k -c100 (req/s)", "req/s", True),
    ("wrk", "wrk -t2 -c100 (req/s)", "req/s", True),
    ("wrk_pipelined", f"wrk -t2 -c100, pipelined x{PIPELINE_DEPTH} (req/s)", "req/s", True),
    ("first_response_s", "QEMU start -> first HTTP 200 (s)", "s", False),
    ("ready_line_s", "QEMU start -> ready line on the console (s)", "s", False),
]


def summarize(guest: Guest) -> dict:
    """Medians over clean runs, with counts of runs and of failed runs per metric."""
    out = {}
    boots = guest.samples["boots"]
    for key, _, _, _ in METRICS:
        if key in ("first_response_s", "ready_line_s"):
            values = [b[key] for b in boots if b.get(key) is not None]
            out[key] = {**spread(values), "n": len(boots), "failed": len(boots) - len(values)}
        else:
            runs = [b[key] for b in boots if key in b]
            clean = [r["rps"] for r in runs if not r["failed"]]
            out[key] = {**spread(clean), "n": len(runs), "failed": sum(1 for r in runs if r["failed"]),
                        "problems": [p for r in runs for p in r.get("problems", [])]}
    out["stopped_serving"] = sum(1 for b in boots if b.get("served_after") is False)
    return out


def cell(entry: dict, unit: str) -> str:
    """Median, and how many of the runs failed (those are not in the median)."""
    if entry["median"] is None:
        return f"FAILED ({entry['failed']} of {entry['n']})" if entry["n"] else "–"
    v = entry["median"]
    text = f"{v:,.0f}" if unit == "req/s" else f"{v:.2f}"
    if entry["failed"]:
        text += f" ({entry['failed']} of {entry['n']} runs failed)"
    return text


def print_report(doc: dict) -> None:
    ctx = doc["context"]
    a, b = doc["slots"]
    ta, tb = doc["titles"][a], doc["titles"][b]
    sa, sb = doc["summary"][a], doc["summary"][b]
    cfg = doc["config"]
    print()
    print(f"HTTP benchmark: {ta} vs {tb} on {ctx['board']}, 1 vCPU, -m {ctx['memory']}, tap networking")
    print(f"Both guests under TCG (no KVM) on the same QEMU: {ctx['qemu']}"
          + (f"; extra QEMU options for both: {cfg['qemu_args']}" if cfg.get("qemu_args") else ""))
    print(f"Host: {ctx['cpu']}, {ctx['host_cpus']} CPUs, Linux {ctx['host_kernel']}; {ctx['date']}")
    print(f"Coronet {ctx['coronet_commit']}, build type {doc.get('coronet_build_type', '?')}; "
          f"Linux guest: " + ", ".join(f"{k} {v}" for k, v in doc.get("linux", {}).items()))
    ab_n = f"-n {cfg['ab_requests']}" if cfg["ab_requests"] else f"-n sized to ~{cfg['ab_seconds']:g} s per guest"
    print(f"{cfg['rounds']} rounds (A/B alternating), medians of runs without failures; ab {ab_n}, "
          f"wrk {cfg['wrk_seconds']:g} s (--timeout {WRK_TIMEOUT}), warm-up ab -n {cfg['warmup']} per boot")
    print()
    print(f"| metric | {ta} | {tb} | {ta} / {tb} |")
    print("|---|---:|---:|---:|")
    for key, title, unit, _ in METRICS:
        r = ratio(sa[key]["median"], sb[key]["median"])
        print(f"| {title} | {cell(sa[key], unit)} | {cell(sb[key], unit)} | "
              f"{f'{r:.2f}x' if r is not None else '–'} |")
    ia, ib = doc["images"][a], doc["images"][b]
    size_a, size_b = sum(ia.values()), sum(ib.values())
    print(f"| image size (MB) | {size_a / 1e6:.2f} | {size_b / 1e6:.2f} "
          f"({' + '.join(f'{Path(k).name} {v / 1e6:.1f}' for k, v in ib.items())}) | "
          f"{size_a / size_b:.3f}x |")
    ma, mb = doc["memory_search"].get(a), doc["memory_search"].get(b)
    if ma and mb:
        def mcell(m):
            return f"{'≤ ' if m.get('at_or_below') else ''}{m['smallest_mib']} MiB"
        print(f"| smallest -m serving / (bisection) | {mcell(ma)} | {mcell(mb)} | "
              f"{ma['smallest_mib'] / mb['smallest_mib']:.2f}x |")
    problems = []
    for slot in (a, b):
        for f in doc["failures"][slot]:
            problems.append(f"{doc['titles'][slot]}: {f}")
        for key, title, unit, _ in METRICS:
            for p in doc["summary"][slot][key].get("problems", []):
                problems.append(f"{doc['titles'][slot]}: {title}: {p}")
    if problems:
        print("\nRuns with failures (left out of the medians):")
        for p in problems:
            print(f"  - {p}")
    else:
        print("\nNo failed or non-2xx requests, no socket errors; both guests still served after every run.")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="tools/bench http", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--board", default="qemu-x86_64", choices=list_boards(),
                   help="board for both guests (default %(default)s)")
    p.add_argument("--targets", default="coronet,linux",
                   help="the two guests, A,B (coronet or linux each; default %(default)s; "
                        "linux,linux checks the bench itself)")
    p.add_argument("--build-dir", default="build-release",
                   help="Coronet build directory (default %(default)s: a Release build, as "
                        "Debian's nginx is optimised; cmake -S . -B build-release "
                        "-DCMAKE_BUILD_TYPE=Release && cmake --build build-release)")
    p.add_argument("--memory", default="256M", help="guest RAM for both (default %(default)s)")
    p.add_argument("--rounds", type=int, default=3, help="load rounds per guest (default %(default)s)")
    p.add_argument("--boots", type=int, default=5,
                   help="boots per guest for the first-response figure, counting the rounds' "
                        "(default %(default)s)")
    p.add_argument("--ab-requests", type=int, default=0,
                   help="ab -n; default: sized per boot from the warm-up's rate to last "
                        f"--ab-seconds (at least {AB_MIN_REQUESTS})")
    p.add_argument("--ab-seconds", type=float, default=10,
                   help="target duration of an ab run when -n is sized automatically "
                        "(default %(default)s)")
    p.add_argument("--concurrency", type=int, default=100, help="ab -c and wrk -c (default %(default)s)")
    p.add_argument("--wrk-seconds", type=float, default=10, help="wrk -d (default %(default)s)")
    p.add_argument("--wrk-threads", type=int, default=2, help="wrk -t (default %(default)s)")
    p.add_argument("--warmup", type=int, default=5000,
                   help="ab -k requests before the measured runs of each boot, not counted "
                        "(default %(default)s; 0: none)")
    add_guest_options(p, first_answer="the first HTTP 200", memory_min=8, check_requests=2000,
                      check_help="ab -k -c <concurrency> requests a memory size must serve")
    p.add_argument("--quick", action="store_true",
                   help="1 round, 1 boot, ab and wrk 5 s each, no memory search unless "
                        "--memory-search (about 1 min)")
    add_output_options(p, "http")
    args = p.parse_args(argv)
    if args.quick:
        args.rounds, args.boots, args.ab_seconds, args.wrk_seconds = 1, 1, 5, 5
    finish_guest_options(p, args)
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    return args


CONFIG_KEYS = ("memory", "qemu_args", "coronet_append", "linux_append", "rounds", "boots", "ab_requests",
               "ab_seconds", "concurrency", "wrk_seconds", "wrk_threads", "warmup", "memory_search",
               "memory_min", "memory_step", "memory_check_requests", "boot_timeout")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if not preflight(("ab", "wrk", "ip"), log):
        return 2
    build_dir = build_path(args.build_dir)
    labels = args.kinds if args.kinds[0] != args.kinds[1] else [f"{k}-{s}" for k, s in zip(args.kinds, "AB")]
    guests = [Guest(label, kind, args.board, build_dir,
                    args.coronet_append if kind == "coronet" else args.linux_append,
                    tuple(shlex.split(args.qemu_args)))
              for label, kind in zip(labels, args.kinds)]
    if not guests_ready(guests, build_dir, log):
        return 2

    # SIGTERM ends the run the way Ctrl-C does: through the finally blocks below, which
    # stop QEMU and delete the namespace.
    stop_on_sigterm()
    context = machine_context(args.board, args.memory)
    log(f"{context['board']}, -m {args.memory}, {context['qemu']}, host {context['cpu']}")
    memory_results: dict[str, dict] = {}

    def measure(ns_name: str) -> None:
        for r in range(1, args.rounds + 1):
            for g in guests:
                load_round(g, args, ns_name, r)
        for _ in range(args.boots - args.rounds):
            for g in guests:
                boot_only(g, args, ns_name)
        if args.memory_search:
            for g in guests:
                memory_results[g.label] = memory_search(g, args, ns_name, serves_with, log)

    interrupted = measure_in_namespace(f"bench-http-{os.getpid()}", measure, log)

    doc = {
        "context": context,
        "config": {k: getattr(args, k) for k in CONFIG_KEYS}
                  | {"pipeline_depth": PIPELINE_DEPTH, "url": URL, "interrupted": interrupted},
        "slots": [g.label for g in guests],
        "titles": {g.label: g.title for g in guests},
        "coronet_build_dir": str(build_dir),
        "coronet_build_type": build_type(build_dir),
        "linux": linux_versions(args.board),
        "images": {g.label: g.image_files() for g in guests},
        "summary": {g.label: summarize(g) for g in guests},
        "memory_search": memory_results,
        "failures": {g.label: g.samples["failures"] for g in guests},
        "samples": {g.label: g.samples["boots"] for g in guests},
    }
    publish("http", doc, Path(args.json), Path(args.png), print_report, log, args.update_readme_assets)
    failed = interrupted or any(doc["failures"].values()) or any(
        s[k]["failed"] for s in doc["summary"].values() for k, _, _, _ in METRICS)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
