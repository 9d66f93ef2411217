#!/usr/bin/env python3
"""Reverse proxy benchmark (tools/bench proxy): Coronet's http.proxy against nginx's proxy_pass
with upstream keepalive in the Linux guest (tools/linux_guest), on the same QEMU board, with
the same vCPU count (1), memory, network device and tap, under the same TCG. Both proxy /up/
to the same upstream: Debian's nginx on the host side of the tap (10.77.0.1:8081, native
speed, far from being the limit), which serves the files the rows ask for.

Load: wrk -t2 -c100 through each guest's proxy, one row per upstream body size; requests/s
and latency p50/p99 (wrk --latency). A round boots each guest in turn (A, B; the order
alternates between rounds), a fresh boot per guest; medians over rounds, the ratio is
Coronet's over Linux + nginx's. Results: a table on stdout (markdown), all samples in
build/bench/proxy.json, a chart in build/bench/proxy.png. Needs root (network namespace, tap)
and a Release build (cmake --build build-release).
"""
from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import build_path  # noqa: E402
from harness.chart import publish  # noqa: E402
from harness.guests import (  # noqa: E402
    Boot, Guest, add_guest_options, add_output_options, finish_guest_options, guests_ready, linux_versions,
    machine_context)
from harness.loadgen import run_wrk  # noqa: E402
from harness.netns import GUEST_ADDRESS, HOST_ADDRESS, measure_in_namespace, netns_prefix  # noqa: E402
from harness.report import build_type, preflight, ratio, spread, stop_on_sigterm  # noqa: E402
from harness.upstreams import Upstreams  # noqa: E402
from target import list_boards  # noqa: E402

UPSTREAM_PORT = 8081
# Coronet's side of the comparison: the same upstream, idle connections kept for every client
# connection (nginx's `keepalive 128` in tools/linux_guest/nginx.conf).
CORONET_PROXY = f"http.proxy=/up={HOST_ADDRESS}:{UPSTREAM_PORT} http.proxy_max_idle=128"
# (key, file under /up/, its size in bytes): the rows of the table.
ROWS = [
    ("small", "small.txt", 32),
    ("16k", "16k.bin", 16 * 1024),
]
TITLES = {"small": "wrk -c 100, 32 B body", "16k": "wrk -c 100, 16 KiB body"}


def log(msg: str) -> None:
    print(f"bench proxy: {msg}", file=sys.stderr, flush=True)


def upstream_files(root: Path) -> None:
    up = root / "up"
    up.mkdir(parents=True, exist_ok=True)
    for _, name, size in ROWS:
        (up / name).write_bytes((b"coronet proxy benchmark body. " * (size // 30 + 1))[:size])


def round_boot(guest: Guest, args: argparse.Namespace, ns: str, round_no: int) -> None:
    """One boot of `guest`: every row through its proxy."""
    log(f"round {round_no}: {guest.title}: booting")
    with Boot(guest, args.memory, ns, args.boot_timeout, args.verbose) as boot:
        s = boot.sample
        s.update(round=round_no, rows={})
        if not boot.ok:
            s["error"] = boot.failure()
            guest.samples["failures"].append(f"round {round_no}: {s['error']}")
            guest.samples["boots"].append(s)
            return
        for key, name, _ in args.rows:
            url = f"http://{GUEST_ADDRESS}/up/{name}"
            if args.warmup:
                run_wrk(url, args.threads, args.connections, args.warmup, prefix=netns_prefix(ns))
            result = run_wrk(url, args.threads, args.connections, args.seconds, prefix=netns_prefix(ns))
            if result.get("exit") == 0:
                result.pop("output", None)  # kept only when something went wrong
            s["rows"][key] = result
            errors = result.get("non_2xx", 0) + sum(result.get("socket_errors", {}).values())
            log(f"round {round_no}: {guest.title}: {key}: {result.get('rps')} requests/s, "
                f"p50 {result.get('latency_p50_ms')} ms, p99 {result.get('latency_p99_ms')} ms, {errors} errors")
            if not result.get("rps") or errors:
                guest.samples["failures"].append(f"round {round_no}, {key}: {errors} errors "
                                                  f"{result.get('error', '')}".strip())
                if not boot.still_serving():
                    guest.samples["failures"].append(f"round {round_no}: stopped serving")
                    break
        guest.samples["boots"].append(s)


def summarize(guests: list[Guest], args: argparse.Namespace) -> dict:
    out: dict = {}
    for g in guests:
        rows = {}
        for key, _, _ in args.rows:
            results = [b["rows"][key] for b in g.samples["boots"] if key in b.get("rows", {})]
            rows[key] = {**spread(r.get("rps") for r in results), "runs": len(results),
                         "p50_ms": spread(r.get("latency_p50_ms") for r in results)["median"],
                         "p99_ms": spread(r.get("latency_p99_ms") for r in results)["median"]}
        out[g.label] = {"title": g.title, "rows": rows}
    return out


def print_report(doc: dict) -> None:
    ctx, cfg, summary = doc["context"], doc["config"], doc["summary"]
    labels = [l for l in ("coronet", "linux") if l in summary]
    print()
    print(f"Reverse proxy benchmark on {ctx['board']}, 1 vCPU, -m {ctx['memory']}, tap networking; "
          f"both guests under TCG on {ctx['qemu']}; host {ctx['cpu']}, {ctx['host_cpus']} CPUs; {ctx['date']}")
    print(f"Coronet {ctx['coronet_commit']} ({doc.get('coronet_build_type', '?')}); Linux guest: "
          + ", ".join(f"{k} {v}" for k, v in doc.get("linux", {}).items()))
    print(f"{cfg['rounds']} round(s), a fresh boot per guest per round, alternating; wrk -t{cfg['threads']} "
          f"-c{cfg['connections']}, {cfg['seconds']} s after {cfg['warmup']} s of warm-up; upstream: nginx "
          f"on the host side of the tap; medians")
    print()
    print("| | " + " | ".join(summary[l]["title"] for l in labels) + " | Coronet / Linux |")
    print("|---|" + "---:|" * (len(labels) + 1))
    for key, _, _ in [tuple(r) for r in cfg["rows"]]:
        cells = []
        for l in labels:
            e = summary[l]["rows"].get(key, {})
            cells.append("FAILED" if e.get("median") is None else
                         f"{e['median']:,.0f} (p50 {e['p50_ms']:.2f} ms, p99 {e['p99_ms']:.2f} ms)")
        r = ratio(summary.get("coronet", {}).get("rows", {}).get(key, {}).get("median"),
                  summary.get("linux", {}).get("rows", {}).get(key, {}).get("median"))
        print(f"| {TITLES.get(key, key)} | " + " | ".join(cells) + f" | {f'**{r:.2f}×**' if r else '–'} |")
    failures = [f for fs in doc["failures"].values() for f in fs]
    if failures:
        print("\nFailures: " + "; ".join(failures))


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="tools/bench proxy", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--board", default="qemu-x86_64", choices=list_boards(),
                   help="board for both guests (default %(default)s)")
    p.add_argument("--targets", default="coronet,linux", help="the two guests (default %(default)s)")
    p.add_argument("--build-dir", default="build-release", help="Coronet's Release build (default %(default)s)")
    p.add_argument("--memory", default="256M", help="guest RAM for both (default %(default)s)")
    p.add_argument("--rounds", type=int, default=3, help="rounds (default %(default)s)")
    p.add_argument("--seconds", type=float, default=10, help="measured seconds per row (default %(default)s)")
    p.add_argument("--warmup", type=float, default=2, help="unmeasured seconds before each (default %(default)s)")
    p.add_argument("--connections", type=int, default=100, help="wrk -c (default %(default)s)")
    p.add_argument("--threads", type=int, default=2, help="wrk -t (default %(default)s)")
    add_guest_options(p, first_answer="the first HTTP 200", memory_min=16, check_requests=0,
                      check_help="unused here")
    p.add_argument("--quick", action="store_true", help="1 round, 5 s runs")
    add_output_options(p, "proxy")
    args = p.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds = 1, 5
    finish_guest_options(p, args)
    args.memory_search = False  # not part of this benchmark
    args.rows = ROWS
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if not preflight(("ip", "wrk", "nginx"), log):
        return 2
    build_dir = build_path(args.build_dir)
    guests = [Guest(kind, kind, args.board, build_dir,
                    f"{CORONET_PROXY} {args.coronet_append}".strip() if kind == "coronet" else args.linux_append,
                    tuple(shlex.split(args.qemu_args)), app="http")
              for kind in args.kinds]
    if not guests_ready(guests, build_dir, log, rebuild_stale=True):
        return 2
    stop_on_sigterm()
    context = machine_context(args.board, args.memory)

    def measure(ns_name: str) -> None:
        with tempfile.TemporaryDirectory(prefix="bench-proxy-") as workdir:
            root = Path(workdir) / "www"
            upstream_files(root)
            with Upstreams(ns_name, Path(workdir) / "servers") as upstreams:
                upstreams.nginx("upstream", [f"{HOST_ADDRESS}:{UPSTREAM_PORT}"], root)
                for r in range(1, args.rounds + 1):
                    for g in (guests if r % 2 else list(reversed(guests))):
                        round_boot(g, args, ns_name, r)

    interrupted = measure_in_namespace(f"bench-proxy-{os.getpid()}", measure, log)
    doc = {
        "context": context,
        "config": {"memory": args.memory, "rounds": args.rounds, "seconds": args.seconds, "warmup": args.warmup,
                   "connections": args.connections, "threads": args.threads, "qemu_args": args.qemu_args,
                   "coronet_proxy": CORONET_PROXY, "rows": [list(r) for r in args.rows],
                   "interrupted": interrupted},
        "slots": [g.label for g in guests],
        "titles": {g.label: g.title for g in guests},
        "coronet_build_type": build_type(build_dir),
        "linux": linux_versions(args.board),
        "summary": summarize(guests, args),
        "failures": {g.label: g.samples["failures"] for g in guests},
        "samples": {g.label: g.samples["boots"] for g in guests},
    }
    publish("proxy", doc, Path(args.json), Path(args.png), print_report, log, args.update_readme_assets)
    return 1 if interrupted or any(doc["failures"].values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
