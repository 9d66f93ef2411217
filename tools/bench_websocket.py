#!/usr/bin/env python3
"""WebSocket benchmark (tools/bench websocket): Coronet's WebSocket endpoints against the two
WebSocket servers of the Linux guest (tools/linux_guest: Debian 12's kernel with Node's ws on
Debian's Node.js, port 8081, what many users deploy, and a Boost.Beast server built from
Debian's headers, port 8082, the fastest C++ server Debian's packages give), on the same QEMU
board, with the same vCPU count (1), memory, network device and tap, under the same TCG. Every
server serves the same two endpoints: /ws/echo (each message back) and /ws/chat (each message
to every participant). The guests' boots and options are tools/bench http's.

Load: tests/bench/ws_load (C++, epoll, one process inside the test's namespace), with the
semantics of uWebSockets' load_test:
  - echo N×S: N connections, each keeping one message of S bytes in flight; echoed messages
    per second, and round-trip p50/p99;
  - broadcast N: N clients in the room, one S-byte text message a round (the sender rotates)
    that must reach all N before the next; rounds per second;
  - scale N: N connections opened and kept, each pinging every 5 s; how many are still alive
    (every ping answered) after --scale-seconds, and, for Coronet, the memory per open
    connection by /status while they are open.
The matrix is the issue's: echo (100, 20 B), (10, 1 KiB), (500, 512 B), (200, 16 KiB);
broadcast 100; scale 10 000. Messages are binary, uncompressed (no client offers
permessage-deflate).

A round boots each guest in turn (A, B; the order alternates between rounds), a fresh boot per
guest, and runs the whole matrix against each of its servers. Medians over rounds; the ratio
is Coronet's over the best Linux-guest server of that row. Results: a table on stdout
(markdown), all samples in build/bench/websocket.json, a chart in build/bench/websocket.png.
Needs root (network namespace, tap) and a Release build with ws_load
(cmake --build build-release).
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Optional

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import build_path  # noqa: E402
from harness.chart import publish  # noqa: E402
from harness.guests import (  # noqa: E402
    Boot, Guest, add_guest_options, add_output_options, finish_guest_options, guests_ready, linux_versions,
    machine_context)
from harness.netns import GUEST_ADDRESS, measure_in_namespace, netns_prefix  # noqa: E402
from harness.report import build_type, preflight, ratio, spread, stop_on_sigterm  # noqa: E402
from target import list_boards  # noqa: E402

APP = "websocket"
# The servers each guest runs, by name: (title, port). Coronet serves on its HTTP port.
SERVERS = {
    "coronet": [("coronet", "Coronet", 80)],
    "linux": [("ws", "Node's ws", 8081), ("beast", "Boost.Beast", 8082)],
}
# (key, mode, connections, size): the rows of the table, in order.
MATRIX = [
    ("echo 100x20", "echo", 100, 20),
    ("echo 10x1024", "echo", 10, 1024),
    ("echo 500x512", "echo", 500, 512),
    ("echo 200x16384", "echo", 200, 16384),
    ("broadcast 100", "broadcast", 100, 64),
    ("scale 10000", "scale", 10000, 16),
]
TITLES = {
    "echo 100x20": "echo, 100 connections × 20 B",
    "echo 10x1024": "echo, 10 × 1 KiB",
    "echo 500x512": "echo, 500 × 512 B",
    "echo 200x16384": "echo, 200 × 16 KiB",
    "broadcast 100": "broadcast to 100 (rounds/s)",
    "scale 10000": "10 000 idle connections alive",
}
# The Linux guest starts its WebSocket servers after nginx answers: Node's ws listens 10-20 s
# later under TCG. A server gets this many one-second tries.
CONNECT_ATTEMPTS = 120


def log(msg: str) -> None:
    print(f"bench websocket: {msg}", file=sys.stderr, flush=True)


def ws_load_binary(build_dir: Path) -> Path:
    return build_dir / "tests" / "bench" / "ws_load"


def run_load(ns: str, binary: Path, port: int, path: str, mode: str, connections: int, size: int,
             args: argparse.Namespace, during=None) -> dict:
    """One ws_load run; its JSON result, or {"error": ...}. `during(proc)` runs in a thread
    while it does (Coronet's /status is read there in scale runs)."""
    argv = netns_prefix(ns) + [str(binary), "--host", GUEST_ADDRESS, "--port", str(port), "--path", path,
                               "--mode", mode, "--connections", str(connections), "--size", str(size), "--json"]
    if mode == "scale":
        argv += ["--duration", str(args.scale_seconds)]
    else:
        argv += ["--duration", str(args.seconds), "--warmup", str(args.warmup)]
    if mode == "broadcast":
        argv += ["--text"]
    timeout = (args.scale_seconds if mode == "scale" else args.seconds + args.warmup) + 180
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watcher = threading.Thread(target=during, args=(proc,), daemon=True) if during else None
    if watcher:
        watcher.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return {"error": f"ws_load did not finish in {timeout:.0f} s"}
    if watcher:
        watcher.join(timeout=10)
    lines = [l for l in out.splitlines() if l.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": f"ws_load exit {proc.returncode}: {(err or out).strip()[-400:]}"}
    return json.loads(lines[-1])


def figure(mode: str, result: dict) -> Optional[float]:
    """The row's number: echoes/s, rounds/s, or connections alive."""
    if "error" in result:
        return None
    key = {"echo": "messages_per_s", "broadcast": "rounds_per_s", "scale": "alive"}[mode]
    value = result.get(key)
    return float(value) if value is not None else None


def wait_for_server(ns: str, binary: Path, port: int) -> Optional[str]:
    """Until one echo connection works (the Linux guest's servers start after nginx answers)."""
    last = ""
    for _ in range(CONNECT_ATTEMPTS):
        r = subprocess.run(netns_prefix(ns) + [str(binary), "--host", GUEST_ADDRESS, "--port", str(port),
                                               "--path", "/ws/echo", "--mode", "echo", "--connections", "1",
                                               "--size", "16", "--duration", "1", "--warmup", "0", "--json"],
                           capture_output=True, text=True, timeout=60)
        if r.returncode == 0:
            return None
        last = (r.stderr or r.stdout).strip()[-200:]
        time.sleep(1)
    return f"no WebSocket echo on port {port}: {last}"


def coronet_memory_watch(ns: str, samples: list):
    """For a scale run on Coronet: /status (curl inside the namespace) every 2 s while it runs;
    each sample keeps the open WebSocket connections and the bytes per connection /status
    computes."""
    def watch(proc: subprocess.Popen) -> None:
        while proc.poll() is None:
            time.sleep(2)
            r = subprocess.run(netns_prefix(ns) + ["curl", "-s", "-m", "10", f"http://{GUEST_ADDRESS}/status"],
                               capture_output=True, text=True)
            try:
                status = json.loads(r.stdout)
                samples.append({"open": status["websocket"]["open"],
                                "bytes_per_connection": status["connections"]["bytes_per_connection"]["total"]})
            except (ValueError, KeyError):
                pass
    return watch


def round_boot(guest: Guest, args: argparse.Namespace, ns: str, round_no: int, binary: Path) -> None:
    """One boot of `guest`: the matrix against each of its servers."""
    log(f"round {round_no}: {guest.title}: booting")
    with Boot(guest, args.memory, ns, args.boot_timeout, args.verbose) as boot:
        s = boot.sample
        s.update(round=round_no, servers={})
        if not boot.ok:
            s["error"] = boot.failure()
            guest.samples["failures"].append(f"round {round_no}: {s['error']}")
            guest.samples["boots"].append(s)
            return
        for name, title, port in SERVERS[guest.kind]:
            runs = s["servers"][name] = {}
            problem = wait_for_server(ns, binary, port)
            if problem:
                guest.samples["failures"].append(f"round {round_no}, {title}: {problem}")
                log(f"round {round_no}: {title}: {problem}")
                continue
            for key, mode, connections, size in args.matrix:
                path = "/ws/chat" if mode == "broadcast" else "/ws/echo"
                memory: list = []
                # Coronet's own figure for memory per connection, read while the scale run holds them.
                during = coronet_memory_watch(ns, memory) if mode == "scale" and guest.kind == "coronet" else None
                result = run_load(ns, binary, port, path, mode, connections, size, args, during)
                if memory:
                    result["status_memory"] = max(memory, key=lambda m: m["open"])
                runs[key] = result
                value = figure(mode, result)
                log(f"round {round_no}: {title}: {key}: "
                    + (f"{value:,.1f}" if value is not None else f"FAILED: {result.get('error')}"))
                if value is None:
                    guest.samples["failures"].append(f"round {round_no}, {title}, {key}: {result.get('error')}")
                    if not boot.still_serving():
                        guest.samples["failures"].append(f"round {round_no}: {title} stopped serving")
                        break
        guest.samples["boots"].append(s)


def summarize(guests: list[Guest], args: argparse.Namespace) -> dict:
    """Per server and row: the median over rounds of the row's figure, its spread and p50/p99."""
    out: dict = {}
    for g in guests:
        for name, title, _ in SERVERS[g.kind]:
            rows = {}
            for key, mode, _, _ in args.matrix:
                results = [b["servers"][name][key] for b in g.samples["boots"]
                           if key in b.get("servers", {}).get(name, {})]
                values = [figure(mode, r) for r in results]
                entry = {**spread(values), "runs": len(results), "failed": sum(1 for v in values if v is None)}
                lat = [r.get("latency_us", {}) for r in results if "error" not in r]
                if lat:
                    entry["p50_us"] = spread(l.get("p50") for l in lat)["median"]
                    entry["p99_us"] = spread(l.get("p99") for l in lat)["median"]
                mem = [r["status_memory"]["bytes_per_connection"] for r in results if "status_memory" in r]
                if mem:
                    entry["bytes_per_connection"] = spread(mem)["median"]
                rows[key] = entry
            out[name] = {"title": title, "rows": rows}
    return out


def print_report(doc: dict) -> None:
    ctx, cfg, summary = doc["context"], doc["config"], doc["summary"]
    servers = [name for name in ("coronet", "ws", "beast") if name in summary]
    print()
    print(f"WebSocket benchmark on {ctx['board']}, 1 vCPU, -m {ctx['memory']}, tap networking; "
          f"both guests under TCG on {ctx['qemu']}; host {ctx['cpu']}, {ctx['host_cpus']} CPUs; {ctx['date']}")
    print(f"Coronet {ctx['coronet_commit']} ({doc.get('coronet_build_type', '?')}); Linux guest: "
          + ", ".join(f"{k} {v}" for k, v in doc.get("linux", {}).items()))
    print(f"{cfg['rounds']} round(s), a fresh boot per guest per round, alternating; ws_load, "
          f"{cfg['seconds']} s measured after {cfg['warmup']} s per echo/broadcast run, scale runs "
          f"{cfg['scale_seconds']} s; medians")
    print()
    header = "| | " + " | ".join(summary[n]["title"] for n in servers) + " | Coronet / best Linux |"
    print(header)
    print("|---|" + "---:|" * (len(servers) + 1))
    for key, mode, _, _ in [tuple(m) for m in cfg["matrix"]]:
        cells = []
        for n in servers:
            e = summary[n]["rows"].get(key, {})
            if e.get("median") is None:
                cells.append("FAILED" if e.get("runs") else "–")
                continue
            text = f"{e['median']:,.0f}" if mode != "broadcast" else f"{e['median']:,.1f}"
            if e.get("p50_us") is not None and mode == "echo":
                text += f" (p50 {e['p50_us'] / 1000:.2f} ms, p99 {e['p99_us'] / 1000:.2f} ms)"
            if e.get("bytes_per_connection"):
                text += f", {e['bytes_per_connection']:,.0f} B/conn"
            if e.get("failed"):
                text += f" ({e['failed']} of {e['runs']} failed)"
            cells.append(text)
        linux = [summary[n]["rows"].get(key, {}).get("median") for n in servers if n != "coronet"]
        best = max((v for v in linux if v is not None), default=None)
        coronet = summary.get("coronet", {}).get("rows", {}).get(key, {}).get("median")
        r = ratio(coronet, best)
        print(f"| {TITLES.get(key, key)} | " + " | ".join(cells) + f" | {f'{r:.2f}×' if r else '–'} |")
    failures = [f for fs in doc["failures"].values() for f in fs]
    if failures:
        print("\nFailures: " + "; ".join(failures))


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="tools/bench websocket", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--board", default="qemu-x86_64", choices=list_boards(),
                   help="board for both guests (default %(default)s)")
    p.add_argument("--targets", default="coronet,linux", help="the two guests (default %(default)s)")
    p.add_argument("--build-dir", default="build-release",
                   help="Coronet's Release build, with tests/bench/ws_load (default %(default)s)")
    p.add_argument("--memory", default="1G", help="guest RAM for both (default %(default)s)")
    p.add_argument("--rounds", type=int, default=3, help="rounds (default %(default)s)")
    p.add_argument("--seconds", type=float, default=10, help="measured seconds per echo/broadcast run")
    p.add_argument("--warmup", type=float, default=2, help="unmeasured seconds before each (default %(default)s)")
    p.add_argument("--scale-seconds", type=float, default=30,
                   help="how long the scale run keeps its connections after opening them (default %(default)s)")
    p.add_argument("--rows", default=",".join(k for k, _, _, _ in MATRIX),
                   help="which rows of the matrix (default: all)")
    add_guest_options(p, first_answer="the first HTTP 200", memory_min=64, check_requests=0,
                      check_help="unused here")
    p.add_argument("--quick", action="store_true", help="1 round, 5 s runs, scale 15 s")
    add_output_options(p, "websocket")
    args = p.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds, args.scale_seconds = 1, 5, 15
    args.memory_search = False  # not part of this benchmark
    finish_guest_options(p, args)
    wanted = [r.strip() for r in args.rows.split(",")]
    unknown = [r for r in wanted if r not in {k for k, _, _, _ in MATRIX}]
    if unknown:
        p.error(f"unknown rows {unknown}; the matrix has {[k for k, _, _, _ in MATRIX]}")
    args.matrix = [m for m in MATRIX if m[0] in wanted]
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if not preflight(("ip",), log):
        return 2
    build_dir = build_path(args.build_dir)
    binary = ws_load_binary(build_dir)
    if not binary.is_file():
        log(f"no {binary} (cmake --build {args.build_dir} --target ws_load)")
        return 2
    guests = [Guest(kind, kind, args.board, build_dir, args.coronet_append if kind == "coronet" else args.linux_append,
                    tuple(shlex.split(args.qemu_args)), app=APP)
              for kind in args.kinds]
    if not guests_ready(guests, build_dir, log, rebuild_stale=True):
        return 2
    stop_on_sigterm()
    context = machine_context(args.board, args.memory)

    def measure(ns_name: str) -> None:
        for r in range(1, args.rounds + 1):
            for g in (guests if r % 2 else list(reversed(guests))):
                round_boot(g, args, ns_name, r, binary)

    interrupted = measure_in_namespace(f"bench-ws-{os.getpid()}", measure, log)
    doc = {
        "context": context,
        "config": {"memory": args.memory, "rounds": args.rounds, "seconds": args.seconds, "warmup": args.warmup,
                   "scale_seconds": args.scale_seconds, "qemu_args": args.qemu_args,
                   "matrix": [list(m) for m in args.matrix], "interrupted": interrupted},
        "slots": [g.label for g in guests],
        "titles": {g.label: g.title for g in guests},
        "coronet_build_type": build_type(build_dir),
        "linux": linux_versions(args.board),
        "summary": summarize(guests, args),
        "failures": {g.label: g.samples["failures"] for g in guests},
        "samples": {g.label: g.samples["boots"] for g in guests},
    }
    publish("websocket", doc, Path(args.json), Path(args.png), print_report, log, args.update_readme_assets)
    return 1 if interrupted or any(doc["failures"].values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
