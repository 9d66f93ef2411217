#!/usr/bin/env python3
"""Connection benchmark (tools/bench connections): what many connections cost Coronet's HTTP
app and a Linux guest running nginx (tools/linux_guest), on the same board, memory (-m 1G by
default), vCPU count and tap network, under the same TCG:

  - bytes per idle connection with 1 000, 10 000 and 100 000 connections open, each guest by
    its own accounting: Coronet's /status (memory.used_bytes grown over its value just before
    the connections opened, and the guest's own connections.bytes_per_connection, split into
    stack, connection state and lwIP, when it reports one); Linux's MemAvailable drop
    (/proc/meminfo, read on the guest's console shell);
  - `wrk` requests/s with 100, 1 000 and 10 000 connections (one wrk process, its file limit
    raised), so that the cost of many connections shows as a curve.

The connections are held by harness.many_connections (`idle`): several client processes,
each from its own source address on the tap, since a process here may hold at most 20 000
files. A point counts only if every connection was established, accepted (Coronet: its
/status counts them; Linux: nginx's accept queue is empty) and none was closed meanwhile.

Both servers are told to keep idle connections for as long as the largest count takes to
open: Coronet with http.idle_timeout_ms, nginx with client_header_timeout. nginx preallocates
its connection table (worker_connections); the guest's nginx.conf sizes it for the http
benchmark (4 096), so here it is raised on the running guest (its console shell: sed, then
`nginx -s reload`) to fit the largest count, and the memory that takes is reported on its
own line, not per connection.

Per round, each guest boots once and runs every count, then every wrk load. Results: a
table on stdout, all samples in build/bench/connections.json, a chart in
build/bench/connections.png. Needs root (network namespace, tap).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Optional

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ROOT, build_path, module_command  # noqa: E402
from harness.chart import publish  # noqa: E402
from harness.guests import (  # noqa: E402
    AARCH64_QEMU_ARGS, Boot, Guest, guests_ready, linux_versions, machine_context, mib_of)
from harness.loadgen import WRK_TIMEOUT, run_wrk  # noqa: E402
from harness.many_connections import PORT_RANGE  # noqa: E402
from harness.netns import GUEST_ADDRESS, measure_in_namespace, netns_prefix  # noqa: E402
from harness.report import build_type, preflight, ratio, spread, stop_on_sigterm  # noqa: E402
from target import TargetError, list_boards, load_board  # noqa: E402

URL = f"http://{GUEST_ADDRESS}/"
IDLE_TIMEOUT_S = 3600      # how long both servers keep a connection that sends nothing
NGINX_SPARE = 1024         # nginx connection slots beyond the largest count
SHELL = "linux_guest.shell"  # the Linux guest's /init word for a shell on the console


def log(msg: str) -> None:
    print(f"bench connections: {msg}", file=sys.stderr, flush=True)


# -- the Linux guest's console shell ------------------------------------------------------

class LinuxShell:
    """Commands on the Linux guest's console (booted with linux_guest.shell). Each command
    is followed by a printf of a marker; its output is the lines before the marker's. The
    marker is never typed as such (the shell echoes what is typed, and wraps long lines),
    so only the printf's output can match it."""

    def __init__(self, boot: Boot):
        self.target = boot.target
        self.commands = 0

    def run(self, command: str, timeout: float = 60) -> list[str]:
        self.commands += 1
        console = self.target.console
        start = len(console.lines)
        self.target.write(f"{command}; printf '@@%s@@\\n' bench-{self.commands}\n".encode())
        end, _, _ = console.wait_for(rf"^@@bench-{self.commands}@@$", timeout, start)
        return [line.text for line in console.lines[start:end]]

    def start(self) -> None:
        """Wait for the shell; a wide terminal, so that it does not wrap the commands."""
        self.run("stty cols 4096", timeout=30)

    def meminfo(self) -> dict[str, int]:
        """/proc/meminfo in bytes, and TCP sockets in use (/proc/net/sockstat)."""
        out: dict[str, int] = {}
        for line in self.run("cat /proc/meminfo /proc/net/sockstat"):
            name, _, rest = line.partition(":")
            words = rest.split()
            if name in ("MemTotal", "MemFree", "MemAvailable", "Slab", "SUnreclaim") and words:
                out[name] = int(words[0]) * 1024
            elif name == "TCP" and "inuse" in words:
                out["tcp_inuse"] = int(words[words.index("inuse") + 1])
        return out

    def accept_queue(self) -> Optional[int]:
        """Connections waiting for nginx's accept() on port 80: rx_queue of the listening
        socket in /proc/net/tcp (listening sockets come first)."""
        for line in self.run("grep -m1 ':0050 00000000:0000 0A' /proc/net/tcp"):
            fields = line.split()
            if len(fields) > 4 and fields[3] == "0A":
                return int(fields[4].split(":")[1], 16)
        return None

    def raise_nginx(self, connections: int, timeout: float = 60) -> None:
        """worker_connections to `connections`, the worker's file limit to twice that, and
        connections that send nothing kept for IDLE_TIMEOUT_S; then a reload, waited for
        until the new worker alone runs with the new limit."""
        files = 2 * connections
        conf = "/etc/nginx/nginx.conf"
        self.run(f"sed -i -e 's/worker_connections [0-9]*;/worker_connections {connections};/' "
                 f"-e 's/worker_rlimit_nofile [0-9]*;/worker_rlimit_nofile {files};/' "
                 f"-e 's/keepalive_timeout [0-9]*;/keepalive_timeout {IDLE_TIMEOUT_S}; "
                 f"client_header_timeout {IDLE_TIMEOUT_S}s;/' {conf}")
        self.run("nginx -s reload 2>&1")
        deadline = time.monotonic() + timeout
        while True:  # the master and one worker, the worker with the new limit
            lines = self.run("pidof nginx | wc -w; for p in $(pidof nginx); do grep 'open files' /proc/$p/limits; done")
            processes = [line.strip() for line in lines if line.strip().isdigit()]
            if processes == ["2"] and any(str(files) in line.split() for line in lines if "open files" in line):
                return
            if time.monotonic() > deadline:
                raise TargetError(f"nginx did not reload with worker_connections {connections}: {lines[1:]}")
            self.run("sleep 1")


# -- one count of idle connections ----------------------------------------------------------

def hold_idle(ns: str, count: int, coronet: bool, measure: Callable[[], dict]) -> dict:
    """Open `count` idle connections with harness.many_connections (`idle`), call `measure`
    once they are all open (and, on Coronet, counted by /status), then close them; the
    client's events plus what `measure` returned."""
    argv = netns_prefix(ns) + module_command("harness.many_connections", "--host", GUEST_ADDRESS, "--port", "80",
                                             "idle", "--count", str(count), *(["--status"] if coronet else []))
    events: dict = {}
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:  # the client bounds each of its steps by a deadline
            try:
                event = json.loads(line)
            except ValueError:  # its FAIL line, say
                events.setdefault("messages", []).append(line.strip())
                continue
            events[event.pop("event")] = event
            if "open" in events and "measured" not in events:
                events["measured"] = measure()
                proc.stdin.write("close\n")
                proc.stdin.flush()
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    events["exit"] = proc.returncode
    return events


def problems_of(count: int, events: dict) -> list[str]:
    """Why a point does not count: connections not established, not accepted, or lost."""
    opened = events.get("open")
    if not opened:
        return [f"the client gave no 'open' report (exit {events.get('exit')})"]
    out = []
    if opened["established"] != count or opened["failed"]:
        out.append(f"{opened['established']} of {count} established; failed: {opened['failed']}")
    if opened.get("accepted") is False:
        out.append(f"the server did not count all {count} open")
    if opened["lost"]:
        out.append(f"the server ended some: {opened['lost']}")
    return out


def coronet_point(ns: str, count: int) -> dict:
    """Bytes per connection from Coronet's /status, before and with `count` open."""
    events = hold_idle(ns, count, True, dict)
    point = {"count": count, "problems": problems_of(count, events), "client": events}
    before = (events.get("baseline") or {}).get("status")
    held = (events.get("open") or {}).get("status")
    if before and held:
        point["open_seconds"] = events["open"]["seconds"]
        point["used_bytes_before"] = before["memory"]["used_bytes"]
        point["used_bytes_open"] = held["memory"]["used_bytes"]
        point["bytes_per_connection"] = (point["used_bytes_open"] - point["used_bytes_before"]) / count
        split = held.get("connections", {}).get("bytes_per_connection")
        if isinstance(split, dict):
            point["guest_split"] = split
        point["memory_open"] = held["memory"]
    return point


def linux_point(ns: str, shell: LinuxShell, count: int, settle_s: float = 60) -> dict:
    """Bytes per connection from the Linux guest's MemAvailable, before and with `count`
    open and accepted by nginx."""
    before = shell.meminfo()

    def measure() -> dict:
        waited = 0
        while (queued := shell.accept_queue()) and waited < settle_s:
            shell.run("sleep 1")
            waited += 1
        return {"accept_queue": queued, "meminfo": shell.meminfo()}

    events = hold_idle(ns, count, False, measure)
    point = {"count": count, "problems": problems_of(count, events), "client": events, "meminfo_before": before}
    measured = events.get("measured")
    if measured:
        if measured["accept_queue"]:
            point["problems"].append(f"{measured['accept_queue']} connections not accepted by nginx")
        point["meminfo_open"] = measured["meminfo"]
        point["open_seconds"] = events["open"]["seconds"]
        point["bytes_per_connection"] = (before["MemAvailable"] - measured["meminfo"]["MemAvailable"]) / count
    return point


def wrk_point(ns: str, connections: int, args: argparse.Namespace) -> dict:
    """wrk with `connections` connections, its file limit raised to fit them."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    files = min(hard, connections + 1024)
    prefix = netns_prefix(ns) + ["prlimit", f"--nofile={files}:{files}"]
    return run_wrk(URL, args.wrk_threads, connections, args.wrk_seconds, prefix=prefix)


# -- one boot of one guest ----------------------------------------------------------------

def measure_guest(guest: Guest, args: argparse.Namespace, ns: str, round_no: int) -> dict:
    """Boot `guest`, hold each count of idle connections, then run wrk at each load."""
    sample: dict = {"round": round_no, "memory": {}, "wrk": {}, "problems": []}
    log(f"round {round_no}: {guest.title}: booting")
    try:
        run_guest(guest, args, ns, sample)
    except TargetError as e:
        sample["problems"].append(str(e))
        log(f"round {round_no}: {guest.title}: FAILED: {e}")
    return sample


def run_guest(guest: Guest, args: argparse.Namespace, ns: str, sample: dict) -> None:
    """measure_guest's work, filling `sample`; stops at the first load the guest does not
    survive."""
    round_no = sample["round"]
    with Boot(guest, args.memory, ns, args.boot_timeout, args.verbose) as boot:
        if not boot.ok:
            sample["problems"].append(f"did not serve: {boot.failure()}")
            log(f"round {round_no}: {guest.title}: FAILED to serve")
            return
        shell = None
        if guest.kind == "linux":
            shell = LinuxShell(boot)
            shell.start()
            before = shell.meminfo()["MemAvailable"]
            shell.raise_nginx(max(args.counts) + NGINX_SPARE)
            sample["nginx_table_bytes"] = before - shell.meminfo()["MemAvailable"]
            log(f"round {round_no}: {guest.title}: worker_connections {max(args.counts) + NGINX_SPARE} "
                f"took {sample['nginx_table_bytes'] / 2**20:.1f} MiB")
        for count in args.counts:
            point = coronet_point(ns, count) if shell is None else linux_point(ns, shell, count)
            sample["memory"][str(count)] = point
            log(f"round {round_no}: {guest.title}: {count} idle connections: {describe_point(point)}")
            if not boot.still_serving():
                sample["problems"].append(f"stopped serving after {count} connections")
                return
        for connections in args.wrk_connections:
            run = wrk_point(ns, connections, args)
            sample["wrk"][str(connections)] = run
            log(f"round {round_no}: {guest.title}: wrk -c{connections}: {run.get('rps') or 0:.0f} req/s"
                + (" — " + "; ".join(run["problems"]) if run["failed"] else ""))
            if not boot.still_serving():
                sample["problems"].append(f"stopped serving after wrk -c{connections}")
                return


def describe_point(point: dict) -> str:
    text = (f"{point['bytes_per_connection']:.0f} bytes per connection, opened in {point['open_seconds']:.1f} s"
            if point.get("bytes_per_connection") is not None else "no figure")
    if point.get("guest_split"):
        text += " (the guest says " + ", ".join(f"{k} {v}" for k, v in point["guest_split"].items()) + ")"
    if point["problems"]:
        text += " — FAILED: " + "; ".join(point["problems"])
    return text


# -- summary, table, chart ----------------------------------------------------------------

def summarize(samples: list[dict], args: argparse.Namespace) -> dict:
    """Medians over the rounds of the points that count."""
    out: dict = {"memory": {}, "split": {}, "wrk": {}}
    for count in map(str, args.counts):
        points = [s["memory"][count] for s in samples if count in s["memory"]]
        good = [p for p in points if not p["problems"]]
        out["memory"][count] = {**spread(p.get("bytes_per_connection") for p in good),
                                "runs": len(points), "failed": len(points) - len(good)}
        splits = [p["guest_split"] for p in good if p.get("guest_split")]
        if splits:
            out["split"][count] = {k: spread(s.get(k) for s in splits)["median"] for k in splits[0]}
    for connections in map(str, args.wrk_connections):
        runs = [s["wrk"][connections] for s in samples if connections in s["wrk"]]
        out["wrk"][connections] = {**spread(r["rps"] for r in runs if not r["failed"]),
                                   "runs": len(runs), "failed": sum(1 for r in runs if r["failed"])}
    tables = [s["nginx_table_bytes"] for s in samples if "nginx_table_bytes" in s]
    if tables:
        out["nginx_table_bytes"] = spread(tables)["median"]
    return out


def cell(entry: dict, fmt: str) -> str:
    if entry["median"] is None:
        return f"FAILED ({entry['failed']} of {entry['runs']})" if entry["runs"] else "–"
    text = format(entry["median"], fmt)
    return text + (f" ({entry['failed']} of {entry['runs']} failed)" if entry["failed"] else "")


def print_report(doc: dict) -> None:
    ctx, cfg, slots, titles, summary = doc["context"], doc["config"], doc["slots"], doc["titles"], doc["summary"]
    a, b = slots[0], slots[-1]
    pair = len(slots) > 1  # with the Linux guest: a ratio column

    def table(title: str, key: str, xs: list[int], label: Callable[[int], str]) -> None:
        print(f"| {title} | " + " | ".join(titles[s] for s in slots) + " |"
              + (f" {titles[a]} / {titles[b]} |" if pair else ""))
        print("|---|" + "---:|" * (len(slots) + pair))
        for x in map(str, xs):
            r = ratio(summary[a][key][x]["median"], summary[b][key][x]["median"])
            print(f"| {label(int(x))} | " + " | ".join(cell(summary[s][key][x], ",.0f") for s in slots) + " |"
                  + ((f" {r:.2f}x |" if r is not None else " – |") if pair else ""))

    print()
    print(f"Connection benchmark on {ctx['board']}, 1 vCPU, -m {ctx['memory']}, tap; {ctx['qemu']} (TCG)")
    print(f"Host: {ctx['cpu']}; {ctx['date']}; Coronet {ctx['coronet_commit']} ({doc['coronet_build_type']})")
    if doc["linux"]:
        print("Linux guest: " + ", ".join(f"{k} {v}" for k, v in doc["linux"].items()))
    print(f"{cfg['rounds']} round(s), medians of the runs without failures")
    print()
    table("bytes per idle connection", "memory", cfg["counts"], lambda n: f"{n:,} connections")
    for count, split in summary[a]["split"].items():
        print(f"  {titles[a]} at {int(count):,}, by its own account: "
              + ", ".join(f"{k} {v:,.0f}" for k, v in split.items() if v is not None))
    for s in slots:
        if summary[s].get("nginx_table_bytes") is not None:
            print(f"  {titles[s]}: worker_connections {cfg['nginx_connections']:,} preallocate "
                  f"{summary[s]['nginx_table_bytes'] / 2**20:.1f} MiB (in the baseline, not per connection)")
    print()
    table(f"wrk -t{cfg['wrk_threads']} -d{cfg['wrk_seconds']:g}s (req/s)", "wrk", cfg["wrk_connections"],
          lambda n: f"-c{n:,}")
    lo, hi = map(str, (min(cfg["wrk_connections"]), max(cfg["wrk_connections"])))
    for s in slots:
        r = ratio(summary[s]["wrk"][hi]["median"], summary[s]["wrk"][lo]["median"])
        if r is not None:
            print(f"  {titles[s]}: requests/s at {int(hi):,} connections = {r:.0%} of the rate at {int(lo):,}")
    problems = [f"{titles[s]}: round {x['round']}: {what}" for s in slots for x in doc["samples"][s]
                for what in failures(x)]
    print("\nRuns with failures (left out of the medians):" if problems else "\nNo failures.")
    for p in problems:
        print(f"  - {p}")


def failures(sample: dict) -> list[str]:
    """Everything that went wrong in one boot's sample."""
    return (sample["problems"]
            + [f"{count} connections: {p}" for count, point in sample["memory"].items() for p in point["problems"]]
            + [f"wrk -c{c}: {p}" for c, run in sample["wrk"].items() for p in run["problems"]])


def counts(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"counts must be positive: {text!r}")
    return values


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="tools/bench connections", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--board", default="qemu-x86_64", choices=list_boards(),
                   help="board for both guests (default %(default)s)")
    p.add_argument("--counts", type=counts, default=[1000, 10000, 100000],
                   help="idle connections to hold, comma-separated (default 1000,10000,100000)")
    p.add_argument("--wrk-connections", type=counts, default=[100, 1000, 10000],
                   help="wrk -c values, comma-separated (default 100,1000,10000)")
    p.add_argument("--memory", default="1G", help="guest RAM for both (default %(default)s)")
    p.add_argument("--build-dir", default="build-release",
                   help="Coronet build directory (default %(default)s: a Release build, as Debian's nginx is "
                        "optimised)")
    p.add_argument("--skip-linux", action="store_true", help="Coronet only")
    p.add_argument("--rounds", type=int, default=1, help="boots per guest (default %(default)s)")
    p.add_argument("--wrk-seconds", type=float, default=15,
                   help="wrk -d (default %(default)s; wrk's connection setup counts in it)")
    p.add_argument("--wrk-threads", type=int, default=2, help="wrk -t (default %(default)s)")
    p.add_argument("--boot-timeout", type=float, default=120,
                   help="seconds from QEMU start to the first HTTP 200 (default %(default)s)")
    p.add_argument("--coronet-append", default="", help="more Coronet kernel command line")
    p.add_argument("--linux-append", default="", help="more Linux kernel command line")
    p.add_argument("--json", default=str(ROOT / "build" / "bench" / "connections.json"),
                   help="results file (default build/bench/connections.json)")
    p.add_argument("--png", default=str(ROOT / "build" / "bench" / "connections.png"),
                   help="chart file (default build/bench/connections.png)")
    p.add_argument("-v", "--verbose", action="store_true", help="echo the guests' consoles")
    args = p.parse_args(argv)
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    mib_of(args.memory)
    args.counts.sort()
    args.wrk_connections.sort()
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if not preflight(("wrk", "ip", "prlimit"), log):
        return 2
    build_dir = build_path(args.build_dir)
    qemu_args = tuple(shlex.split(AARCH64_QEMU_ARGS)) if load_board(args.board)["arch"] == "aarch64" else ()
    nginx_connections = max(args.counts) + NGINX_SPARE
    guests = [Guest("coronet", "coronet", args.board, build_dir,
                    f"http.idle_timeout_ms={IDLE_TIMEOUT_S * 1000} {args.coronet_append}".strip(), qemu_args)]
    if not args.skip_linux:
        guests.append(Guest("linux", "linux", args.board, build_dir, f"{SHELL} {args.linux_append}".strip(),
                            qemu_args))
    if not guests_ready(guests, build_dir, log):
        return 2

    stop_on_sigterm()
    context = machine_context(args.board, args.memory)
    log(f"{context['board']}, -m {args.memory}, {context['qemu']}, host {context['cpu']}")
    samples: dict[str, list[dict]] = {g.label: [] for g in guests}

    def measure(ns_name: str) -> None:
        for r in range(1, args.rounds + 1):
            for g in guests:
                samples[g.label].append(measure_guest(g, args, ns_name, r))

    interrupted = measure_in_namespace(f"bench-conn-{os.getpid()}", measure, log,
                                       [f"net.ipv4.ip_local_port_range={PORT_RANGE}"])

    doc = {
        "context": context,
        "config": {"counts": args.counts, "wrk_connections": args.wrk_connections, "memory": args.memory,
                   "rounds": args.rounds, "wrk_seconds": args.wrk_seconds, "wrk_threads": args.wrk_threads,
                   "wrk_timeout": WRK_TIMEOUT, "idle_timeout_s": IDLE_TIMEOUT_S,
                   "nginx_connections": nginx_connections, "coronet_append": args.coronet_append,
                   "linux_append": args.linux_append, "interrupted": interrupted},
        "slots": [g.label for g in guests],
        "titles": {g.label: g.title for g in guests},
        "coronet_build_dir": str(build_dir),
        "coronet_build_type": build_type(build_dir),
        "linux": linux_versions(args.board) if not args.skip_linux else {},
        "summary": {g.label: summarize(samples[g.label], args) for g in guests},
        "samples": samples,
    }
    publish("connections", doc, Path(args.json), Path(args.png), print_report, log)
    failed = interrupted or any(failures(x) for runs in samples.values() for x in runs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
