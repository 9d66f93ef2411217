#!/usr/bin/env python3
"""Network benchmark (tools/bench net): Coronet against the Linux baseline guest
(tools/linux_guest: Debian 12's kernel, iperf3 3.12, openbsd-inetd's echo, nginx) on one QEMU
board, with the same vCPU count (1), memory, network device and tap, under the same TCG.

Parts (--parts; all by default):
  iperf3    Debian's iperf3 client in the namespace against each guest's iperf3 server (port
            5201): one stream and --streams (8) streams, to the guest and from it (-R), -t
            --iperf-seconds each with the first --omit seconds left out (-O: slow start and
            TCG translating the path's code); the receiver's throughput, and the sender's
            retransmissions as iperf3 reports them.
  echo      harness.echo_bench against port 7 (Coronet's echo app; inetd's internal echo in the
            Linux guest, a child forked per connection): a --stream-mib MiB stream written and
            read at once, SHA-256 checked (MB/s each way); --connections sequential connect +
            1-byte echo + close; a burst of --burst connections opened at once.
  impaired  behind harness.impair's relay (default 5 % of frames dropped, 2 ms delay, 25 %
            held back 5 ms more to be overtaken, both ways; the same seed for both guests, so
            the n-th frame each way meets the same fate): `ab -k -c --concurrency` against
            GET / (requests/s and failures), and the seconds until --many connections, opened
            at once, are all answered (harness.many_connections answer).

Network: a tap in a network namespace this script creates (10.77.0.1/24 on the host side, the
guest at 10.77.0.2), clients inside it. The iperf3 and echo parts boot each guest on a plain
tap (QEMU's defaults, so the virtio header and its offloads are there for a guest that
negotiates them; --tap-options vnet_hdr=off takes them away from both); the impaired part on
the relay's tap, which always has vnet_hdr=off (the relay needs frames of MTU size).

Per round, for each part, the guests boot in turn (A, B, A, B, ...), one boot per part: QEMU
start -> first HTTP 200, then the part's runs, then a GET / to check the guest still serves.
Medians over the runs without failures; runs with failures are listed and left out. Results:
a markdown table on stdout, all samples in build/bench/net.json, a chart in build/bench/net.png.
Needs root (namespace, tap), and Coronet's Release build (build-release) with its iperf3
server; the Linux guest is built if missing (tools/linux_guest/build).

--per-board keeps the earlier mode: Coronet's echo app alone on each of --boards, over QEMU user
networking (a forwarded port: slirp listens with a backlog of 1, so bursts measure QEMU) and tap.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator, Optional

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import build_path, impair, module_command  # noqa: E402
from harness.appliance import APPS, Appliance  # noqa: E402
from harness.chart import publish  # noqa: E402
from harness.guests import (  # noqa: E402
    AARCH64_QEMU_ARGS, Boot, Guest, add_output_options, fmt_s, guests_ready, linux_versions, machine_context,
    mib_of)
from harness.impair import HOST_VETH, Impairment, ImpairedNamespace, RelayError, format_report  # noqa: E402
from harness.loadgen import run_ab  # noqa: E402
from harness.netns import GUEST_ADDRESS, TAP, Namespace, netns_prefix, netns_run  # noqa: E402
from harness.report import build_type, load_average, preflight, ratio, spread, stop_on_sigterm  # noqa: E402
from linux_guest import READY as LINUX_READY  # noqa: E402
from target import TargetError, list_boards, load_board  # noqa: E402

URL = f"http://{GUEST_ADDRESS}/"
IPERF3_PORT = APPS["iperf3"].port
ECHO_PORT = APPS["echo"].port
SERVERS_TIMEOUT = 30  # seconds after the first HTTP 200 for the other servers to listen
PARTS = ("iperf3", "echo", "impaired")
# What each guest serves the parts with, for the report.
SERVERS = {"coronet": "Coronet's iperf3, echo and HTTP apps",
           "linux": "iperf3 -s, openbsd-inetd's internal echo, nginx"}
TITLES = {"coronet": "Coronet", "linux": "Linux"}


def log(msg: str) -> None:
    print(f"bench net: {msg}", file=sys.stderr, flush=True)


# -- the runs -------------------------------------------------------------------------------


def iperf3_runs(streams: int) -> list[tuple[str, str, int, bool]]:
    """(key, title, streams, reverse) of the iperf3 runs, in the order they are done."""
    return [("iperf3_1", "iperf3, 1 stream, to the guest", 1, False),
            ("iperf3_1_reverse", "iperf3, 1 stream, from the guest (-R)", 1, True),
            (f"iperf3_{streams}", f"iperf3, {streams} streams, to the guest", streams, False),
            (f"iperf3_{streams}_reverse", f"iperf3, {streams} streams, from the guest (-R)", streams, True)]


def run_iperf3(prefix: list[str], streams: int, reverse: bool, seconds: int, omit: int) -> dict:
    """Debian's `iperf3 -c` with its JSON report (-J): the receiver's Mbit/s (what arrived,
    omitted seconds left out), the sender's, and its retransmissions; `failed` and `problems`
    as harness.loadgen's runs have them."""
    argv = ["iperf3", "-c", GUEST_ADDRESS, "-p", str(IPERF3_PORT), "-J", "-t", str(seconds), "-O", str(omit),
            "-P", str(streams)] + (["-R"] if reverse else [])
    timeout = seconds + omit + 60  # iperf3's own setup and results exchange, under TCG
    res: dict = {"tool": "iperf3", "argv": argv}
    try:
        r = subprocess.run(prefix + argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {**res, "failed": True, "problems": [f"iperf3 did not finish in {timeout} s"]}
    res["exit"] = r.returncode
    try:
        report = json.loads(r.stdout)
    except ValueError:
        return {**res, "failed": True,
                "problems": [f"no JSON report (exit {r.returncode}): {(r.stdout + r.stderr).strip()[-300:]}"]}
    problems = []
    if report.get("error"):
        problems.append(f"iperf3: {report['error']}")
    end = report.get("end", {})
    received, sent = end.get("sum_received", {}), end.get("sum_sent", {})
    if received:
        res.update(mbit_s=received["bits_per_second"] / 1e6, bytes=received["bytes"],
                   seconds=received.get("seconds"), sender_mbit_s=sent.get("bits_per_second", 0) / 1e6,
                   retransmits=sent.get("retransmits"), streams=len(end.get("streams", [])),
                   cpu_percent=end.get("cpu_utilization_percent"))
        if res["streams"] != streams:
            problems.append(f"{res['streams']} of {streams} streams in the report")
        if not received["bytes"]:
            problems.append("nothing received")
    else:
        problems.append("no end-of-test sums in the report")
    if r.returncode != 0 and not problems:
        problems.append(f"iperf3 exited {r.returncode}")
    res["failed"] = bool(problems)
    res["problems"] = problems
    return res


def run_echo(prefix: list[str], args: argparse.Namespace) -> dict:
    """harness.echo_bench against port 7: the stream's MB/s each way, sequential connections/s,
    burst accepts/s."""
    argv = module_command("harness.echo_bench", GUEST_ADDRESS, str(ECHO_PORT), "--stream-bytes",
                          str(args.stream_mib << 20), "--connections", str(args.connections), "--burst",
                          str(args.burst))
    res: dict = {"tool": "echo_bench", "argv": argv}
    try:
        r = subprocess.run(prefix + argv, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        return {**res, "failed": True, "problems": ["the echo client did not finish in 900 s"]}
    try:
        res.update(json.loads(r.stdout.strip().splitlines()[-1]))
    except (IndexError, ValueError):
        tail = (r.stderr.strip().splitlines() or ["?"])[-1]
        return {**res, "failed": True, "problems": [f"echo client exited {r.returncode}: {tail}"]}
    res["failed"], res["problems"] = False, []
    return res


def run_answer(prefix: list[str], count: int, in_flight: int) -> dict:
    """harness.many_connections answer: `count` connections opened at once (in_flight
    handshakes at a time), each asking GET / as it opens; the seconds until all were answered."""
    argv = module_command("harness.many_connections", "--host", GUEST_ADDRESS, "--port", str(APPS["http"].port),
                          "answer", "--count", str(count), "--in-flight", str(in_flight),
                          "--connect-timeout", "60", "--request-timeout", "60")
    res: dict = {"tool": "many_connections answer", "argv": argv}
    try:
        r = subprocess.run(prefix + argv, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        return {**res, "failed": True, "problems": ["the client did not finish in 900 s"]}
    lines = r.stdout.splitlines()
    reports = [json.loads(line) for line in lines if line.startswith("{")]
    if not reports:
        return {**res, "failed": True, "problems": [f"client exited {r.returncode}: "
                                                    f"{(r.stdout + r.stderr).strip()[-300:]}"]}
    res.update(reports[-1])
    res["failed"] = r.returncode != 0
    res["problems"] = [line for line in lines if line.startswith("FAIL")]
    return res


# -- one boot per part ------------------------------------------------------------------------


def wait_servers(boot: Boot) -> Optional[str]:
    """After the first HTTP 200: until the guest's iperf3 and echo servers listen (Coronet says
    so on its console; the Linux guest's ready line comes once all of its servers listen).
    None, or what did not come."""
    lines = ([APPS["echo"].listening, APPS["iperf3"].listening] if boot.guest.kind == "coronet"
             else [LINUX_READY])
    for regex in lines:
        try:
            boot.target.console.wait_for(regex, SERVERS_TIMEOUT, 0)
        except TargetError:
            return f"no {regex!r} on the console within {SERVERS_TIMEOUT} s"
    return None


def record(guest: Guest, part: str, s: dict, key: str, res: dict, boot: Boot, say: Callable[[str], None]) -> bool:
    """Keep run `res` under `key` of sample `s`; a run counts only if the guest still serves
    after it. Whether the part may go on."""
    s[key] = res
    if not boot.still_serving():
        res["failed"] = True
        res.setdefault("problems", []).append("the guest stopped serving during this run")
    say(f"{key}: {describe(key, res)}")
    if not s["served_after"]:
        guest.samples["failures"].append(f"round {s['round']}: {part}: stopped serving during {key}: "
                                         f"{s['not_serving']}")
        return False
    return True


def clean_round(guest: Guest, args: argparse.Namespace, ns: str, round_no: int) -> None:
    """One boot on the plain tap: the iperf3 runs, then the echo workload."""
    parts = [p for p in ("iperf3", "echo") if p in args.parts]
    say = round_logger(guest, round_no, "+".join(parts))
    say("booting")
    s: dict = {"round": round_no, "part": "clean", "load_before": load_average()}
    try:
        with Boot(guest, args.memory, ns, args.boot_timeout, args.verbose, args.tap_options) as boot:
            boot.sample = s = {**s, **boot.sample}
            if started(guest, boot, say):
                prefix = netns_prefix(ns)
                if "iperf3" in parts:
                    for key, _, streams, reverse in iperf3_runs(args.streams):
                        run = run_iperf3(prefix, streams, reverse, args.iperf_seconds, args.omit)
                        if not record(guest, "iperf3", s, key, run, boot, say):
                            break
                if "echo" in parts and s.get("served_after", True):
                    record(guest, "echo", s, "echo", run_echo(prefix, args), boot, say)
    except TargetError as e:
        failed(guest, s, f"TargetError: {e}", say)
    s["load_after"] = load_average()
    guest.samples["boots"].append(s)


@contextlib.contextmanager
def impaired_namespace(name: str, impairment: Impairment) -> Iterator[ImpairedNamespace]:
    """A fresh ImpairedNamespace (its own relay and counters) with ARP towards the guest
    retried every 20 ms, as measure_in_namespace() sets it on a plain tap."""
    with ImpairedNamespace(name, impairment) as ns:
        netns_run(name, ["sysctl", "-q", "-w", f"net.ipv4.neigh.{HOST_VETH}.retrans_time_ms=20"], 10)
        yield ns


def impaired_round(guest: Guest, args: argparse.Namespace, round_no: int) -> None:
    """One boot behind the relay: a warm-up, ab -k -c <concurrency>, then <many> connections
    at once; the relay's report goes with the sample."""
    say = round_logger(guest, round_no, "impaired")
    say("booting behind the relay")
    s: dict = {"round": round_no, "part": "impaired", "load_before": load_average()}
    try:
        with impaired_namespace(f"bench-net-relay-{os.getpid()}", args.impairment) as ns:
            prefix = ns.prefix
            with Boot(guest, args.memory, ns.name, args.boot_timeout, args.verbose, ns.tap_options) as boot:
                boot.sample = s = {**s, **boot.sample}
                if started(guest, boot, say, wait_for_servers=False):
                    if args.impaired_warmup:
                        s["warmup"] = run_ab(URL, args.impaired_warmup, args.concurrency, prefix)
                    if record(guest, "impaired", s, "impaired_ab",
                              run_ab(URL, args.impaired_requests, args.concurrency, prefix), boot, say):
                        record(guest, "impaired", s, "impaired_many", run_answer(prefix, args.many, args.in_flight),
                               boot, say)
            s["relay"] = ns.report()
    except (TargetError, RelayError, OSError, subprocess.SubprocessError) as e:
        failed(guest, s, f"{type(e).__name__}: {e}", say)
    if s.get("relay"):
        say(format_report(s["relay"]).replace("\n", "\n    "))
    s["load_after"] = load_average()
    guest.samples["boots"].append(s)


def started(guest: Guest, boot: Boot, say: Callable[[str], None], wait_for_servers: bool = True) -> bool:
    """Whether the boot served (and its iperf3 and echo servers listen); if not, why goes to the
    guest's failures."""
    s = boot.sample
    error = None if boot.ok else boot.failure()
    if not error and wait_for_servers:
        error = wait_servers(boot)
    if error:
        failed(guest, s, error, say)
        return False
    say(f"first response {s['first_response_s']:.2f} s after QEMU start, ready line {fmt_s(s.get('ready_line_s'))}")
    return True


def failed(guest: Guest, s: dict, error: str, say: Callable[[str], None]) -> None:
    """Sample `s` ends in `error`: kept with it, and listed among the guest's failures."""
    s["error"] = error
    guest.samples["failures"].append(f"round {s['round']}: {s['part']}: {error}")
    say(f"FAILED: {error}")


def title(guest: Guest) -> str:
    """"Coronet" or "Linux" (with -A/-B when both guests are of one kind)."""
    return TITLES[guest.kind] + guest.label[len(guest.kind):]


def round_logger(guest: Guest, round_no: int, part: str) -> Callable[[str], None]:
    return lambda text: log(f"round {round_no}: {title(guest)}: {part}: {text}")


# -- summaries --------------------------------------------------------------------------------


def metrics(args: argparse.Namespace) -> list[tuple[str, str, str, str, bool]]:
    """(sample key, field, title, unit, higher is better) of every figure the table shows."""
    rows = []
    if "iperf3" in args.parts:
        rows += [(key, "mbit_s", title, "Mbit/s", True) for key, title, _, _ in iperf3_runs(args.streams)]
    if "echo" in args.parts:
        rows += [("echo", "stream_mb_s", f"echo stream, {args.stream_mib} MiB, each way", "MB/s", True),
                 ("echo", "connections_per_s", f"echo, {args.connections} sequential connections", "conn/s", True),
                 ("echo", "burst_accepts_per_s", f"echo, burst of {args.burst} connections", "accepts/s", True)]
    if "impaired" in args.parts:
        rows += [("impaired_ab", "rps", f"impaired: ab -k -c {args.concurrency} GET /", "req/s", True),
                 ("impaired_many", "seconds", f"impaired: {args.many:,} connections at once, all answered",
                  "s", False)]
    return rows


def summarize(guest: Guest, args: argparse.Namespace) -> dict:
    """Per figure: median, min, max over the runs without failures, and the count of runs and
    of failed ones; the impaired ab's failed requests over all its runs."""
    out: dict = {}
    boots = guest.samples["boots"]
    for key, name, _, _, _ in metrics(args):
        runs = [b[key] for b in boots if key in b]
        clean = [r.get(name) for r in runs if not r.get("failed")]
        out[f"{key}.{name}"] = {**spread(clean), "n": len(runs), "failed": sum(1 for r in runs if r.get("failed")),
                                "problems": [p for r in runs for p in r.get("problems", [])]}
    abs_ = [b["impaired_ab"] for b in boots if "impaired_ab" in b]
    out["impaired_ab.failed_requests"] = sum(r.get("failed_requests") or 0 for r in abs_)
    out["impaired_ab.complete"] = sum(r.get("complete") or 0 for r in abs_)
    out["stopped_serving"] = sum(1 for b in boots if b.get("served_after") is False)
    out["first_response_s"] = spread(b.get("first_response_s") for b in boots)
    return out


def describe(key: str, run: dict) -> str:
    """One run in words, for the log."""
    if key.startswith("iperf3") and run.get("mbit_s") is not None:
        text = (f"{run['mbit_s']:.1f} Mbit/s received, {run['sender_mbit_s']:.1f} sent, "
                f"{run.get('retransmits')} retransmits")
    elif key == "echo" and "stream_mb_s" in run:
        text = (f"stream {run['stream_mb_s']:.1f} MB/s, {run['connections_per_s']:.0f} connections/s, "
                f"burst {run['burst_accepts_per_s']:.0f} accepts/s")
    elif key == "impaired_ab" and run.get("rps") is not None:
        text = (f"{run['rps']:.0f} req/s, {run['complete']} complete, {run['failed_requests']} failed, "
                f"{run['seconds']} s")
    elif key == "impaired_many" and "seconds" in run:
        text = (f"{run['answered']} of {run['count']} answered in {run['seconds']:.1f} s "
                f"(latency {json.dumps(run.get('latency_ms'))})")
    else:
        text = "no figure"
    if run.get("failed"):
        text += " — FAILED: " + "; ".join(run.get("problems", [])[:3])
    return text


def cell(entry: dict, unit: str) -> str:
    if entry["median"] is None:
        return f"FAILED ({entry['failed']} of {entry['n']})" if entry["n"] else "–"
    v = entry["median"]
    text = f"{v:.2f}" if unit == "s" else f"{v:,.1f}" if v < 100 else f"{v:,.0f}"
    if entry["n"] > 1:
        lo, hi = entry["min"], entry["max"]
        text += f" ({lo:.2f}–{hi:.2f})" if unit == "s" else f" ({lo:,.0f}–{hi:,.0f})" if lo >= 100 else \
            f" ({lo:,.1f}–{hi:,.1f})"
    if entry["failed"]:
        text += f", {entry['failed']} of {entry['n']} failed"
    return text


def print_report(doc: dict) -> None:
    ctx, cfg = doc["context"], doc["config"]
    a, b = doc["slots"]
    ta, tb = doc["titles"][a], doc["titles"][b]
    sa, sb = doc["summary"][a], doc["summary"][b]
    print()
    print(f"Network benchmark: {ta} vs {tb} on {ctx['board']}, 1 vCPU, -m {ctx['memory']}, tap networking")
    print(f"Both guests under TCG (no KVM) on the same QEMU: {ctx['qemu']}"
          + (f"; extra QEMU options for both: {cfg['qemu_args']}" if cfg.get("qemu_args") else ""))
    load = {k: " ".join(f"{x:.1f}" for x in v) if v else "?" for k, v in doc["load"].items()}
    print(f"Host: {ctx['cpu']}, {ctx['host_cpus']} CPUs, Linux {ctx['host_kernel']}; {ctx['date']}; "
          f"load average (1, 5, 15 min) {load['start']} at the start, {load['end']} at the end")
    print(f"Coronet {ctx['coronet_commit']}, build type {doc.get('coronet_build_type', '?')} ({SERVERS['coronet']}); "
          f"Linux guest ({SERVERS['linux']}): " + ", ".join(f"{k} {v}" for k, v in doc.get("linux", {}).items()))
    tap = ",".join(cfg["tap_options"]) or "QEMU's defaults (virtio header on: offloads for a guest that asks)"
    print(f"{cfg['rounds']} rounds (A/B alternating), medians (min–max) of runs without failures; "
          f"iperf3 -t {cfg['iperf_seconds']} -O {cfg['omit']}; echo {cfg['stream_mib']} MiB, "
          f"{cfg['connections']} sequential, burst {cfg['burst']}; clean tap: {tap}")
    if "impaired" in cfg["parts"]:
        print(f"Impaired: {doc['impairment_text']}; relay on a tap with vnet_hdr=off; ab -k -c {cfg['concurrency']} "
              f"-n {cfg['impaired_requests']} after {cfg['impaired_warmup']} warm-up requests; "
              f"{cfg['many']:,} connections, {cfg['in_flight']} handshakes in flight")
    print()
    print(f"| metric | {ta} | {tb} | {ta} / {tb} |")
    print("|---|---:|---:|---:|")
    for key, name, title, unit, higher in doc["metrics"]:
        ea, eb = sa[f"{key}.{name}"], sb[f"{key}.{name}"]
        r = ratio(ea["median"], eb["median"])
        print(f"| {title} ({unit}{'' if higher else ', lower is better'}) | {cell(ea, unit)} | {cell(eb, unit)} | "
              f"{f'{r:.2f}x' if r is not None else '–'} |")
    if "impaired" in cfg["parts"]:
        print(f"| impaired: ab failed requests, all runs | {sa['impaired_ab.failed_requests']} of "
              f"{sa['impaired_ab.complete']} | {sb['impaired_ab.failed_requests']} of {sb['impaired_ab.complete']} | |")
    problems = [f"{doc['titles'][slot]}: {f}" for slot in (a, b) for f in doc["failures"][slot]]
    for slot in (a, b):
        for key, name, title, _, _ in doc["metrics"]:
            problems += [f"{doc['titles'][slot]}: {title}: {p}"
                         for p in doc["summary"][slot][f"{key}.{name}"]["problems"]]
    if problems:
        print("\nRuns with failures (left out of the medians):")
        for p in dict.fromkeys(problems):
            print(f"  - {p}")
    else:
        print("\nNo failed runs; both guests still served after every run.")


# -- the earlier mode: Coronet's echo app alone, per board and network path -------------------


def per_board(args: argparse.Namespace) -> int:
    rows, raw = [], {}
    for board in args.boards:
        for net in args.nets:
            runs = [per_board_run(board, net, build_path(args.build_dir), args) for _ in range(args.rounds)]
            raw[f"{board}/{net}"] = runs
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            rows.append((board, net, med))
            log(f"{board} {net}: {med}")
    print(f"\nEcho benchmark, Coronet alone, median of {args.rounds} runs; {args.stream_mib} MiB stream, "
          f"{args.connections} sequential connections, burst of {args.burst} on tap "
          f"(50 on user networking: slirp's backlog of 1)\n")
    print("| board | path | echo stream MB/s (each way) | connections/s (sequential) | burst accepts/s |")
    print("|---|---|---:|---:|---:|")
    for board, net, m in rows:
        print(f"| {board} | {net} | {m['stream_mb_s']:.1f} | {m['connections_per_s']:.0f} | "
              f"{m['burst_accepts_per_s']:.0f} |")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(raw, indent=2) + "\n")
        print(f"results: {args.json}")
    return 0


def per_board_run(board: str, net: str, build_dir: Path, args: argparse.Namespace) -> dict:
    with Appliance(board, net, "echo", build_dir=build_dir, memory=args.memory) as appliance:
        burst = args.burst if net == "tap" else min(args.burst, 50)
        client = appliance.prefix + module_command(
            "harness.echo_bench", appliance.host, str(appliance.port), "--stream-bytes", str(args.stream_mib << 20),
            "--connections", str(args.connections), "--burst", str(burst))
        out = subprocess.run(client, capture_output=True, text=True, timeout=600, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])


# -- main -------------------------------------------------------------------------------------


CONFIG_KEYS = ("parts", "memory", "qemu_args", "tap_options", "coronet_append", "linux_append", "rounds",
               "iperf_seconds", "omit", "streams", "stream_mib", "connections", "burst", "concurrency",
               "impaired_requests", "impaired_warmup", "many", "in_flight", "boot_timeout")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="tools/bench net", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--board", default="qemu-x86_64", choices=list_boards(),
                   help="board for both guests (default %(default)s)")
    p.add_argument("--targets", default="coronet,linux",
                   help="the two guests, A,B (coronet or linux each; default %(default)s)")
    p.add_argument("--parts", default=",".join(PARTS),
                   help=f"which parts, comma-separated, of {', '.join(PARTS)} (default: all)")
    p.add_argument("--build-dir", default="build-release",
                   help="Coronet build directory (default %(default)s: a Release build)")
    p.add_argument("--memory", default="256M", help="guest RAM for both (default %(default)s)")
    p.add_argument("--rounds", "--runs", dest="rounds", type=int, default=3,
                   help="boots per guest and part (--per-board: runs per board and path; default %(default)s)")
    p.add_argument("--iperf-seconds", type=int, default=10, help="iperf3 -t (default %(default)s)")
    p.add_argument("--omit", type=int, default=1, help="iperf3 -O, seconds left out at the start (default %(default)s)")
    p.add_argument("--streams", type=int, default=8, help="iperf3 -P of the parallel runs (default %(default)s)")
    p.add_argument("--stream-mib", type=int, default=64, help="echo stream size in MiB (default %(default)s)")
    p.add_argument("--connections", type=int, default=200, help="sequential echo connections (default %(default)s)")
    p.add_argument("--burst", type=int, default=500, help="echo connections opened at once (default %(default)s)")
    p.add_argument("--concurrency", type=int, default=50, help="impaired: ab -c (default %(default)s)")
    p.add_argument("--impaired-requests", type=int, default=20000,
                   help="impaired: ab -n (default %(default)s: 15 to 30 s per run here)")
    p.add_argument("--impaired-warmup", type=int, default=500,
                   help="impaired: ab -k requests before the measured run, not counted (default %(default)s)")
    p.add_argument("--many", type=int, default=1000,
                   help="impaired: connections opened at once, each answered (default %(default)s)")
    p.add_argument("--in-flight", type=int, default=256,
                   help="impaired: handshakes in flight at once while opening them (default %(default)s, "
                        "as the impairment test's)")
    impair.add_arguments(p, "impaired: ")
    p.add_argument("--tap-options", default="",
                   help="more options of the plain tap netdev, comma-separated, for both guests (e.g. "
                        "vnet_hdr=off: no virtio header, so no offloads for either; default: QEMU's)")
    p.add_argument("--boot-timeout", type=float, default=120,
                   help="seconds from QEMU start to the first HTTP 200 (default %(default)s)")
    p.add_argument("--qemu-args", default=None,
                   help=f"more QEMU options for both guests (default: none, except \"{AARCH64_QEMU_ARGS}\" on "
                        "AArch64 boards, as tools/bench http)")
    p.add_argument("--coronet-append", default="", help="more Coronet kernel command line")
    p.add_argument("--linux-append", default="", help="more Linux kernel command line")
    p.add_argument("--quick", action="store_true",
                   help="1 round, iperf3 -t 5, a 16 MiB echo stream, ab -n 3000 (about 2 minutes; the "
                        "default takes about 12)")
    p.add_argument("--per-board", action="store_true",
                   help="the earlier mode: Coronet's echo app alone on each of --boards over --nets")
    p.add_argument("--boards", nargs="+", default=["qemu-x86_64", "qemu-microvm", "qemu-aarch64"],
                   help="--per-board: the boards")
    p.add_argument("--nets", nargs="+", default=["user", "tap"], choices=["user", "tap"], help="--per-board: paths")
    add_output_options(p, "net")
    args = p.parse_args(argv)
    if args.per_board:
        # Its JSON (the runs per board and path) only when asked for: build/bench/net.json is
        # the comparison's.
        args.json = args.json if any(a == "--json" or a.startswith("--json=") for a in argv) else None
        return args
    if args.quick:
        args.rounds, args.iperf_seconds, args.stream_mib, args.impaired_requests = 1, 5, 16, 3000
    if args.qemu_args is None:
        args.qemu_args = AARCH64_QEMU_ARGS if load_board(args.board)["arch"] == "aarch64" else ""
    args.parts = [x.strip() for x in args.parts.split(",") if x.strip()]
    if not args.parts or any(x not in PARTS for x in args.parts):
        p.error(f"--parts takes some of {', '.join(PARTS)}")
    args.tap_options = [x for x in args.tap_options.split(",") if x]
    args.kinds = [k.strip() for k in args.targets.split(",")]
    if len(args.kinds) != 2 or any(k not in ("coronet", "linux") for k in args.kinds):
        p.error("--targets takes two of coronet/linux, e.g. coronet,linux")
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    mib_of(args.memory)
    args.impairment = impair.from_arguments(args)
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.per_board:
        return per_board(args)
    tools = ["ip"] + (["iperf3"] if "iperf3" in args.parts else []) + (["ab", "ethtool"] if "impaired" in args.parts
                                                                        else [])
    if not preflight(tools, log):
        return 2
    build_dir = build_path(args.build_dir)
    labels = args.kinds if args.kinds[0] != args.kinds[1] else [f"{k}-{s}" for k, s in zip(args.kinds, "AB")]
    guests = [Guest(label, kind, args.board, build_dir, args.coronet_append if kind == "coronet" else args.linux_append,
                    tuple(shlex.split(args.qemu_args)))
              for label, kind in zip(labels, args.kinds)]
    if not guests_ready(guests, build_dir, log, rebuild_stale=True):
        return 2

    stop_on_sigterm()  # SIGTERM unwinds like ^C: QEMU stopped, namespaces removed
    context = machine_context(args.board, args.memory, tools=(("iperf3", ["iperf3", "--version"]),
                                                              ("ab", ["ab", "-V"])))
    load_start = load_average()
    log(f"{context['board']}, -m {args.memory}, {context['qemu']}, host {context['cpu']}, load average "
        + " ".join(f"{x:.1f}" for x in load_start or ()))
    interrupted = False
    try:
        for r in range(1, args.rounds + 1):
            if "iperf3" in args.parts or "echo" in args.parts:
                with Namespace(f"bench-net-{os.getpid()}") as ns:
                    netns_run(ns.name, ["sysctl", "-q", "-w", f"net.ipv4.neigh.{TAP}.retrans_time_ms=20"], 10)
                    for g in guests:
                        clean_round(g, args, ns.name, r)
            if "impaired" in args.parts:
                for g in guests:
                    impaired_round(g, args, r)
    except KeyboardInterrupt:
        log("interrupted: reporting what was measured")
        interrupted = True

    titles = {g.label: title(g) for g in guests}
    doc = {
        "context": context,
        "config": {k: getattr(args, k) for k in CONFIG_KEYS} | {"interrupted": interrupted, "url": URL},
        "impairment": args.impairment.as_dict(),
        "impairment_text": args.impairment.describe(),
        "load": {"start": load_start, "end": load_average()},
        "metrics": metrics(args),
        "slots": [g.label for g in guests],
        "titles": titles,
        "servers": {g.label: SERVERS[g.kind] for g in guests},
        "coronet_build_dir": str(build_dir),
        "coronet_build_type": build_type(build_dir),
        "linux": linux_versions(args.board, ("iperf3", "openbsd-inetd")),
        "summary": {g.label: summarize(g, args) for g in guests},
        "failures": {g.label: g.samples["failures"] for g in guests},
        "samples": {g.label: g.samples["boots"] for g in guests},
    }
    publish("net", doc, Path(args.json), Path(args.png), print_report, log, args.update_readme_assets)
    failed = interrupted or any(doc["failures"].values()) or any(
        e.get("failed") for s in doc["summary"].values() for e in s.values() if isinstance(e, dict))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
