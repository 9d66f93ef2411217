#!/usr/bin/env python3
"""Redis benchmark (tools/bench redis): Coronet's Redis app against a Linux guest running
redis-server (tools/linux_guest: Debian 12's kernel, redis-server 7.0 with
tools/linux_guest/redis.conf: `save ""`, `appendonly no`, checked with CONFIG GET on every
boot), on the same QEMU board, with the same vCPU count (1), memory, network device and tap,
under the same TCG. The method is tools/bench http's, whose guests, boots and memory
bisection this script reuses.

Network: a tap device in a network namespace this script creates (10.77.0.1/24 on the host
side, the guest at 10.77.0.2 static); redis-benchmark and redis-cli run inside it.

A round has one phase per pass and one for memory, and in each phase the guests boot in
turn (A, B, A, B, ...), each on a fresh boot, so that no phase depends on the one before (nor
on how fast a server empties itself). On every boot: QEMU start -> first PONG (a client that
opens a new connection every 20 ms) and a check of the server's settings; then
  - a pass (plain, then with `-P 16`): a short warm-up of every test (TCG translates the code
    paths on first use; not counted; a test whose command the server does not know, "unknown
    command", is "n/a" from then on), FLUSHALL, then `redis-benchmark -c 50 -d 256 -r 1000000
    -n N --csv -t TEST` for each test (set, get, incr, lpush, rpop, sadd, hset, zadd,
    lrange_100, mset; one run each, in redis-benchmark's own order, so the keyspace carries
    over as in one run of all of them: rpop pops what lpush pushed). Requests/s, and p50/p99
    latency from redis-benchmark 7's CSV (with -P 16 a request's latency is its batch's). A
    PING after the pass (and after a failed run) checks the guest still serves. Last, how long
    a FLUSHALL of what the pass left takes to answer (about 760 000 keys after the plain pass;
    bounded by --flush-timeout, since a server that empties itself without yielding stops
    answering). That is time to the reply: Coronet frees a flushed keyspace lazily after
    answering, redis-server 7.0 before (lazyfree-lazy-user-flush is off by default);
  - memory: INFO memory used_memory, DEBUG POPULATE 1000000, used_memory again;
    (after - before) / DBSIZE. Both servers count used_memory as the bytes their allocator
    has handed out (Coronet: its heap; Linux: jemalloc through zmalloc), so the figure is
    what a key (key:N = value:N, as DEBUG POPULATE makes them) costs each server. Then the
    time a FLUSHALL of those keys takes.
QEMU is stopped (SIGTERM) after each boot.
Then, per guest, the smallest -m that boots and serves a short SET/GET workload
(redis-benchmark -t set / -t get with the options above, no error reply, then PING), by
bisection between --memory-min and --memory (a few boots; bounded by the 2 MiB / 5 % step).

The default -m is 1G, not tools/bench http's 256M: `-t mset -n 100000 -r 1000000` alone writes
about 630 000 distinct keys of 256 bytes (about 250 MB in redis-server), which a 256 MiB Linux
guest cannot hold.

Medians over runs without failures; failed runs are listed and left out, "n/a" runs (the
command not implemented) are neither. Results: a table on stdout (markdown), all samples in
build/bench/redis.json, a chart in build/bench/redis.png (matplotlib, run with Debian's
/usr/bin/python3). Needs root (network namespace, tap).
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import build_path  # noqa: E402
from harness.appliance import APPS  # noqa: E402
from harness.chart import publish  # noqa: E402
from harness.guests import (  # noqa: E402
    Boot, Guest, add_guest_options, add_output_options, finish_guest_options, fmt_s, guests_ready,
    linux_versions, machine_context, memory_search)
from harness.loadgen import run_redis_benchmark  # noqa: E402
from harness.netns import GUEST_ADDRESS, measure_in_namespace, netns_prefix  # noqa: E402
from harness.report import build_type, preflight, ratio, spread, stop_on_sigterm  # noqa: E402
from target import TargetError, list_boards  # noqa: E402

APP = "redis"
# redis-benchmark's -t names, in the order it runs them (as one `-t a,b,c` run would).
TESTS = ["set", "get", "incr", "lpush", "rpop", "sadd", "hset", "zadd", "lrange_100", "mset"]
TEST_TITLES = {"lrange_100": "LRANGE_100 (first 100 elements)", "mset": "MSET (10 keys)"}
# Checked on the Linux guest on every boot: the settings the comparison relies on.
EXPECTED_CONFIG = {"save": "", "appendonly": "no"}


def log(msg: str) -> None:
    print(f"bench redis: {msg}", file=sys.stderr, flush=True)


def run_key(test: str, pipeline: int) -> str:
    return test if pipeline <= 1 else f"{test} -P {pipeline}"


def run_title(test: str, pipeline: int) -> str:
    return TEST_TITLES.get(test, test.upper()) + (f", -P {pipeline}" if pipeline > 1 else "")


# -- redis-cli ------------------------------------------------------------------------------


def cli(ns: str, *args: str, timeout: float = 30, strip: bool = True) -> str:
    """One command with redis-cli inside the namespace; its reply as redis-cli prints it when
    not on a terminal (an error reply reads `ERR ...`), stripped unless `strip` is False.
    TargetError if the guest cannot be reached or does not answer in time."""
    argv = netns_prefix(ns) + ["redis-cli", "-h", GUEST_ADDRESS, "-p", str(APPS[APP].port), *args]
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TargetError(f"redis-cli {' '.join(args)}: no answer in {timeout:g} s") from None
    if r.returncode != 0:
        raise TargetError(f"redis-cli {' '.join(args)}: exit {r.returncode}: {(r.stderr or r.stdout).strip()[:300]}")
    return r.stdout.strip() if strip else r.stdout


def used_memory(ns: str) -> int:
    reply = cli(ns, "INFO", "memory")
    m = re.search(r"^used_memory:(\d+)", reply, re.M)
    if not m:
        raise TargetError(f"no used_memory in INFO memory: {reply[:300]!r}")
    return int(m.group(1))


def server_config(ns: str) -> dict:
    """CONFIG GET of the settings in EXPECTED_CONFIG (None where the server has no answer)."""
    out: dict = {}
    for name in EXPECTED_CONFIG:
        lines = cli(ns, "CONFIG", "GET", name, strip=False).split("\n")  # an empty value is an empty line
        out[name] = lines[1] if len(lines) >= 2 and lines[0] == name else None
    return out


def flush(ns: str, timeout: float) -> dict:
    """FLUSHALL: the keys it removed (DBSIZE just before) and how long it took to answer.
    TargetError if it does not answer OK within `timeout`."""
    keys = int(cli(ns, "DBSIZE"))
    started = time.monotonic()
    reply = cli(ns, "FLUSHALL", timeout=timeout)
    if reply != "OK":
        raise TargetError(f"FLUSHALL of {keys} keys: {reply[:200]}")
    return {"keys": keys, "seconds": time.monotonic() - started}


def memory_point(ns: str, count: int, timeout: float) -> dict:
    """Bytes per key: used_memory before and after DEBUG POPULATE `count` on an empty server
    (a fresh boot), over the keys it then holds. `unsupported` when the server does not know
    DEBUG."""
    point: dict = {"count": count, "problems": [], "unsupported": False}
    keys = int(cli(ns, "DBSIZE"))
    if keys:
        point["problems"].append(f"{keys} keys before DEBUG POPULATE")
    point["used_before"] = used_memory(ns)
    started = time.monotonic()
    reply = cli(ns, "DEBUG", "POPULATE", str(count), timeout=timeout)
    point["populate_seconds"] = time.monotonic() - started
    if reply != "OK":
        point["unsupported"] = bool(re.search(r"unknown (command|subcommand)", reply, re.I))
        point["problems"].append(f"DEBUG POPULATE {count}: {reply[:300]}")
        return point
    point["used_after"] = used_memory(ns)
    point["keys"] = int(cli(ns, "DBSIZE"))
    if point["keys"] != count:
        point["problems"].append(f"DBSIZE {point['keys']} after DEBUG POPULATE {count}")
    if point["keys"]:
        point["bytes_per_key"] = (point["used_after"] - point["used_before"]) / point["keys"]
    return point


def timed_flush(ns: str, timeout: float) -> dict:
    """flush() as a figure: {keys, seconds}, or {keys, seconds: None, error} when FLUSHALL does
    not answer in `timeout` (the guest may still be busy emptying itself)."""
    keys = int(cli(ns, "DBSIZE"))
    try:
        return flush(ns, timeout)
    except TargetError as e:
        return {"keys": keys, "seconds": None, "error": str(e)}


# -- one boot -------------------------------------------------------------------------------


def benchmark_run(boot: Boot, test: str, requests: int, pipeline: int, args: argparse.Namespace) -> dict:
    """redis-benchmark -t `test` against the booted guest (ended early if QEMU exits)."""
    return run_redis_benchmark(GUEST_ADDRESS, APPS[APP].port, test, requests, args.clients, pipeline,
                               args.data_size, args.keyspace, netns_prefix(boot.ns),
                               alive=lambda: boot.target.running)


def describe_run(run: dict) -> str:
    if run.get("unsupported"):
        return "n/a (" + "; ".join(run["problems"]) + ")"
    text = f"{run['rps']:,.0f} req/s" if run.get("rps") else "no rate"
    if run.get("p50_ms") is not None:
        text += f", p50 {run['p50_ms']:.3f} ms, p99 {run['p99_ms']:.3f} ms"
    if run["failed"]:
        text += " — FAILED: " + "; ".join(run["problems"])
    return text


PHASE_POPULATE = "memory"


def phase_name(phase) -> str:
    """A round's phases: the pass with each -P (1: plain), and PHASE_POPULATE."""
    if phase == PHASE_POPULATE:
        return "memory per key"
    return "the plain pass" if phase <= 1 else f"the -P {phase} pass"


def phase_boot(guest: Guest, args: argparse.Namespace, ns: str, round_no: int, phase) -> None:
    """One boot of `guest` for one phase (a pass, or the memory figure); appends its sample to
    guest.samples."""
    log(f"round {round_no}: {guest.title}: booting for {phase_name(phase)}")
    with Boot(guest, args.memory, ns, args.boot_timeout, args.verbose) as boot:
        s = boot.sample
        s.update(round=round_no, phase=phase, runs={})
        if not boot.ok:
            s["error"] = boot.failure()
            guest.samples["failures"].append(f"round {round_no}, {phase_name(phase)}: {s['error']}")
            log(f"round {round_no}: {guest.title}: FAILED to serve: {s['error']}")
            guest.samples["boots"].append(s)
            return
        log(f"round {round_no}: {guest.title}: first PONG {s['first_response_s']:.2f} s after QEMU start, "
            f"ready line {fmt_s(s.get('ready_line_s'))}")
        try:
            check_config(guest, s, ns, round_no)
            if phase == PHASE_POPULATE:
                populate_phase(guest, boot, args, ns, round_no)
            else:
                pass_phase(guest, boot, args, ns, round_no, phase)
        except TargetError as e:  # redis-cli could not reach the guest, or it did not answer
            s["error"] = str(e)
            boot.still_serving()
            guest.samples["failures"].append(f"round {round_no}, {phase_name(phase)}: {e}")
            log(f"round {round_no}: {guest.title}: FAILED: {e}")
        guest.samples["boots"].append(s)


def check_config(guest: Guest, s: dict, ns: str, round_no: int) -> None:
    s["server_config"] = server_config(ns)
    if guest.kind == "linux":
        wrong = {k: v for k, v in s["server_config"].items() if v != EXPECTED_CONFIG[k]}
        if wrong:
            guest.samples["failures"].append(f"round {round_no}: redis-server runs with {wrong}, "
                                             f"not {EXPECTED_CONFIG} (tools/linux_guest/redis.conf)")


def pass_phase(guest: Guest, boot: Boot, args: argparse.Namespace, ns: str, round_no: int, pipeline: int) -> None:
    """Warm-up, FLUSHALL, every test with -P `pipeline`, PING, then the timed FLUSHALL."""
    s = boot.sample
    unknown: dict[str, str] = {}  # test -> why it is n/a on this guest
    if args.warmup:
        started = time.monotonic()
        for test in args.tests:
            run = benchmark_run(boot, test, args.warmup, pipeline, args)
            if run["unsupported"]:
                unknown[test] = run["problems"][0]
        s["warmup_seconds"] = time.monotonic() - started
        log(f"round {round_no}: {guest.title}: warm-up done ({s['warmup_seconds']:.0f} s)"
            + (f"; n/a: {', '.join(unknown)}" if unknown else ""))
    flush(ns, args.populate_timeout)
    for test in args.tests:
        key = run_key(test, pipeline)
        if test in unknown:
            s["runs"][key] = {"test": test, "pipeline": pipeline, "unsupported": True, "failed": True,
                              "problems": [unknown[test]], "skipped": "n/a in this boot's warm-up"}
            continue
        run = benchmark_run(boot, test, args.requests if pipeline <= 1 else args.pipelined_requests,
                            pipeline, args)
        s["runs"][key] = run
        if run["unsupported"]:
            unknown[test] = run["problems"][0]
        log(f"round {round_no}: {guest.title}: {run_title(test, pipeline)}: {describe_run(run)}")
        if run["failed"] and not run["unsupported"] and not boot.still_serving():
            stopped(guest, s, round_no, run_title(test, pipeline))
            return
    if not boot.still_serving():
        stopped(guest, s, round_no, phase_name(pipeline))
        return
    flush_figure(guest, s, ns, args, round_no, f"what {phase_name(pipeline)} left")


def populate_phase(guest: Guest, boot: Boot, args: argparse.Namespace, ns: str, round_no: int) -> None:
    """Bytes per key (memory_point), PING, then the timed FLUSHALL of the populated keys."""
    s = boot.sample
    point = memory_point(ns, args.populate, args.populate_timeout)
    s["memory_per_key"] = point
    if point.get("bytes_per_key") is not None:
        log(f"round {round_no}: {guest.title}: {point['bytes_per_key']:.1f} bytes per key "
            f"(used_memory {point['used_before']:,} -> {point['used_after']:,} for {point['keys']:,} keys; "
            f"DEBUG POPULATE took {point['populate_seconds']:.1f} s)"
            + (" — " + "; ".join(point["problems"]) if point["problems"] else ""))
    else:
        log(f"round {round_no}: {guest.title}: memory per key: "
            + ("n/a: " if point["unsupported"] else "FAILED: ") + "; ".join(point["problems"]))
    if not boot.still_serving():
        stopped(guest, s, round_no, f"DEBUG POPULATE {args.populate}")
        return
    if point.get("keys"):
        flush_figure(guest, s, ns, args, round_no, f"the {point['keys']:,} populated keys")


def flush_figure(guest: Guest, s: dict, ns: str, args: argparse.Namespace, round_no: int, what: str) -> None:
    """The boot's last step: how long FLUSHALL of what is there takes (a FLUSHALL that does not
    answer in --flush-timeout is listed as a failure of that figure alone)."""
    s["flush"] = f = timed_flush(ns, args.flush_timeout)
    if f["seconds"] is None:
        guest.samples["failures"].append(f"round {round_no}: FLUSHALL of {what} ({f['keys']:,} keys): "
                                         f"{f['error']}")
        log(f"round {round_no}: {guest.title}: FLUSHALL of {f['keys']:,} keys: FAILED: {f['error']}")
    else:
        log(f"round {round_no}: {guest.title}: FLUSHALL of {f['keys']:,} keys took {f['seconds']:.2f} s")


def stopped(guest: Guest, s: dict, round_no: int, during: str) -> None:
    guest.samples["failures"].append(f"round {round_no}: stopped serving during {during}: {s['not_serving']}")
    log(f"round {round_no}: {guest.title}: STOPPED SERVING during {during}: {s['not_serving']}")


def serves_redis(guest: Guest, mib: int, args: argparse.Namespace, ns: str, timeout: float) -> tuple[bool, str]:
    """Does `guest` boot with -m <mib>M and serve: PING, a short SET then GET redis-benchmark
    without an error reply, PING again? (harness.guests.memory_search's question for this app.)"""
    try:
        with Boot(guest, f"{mib}M", ns, timeout, args.verbose) as boot:
            if not boot.ok:
                return False, boot.failure()[:300]
            rates = []
            for test in ("set", "get"):
                run = benchmark_run(boot, test, args.memory_check_requests, 1, args)
                if run["failed"]:
                    return False, f"{test}: " + "; ".join(run["problems"])[:300]
                rates.append(f"{test.upper()} {run['rps']:,.0f} req/s")
            if not boot.still_serving():
                return False, "stopped serving after SET/GET"
            return True, f"first PONG {boot.sample['first_response_s']:.2f} s, " + ", ".join(rates)
    except TargetError as e:
        return False, str(e)


# -- summary and report ---------------------------------------------------------------------


def summarize(guest: Guest, args: argparse.Namespace) -> dict:
    """Medians over the clean runs per test and mode (requests/s, p50, p99), with counts of
    runs, failed runs and n/a runs; the same for bytes per key and the first PONG."""
    boots = guest.samples["boots"]
    out: dict = {"tests": {}}
    for pipeline in args.modes:
        for test in args.tests:
            key = run_key(test, pipeline)
            runs = [b["runs"][key] for b in boots if key in b.get("runs", {})]
            clean = [r for r in runs if not r["failed"]]
            out["tests"][key] = {
                "test": test, "pipeline": pipeline,
                **{k: spread(r.get(k) for r in clean)["median"] for k in ("p50_ms", "p99_ms", "avg_ms")},
                **spread(r.get("rps") for r in clean),
                "runs": len(runs), "failed": sum(1 for r in runs if r["failed"] and not r["unsupported"]),
                "unsupported": sum(1 for r in runs if r["unsupported"]),
                "problems": [p for r in runs if not r["unsupported"] for p in r["problems"]]}
    points = [b["memory_per_key"] for b in boots if "memory_per_key" in b]
    good = [p for p in points if not p["problems"]]
    out["bytes_per_key"] = {**spread(p.get("bytes_per_key") for p in good), "runs": len(points),
                            "failed": sum(1 for p in points if p["problems"] and not p["unsupported"]),
                            "unsupported": sum(1 for p in points if p["unsupported"]),
                            "problems": [q for p in points for q in p["problems"]]}
    out["flushes"] = {}  # by phase (its key as a string): FLUSHALL of what it left
    for phase in [*args.modes, *([PHASE_POPULATE] if args.populate else [])]:
        flushes = [b["flush"] for b in boots if b.get("phase") == phase and "flush" in b]
        out["flushes"][str(phase)] = {**spread(f["seconds"] for f in flushes), "runs": len(flushes),
                                      "failed": sum(1 for f in flushes if f["seconds"] is None), "unsupported": 0,
                                      "keys": spread(f["keys"] for f in flushes)["median"]}
    firsts = [b.get("first_response_s") for b in boots]
    out["first_response_s"] = {**spread(firsts), "runs": len(boots), "failed": sum(1 for f in firsts if f is None),
                               "unsupported": 0}
    out["stopped_serving"] = sum(1 for b in boots if b.get("served_after") is False)
    return out


def cell(entry: dict, fmt: str) -> str:
    """The median; "n/a" when every run was of a command the server does not have; FAILED
    when no run counted; failed runs (left out of the median) said."""
    if entry["runs"] and entry["unsupported"] == entry["runs"]:
        return "n/a"
    if entry["median"] is None:
        return f"FAILED ({entry['failed']} of {entry['runs']})" if entry["runs"] else "–"
    text = format(entry["median"], fmt)
    if entry["failed"]:
        text += f" ({entry['failed']} of {entry['runs']} failed)"
    return text


def latency_cell(entry: dict) -> str:
    if entry["median"] is None or entry.get("p50_ms") is None:
        return ""
    return f"{entry['p50_ms']:.2f} / {entry['p99_ms']:.2f}"


def ratio_cell(a: dict, b: dict) -> str:
    r = ratio(a["median"], b["median"])
    if r is None:
        return "–"
    return f"{r:.2f}×" if r >= 0.1 else f"{r:.3f}×"


def print_report(doc: dict) -> None:
    ctx, cfg = doc["context"], doc["config"]
    a, b = doc["slots"]
    ta, tb = doc["titles"][a], doc["titles"][b]
    sa, sb = doc["summary"][a], doc["summary"][b]
    print()
    print(f"Redis benchmark: {ta} vs {tb} on {ctx['board']}, 1 vCPU, -m {ctx['memory']}, tap networking")
    print(f"Both guests under TCG (no KVM) on the same QEMU: {ctx['qemu']}"
          + (f"; extra QEMU options for both: {cfg['qemu_args']}" if cfg.get("qemu_args") else ""))
    print(f"Host: {ctx['cpu']}, {ctx['host_cpus']} CPUs, Linux {ctx['host_kernel']}; {ctx['date']}; "
          f"client {ctx['tools'].get('redis-benchmark', '?')}")
    print(f"Coronet {ctx['coronet_commit']}, build type {doc.get('coronet_build_type', '?')}; "
          f"Linux guest: " + ", ".join(f"{k} {v}" for k, v in doc.get("linux", {}).items()))
    configs = {slot: [b.get("server_config") for b in doc["samples"][slot] if b.get("server_config")]
               for slot in doc["slots"]}
    for slot in doc["slots"]:
        if configs[slot]:
            print(f"{doc['titles'][slot]}: CONFIG GET " + ", ".join(
                f"{k} {v!r}" for k, v in configs[slot][0].items()))
    print(f"{cfg['rounds']} round(s), a fresh boot per pass and for memory, A/B alternating; medians of runs "
          f"without failures; "
          f"redis-benchmark -c {cfg['clients']} -d {cfg['data_size']} -r {cfg['keyspace']} --csv, one -t per run, "
          f"-n {cfg['requests']} (with -P {cfg['pipeline']}: -n {cfg['pipelined_requests']}), "
          f"FLUSHALL after the warm-up (-n {cfg['warmup']} per test)")
    print()
    print(f"| redis-benchmark (requests/s) | {ta} | {tb} | {ta} / {tb} | p50 / p99 ms, {ta} | p50 / p99 ms, {tb} |")
    print("|---|---:|---:|---:|---:|---:|")
    for pipeline in cfg["modes"]:
        for test in cfg["tests"]:
            key = run_key(test, pipeline)
            ea, eb = sa["tests"][key], sb["tests"][key]
            print(f"| {run_title(test, pipeline)} | {cell(ea, ',.0f')} | {cell(eb, ',.0f')} | {ratio_cell(ea, eb)} | "
                  f"{latency_cell(ea)} | {latency_cell(eb)} |")
    print()
    print(f"| memory and boot | {ta} | {tb} | {ta} / {tb} |")
    print("|---|---:|---:|---:|")
    if cfg["populate"]:
        print(f"| bytes per key, DEBUG POPULATE {cfg['populate']:,} (used_memory growth / keys) | "
              f"{cell(sa['bytes_per_key'], ',.1f')} | {cell(sb['bytes_per_key'], ',.1f')} | "
              f"{ratio_cell(sa['bytes_per_key'], sb['bytes_per_key'])} |")
    ma, mb = doc["memory_search"].get(a), doc["memory_search"].get(b)
    if ma and mb:
        def mcell(m):
            return f"{'≤ ' if m.get('at_or_below') else ''}{m['smallest_mib']} MiB"
        print(f"| smallest -m serving SET + GET (-n {cfg['memory_check_requests']} each; bisection) | "
              f"{mcell(ma)} | {mcell(mb)} | {ma['smallest_mib'] / mb['smallest_mib']:.2f}× |")
    def fcell(f: dict) -> str:
        if f["median"] is None and f["failed"]:
            return f"> {cfg['flush_timeout']:g} (no answer; {f['keys']:,.0f} keys)"
        return cell(f, ".2f") + (f" ({f['keys']:,.0f} keys)" if f["median"] is not None else "")

    for phase, fa in sa["flushes"].items():
        fb = sb["flushes"].get(phase)
        if fb and (fa["runs"] or fb["runs"]):
            what = (f"the {cfg['populate']:,} populated keys" if phase == PHASE_POPULATE
                    else f"what {phase_name(int(phase))} left")
            print(f"| FLUSHALL of {what} (s) | {fcell(fa)} | {fcell(fb)} | {ratio_cell(fa, fb)} |")
    print(f"| QEMU start → first PONG (s) | {cell(sa['first_response_s'], '.2f')} | "
          f"{cell(sb['first_response_s'], '.2f')} | {ratio_cell(sa['first_response_s'], sb['first_response_s'])} |")
    ia, ib = doc["images"][a], doc["images"][b]
    size_a, size_b = sum(ia.values()), sum(ib.values())
    print(f"| image QEMU loads (MB) | {size_a / 1e6:.2f} | {size_b / 1e6:.2f} "
          f"({' + '.join(f'{Path(k).name} {v / 1e6:.1f}' for k, v in ib.items())}) | {size_a / size_b:.3f}× |")
    na = [f"{doc['titles'][slot]}: {run_title(e['test'], e['pipeline'])}" for slot in doc["slots"]
          for e in doc["summary"][slot]["tests"].values() if e["runs"] and e["unsupported"] == e["runs"]]
    if na:
        print("\nn/a (the server answered \"unknown command\"; not counted as failures): " + "; ".join(na))
    problems = []
    for slot in doc["slots"]:
        t = doc["titles"][slot]
        problems += [f"{t}: {f}" for f in doc["failures"][slot]]
        for e in doc["summary"][slot]["tests"].values():
            problems += [f"{t}: {run_title(e['test'], e['pipeline'])}: {p}" for p in e["problems"]]
        bpk = doc["summary"][slot]["bytes_per_key"]
        if bpk["failed"]:
            problems += [f"{t}: memory per key: {p}" for p in bpk["problems"]]
    if cfg["interrupted"]:
        print("\nINTERRUPTED (Ctrl-C or SIGTERM): the figures are those of the runs that finished.")
    if problems:
        print("\nRuns with failures (left out of the medians):")
        for p in problems:
            print(f"  - {p}")
    else:
        print("\nNo failed runs or error replies; both guests still served after every pass.")


def failed(doc: dict) -> bool:
    return bool(doc["config"]["interrupted"] or any(doc["failures"].values()) or any(
        e["failed"] for s in doc["summary"].values() for e in [*s["tests"].values(), s["bytes_per_key"]]))


# -- command line ---------------------------------------------------------------------------


def test_list(text: str) -> list[str]:
    tests = [t.strip().lower() for t in text.split(",") if t.strip()]
    unknown = [t for t in tests if t not in TESTS]
    if not tests or unknown:
        raise argparse.ArgumentTypeError(f"tests are some of {','.join(TESTS)}; not {','.join(unknown) or text!r}")
    return [t for t in TESTS if t in tests]  # redis-benchmark's order


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="tools/bench redis", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--board", default="qemu-x86_64", choices=list_boards(),
                   help="board for both guests (default %(default)s)")
    p.add_argument("--targets", default="coronet,linux",
                   help="the two guests, A,B (coronet or linux each; default %(default)s; "
                        "linux,linux checks the bench itself)")
    p.add_argument("--build-dir", default="build-release",
                   help="Coronet build directory (default %(default)s: a Release build, as Debian's "
                        "redis-server is optimised)")
    p.add_argument("--memory", default="1G",
                   help="guest RAM for both (default %(default)s: the mset test's keys need more than 256M "
                        "in redis-server)")
    p.add_argument("--rounds", type=int, default=3, help="boots per guest (default %(default)s)")
    p.add_argument("--tests", type=test_list, default=list(TESTS),
                   help=f"redis-benchmark -t names, comma-separated (default {','.join(TESTS)})")
    p.add_argument("--requests", "-n", type=int, default=None,
                   help="redis-benchmark -n per test, unpipelined (default 100000; --quick 5000)")
    p.add_argument("--pipelined-requests", type=int, default=None,
                   help="redis-benchmark -n per test with -P (default 100000; --quick 20000)")
    p.add_argument("--pipeline", type=int, default=16,
                   help="-P of the pipelined pass (default %(default)s; 1: no pipelined pass)")
    p.add_argument("--clients", type=int, default=50, help="redis-benchmark -c (default %(default)s)")
    p.add_argument("--data-size", type=int, default=256, help="redis-benchmark -d (default %(default)s)")
    p.add_argument("--keyspace", type=int, default=1000000, help="redis-benchmark -r (default %(default)s)")
    p.add_argument("--warmup", type=int, default=None,
                   help="redis-benchmark -n of each test, both passes, before the measured runs of each "
                        "boot, not counted (default 2000; --quick 500; 0: none)")
    p.add_argument("--populate", type=int, default=1000000,
                   help="keys DEBUG POPULATE makes for the memory-per-key figure (default %(default)s; "
                        "0: skip)")
    p.add_argument("--populate-timeout", type=float, default=600,
                   help="seconds DEBUG POPULATE may take (default %(default)s)")
    p.add_argument("--flush-timeout", type=float, default=120,
                   help="seconds the FLUSHALL at the end of a boot may take (default %(default)s; the one "
                        "before a pass may take --populate-timeout)")
    add_guest_options(p, first_answer="the first PONG", memory_min=4, check_requests=10000,
                      check_help="redis-benchmark -n of SET, then of GET, a memory size must serve")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run: 1 round, -n 5000 (pipelined 20000), warm-up 500, no memory "
                        "search unless --memory-search (about 3 minutes)")
    add_output_options(p, "redis")
    args = p.parse_args(argv)
    defaults = {"requests": (100000, 5000), "pipelined_requests": (100000, 20000), "warmup": (2000, 500)}
    for name, (full, quick) in defaults.items():  # what --quick sets, unless given
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    if args.quick:
        args.rounds = 1
    finish_guest_options(p, args)
    if args.rounds < 1 or args.requests < 1 or args.pipelined_requests < 1 or args.pipeline < 1:
        p.error("--rounds, --requests, --pipelined-requests and --pipeline must be at least 1")
    args.modes = [1] + ([args.pipeline] if args.pipeline > 1 else [])
    return args


CONFIG_KEYS = ("memory", "qemu_args", "coronet_append", "linux_append", "rounds", "tests", "modes", "requests",
               "pipelined_requests", "pipeline", "clients", "data_size", "keyspace", "warmup", "populate",
               "memory_search", "memory_min", "memory_step", "memory_check_requests", "boot_timeout",
               "flush_timeout", "populate_timeout")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if not preflight(("redis-benchmark", "redis-cli", "ip"), log):
        return 2
    build_dir = build_path(args.build_dir)
    labels = args.kinds if args.kinds[0] != args.kinds[1] else [f"{k}-{s}" for k, s in zip(args.kinds, "AB")]
    guests = [Guest(label, kind, args.board, build_dir,
                    args.coronet_append if kind == "coronet" else args.linux_append,
                    tuple(shlex.split(args.qemu_args)), app=APP)
              for label, kind in zip(labels, args.kinds)]
    # The Linux guest is repacked when tools/linux_guest changed since its last build: its
    # redis.conf allows DEBUG (POPULATE), which an older initramfs refuses.
    if not guests_ready(guests, build_dir, log, rebuild_stale=True):
        return 2

    stop_on_sigterm()
    context = machine_context(args.board, args.memory,
                              (("redis-benchmark", ["redis-benchmark", "--version"]),
                               ("redis-cli", ["redis-cli", "--version"])))
    log(f"{context['board']}, -m {args.memory}, {context['qemu']}, host {context['cpu']}")
    memory_results: dict[str, dict] = {}

    def measure(ns_name: str) -> None:
        for r in range(1, args.rounds + 1):
            for phase in [*args.modes, *([PHASE_POPULATE] if args.populate else [])]:
                for g in guests:
                    phase_boot(g, args, ns_name, r, phase)
        if args.memory_search:
            for g in guests:
                memory_results[g.label] = memory_search(g, args, ns_name, serves_redis, log)

    interrupted = measure_in_namespace(f"bench-redis-{os.getpid()}", measure, log)

    doc = {
        "context": context,
        "config": {k: getattr(args, k) for k in CONFIG_KEYS} | {"interrupted": interrupted,
                                                                "expected_linux_config": EXPECTED_CONFIG},
        "slots": [g.label for g in guests],
        "titles": {g.label: g.title for g in guests},
        "coronet_build_dir": str(build_dir),
        "coronet_build_type": build_type(build_dir),
        "linux": linux_versions(args.board),
        "images": {g.label: g.image_files() for g in guests},
        "summary": {g.label: summarize(g, args) for g in guests},
        "memory_search": memory_results,
        "failures": {g.label: g.samples["failures"] for g in guests},
        "samples": {g.label: g.samples["boots"] for g in guests},
    }
    publish("redis", doc, Path(args.json), Path(args.png), print_report, log, args.update_readme_assets)
    return 1 if failed(doc) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
