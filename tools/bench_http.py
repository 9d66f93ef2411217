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
import contextlib
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ROOT, build_path  # noqa: E402
from harness.appliance import APPS, appliance_image, appliance_target  # noqa: E402
from harness.chart import publish  # noqa: E402
from harness.loadgen import WRK_TIMEOUT, run_ab, run_wrk  # noqa: E402
from harness.netns import (  # noqa: E402
    GUEST_ADDRESS, HOST_ADDRESS, PREFIX, measure_in_namespace, netns_prefix)
from harness.probe import run_probe  # noqa: E402
from harness.qmp import qmp_args, virtio_queues  # noqa: E402
from harness.report import build_type, cpu_model, preflight, qemu_version, ratio, spread, stop_on_sigterm, utc_now  # noqa: E402
from linux_guest import READY as LINUX_READY, artifacts, linux_target, manifest_path, stale_inputs  # noqa: E402
from target import QemuTarget, TargetError, list_boards, load_board  # noqa: E402

PIPELINE_DEPTH = 16
AB_MIN_REQUESTS, AB_MAX_REQUESTS = 20000, 2000000
# On AArch64 boards both guests get QEMU's implementation-defined pointer authentication:
# Debian's kernel signs return addresses (CONFIG_ARM64_PTR_AUTH_KERNEL), Coronet does not,
# and the architected algorithm (QARMA) is slow to emulate: left on, it cut the Linux guest
# to about a quarter of its throughput, which would flatter Coronet.
AARCH64_QEMU_ARGS = "-cpu max,pauth-impdef=on"
URL = f"http://{GUEST_ADDRESS}/"


def log(msg: str) -> None:
    print(f"bench http: {msg}", file=sys.stderr, flush=True)


# -- guests -------------------------------------------------------------------------------


# The Linux guest's server for each app a benchmark drives (tools/linux_guest runs both).
LINUX_SERVERS = {"http": "nginx", "redis": "redis-server", "websocket": "ws and Boost.Beast"}


@dataclass
class Guest:
    """One of the two benchmarked systems ("slot"): how to boot it and what it is. `app` is
    the server the benchmark drives ("http" here; tools/bench redis uses "redis"): what a
    boot waits for and probes, and the Linux guest's title."""

    label: str
    kind: str  # "coronet" or "linux"
    board: str
    build_dir: Path
    append: str = ""
    qemu_args: tuple[str, ...] = ()
    samples: dict = field(default_factory=lambda: {"boots": [], "failures": []})
    app: str = "http"

    @property
    def title(self) -> str:
        return ({"coronet": "Coronet", "linux": f"Linux + {LINUX_SERVERS[self.app]}"}[self.kind]
                + self.label[len(self.kind):])

    @property
    def websocket(self) -> bool:
        """Whether the Linux guest needs its WebSocket servers (initrd-ws.img: a bigger image
        that needs more memory and boots slower, so only for tools/bench websocket)."""
        return self.app == "websocket"

    @property
    def ready_regex(self) -> str:
        return APPS[self.app].listening if self.kind == "coronet" else LINUX_READY

    @property
    def probe(self) -> tuple[str, int]:
        """harness.probe's kind (an HTTP GET / or a Redis PING) and the port it tries."""
        return ("redis" if self.app == "redis" else "http"), APPS[self.app].port

    def target(self, memory: str, netns: str, echo=None, qmp: Optional[str] = None) -> QemuTarget:
        """The QEMU machine; `qmp` is a unix socket path for QEMU's QMP monitor (used only
        to read the virtio queues when a guest stops serving; invisible to the guest)."""
        extra = list(self.qemu_args) + (qmp_args(qmp) if qmp else [])
        if self.kind == "coronet":
            return appliance_target(self.board, "tap", netns=netns, build_dir=self.build_dir, memory=memory,
                                    append=self.append, echo=echo, extra_args=extra)
        return linux_target(self.board, memory=memory, net="tap", netns=netns, ip=f"{GUEST_ADDRESS}/{PREFIX}",
                            websocket=self.websocket,
                            gw=HOST_ADDRESS, append=self.append, echo=echo, extra_args=extra)

    def image_files(self) -> dict[str, int]:
        """Files QEMU loads for this guest, with their sizes in bytes."""
        if self.kind == "coronet":
            path = appliance_image(self.board, self.build_dir)
            return {str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path): path.stat().st_size}
        arch = load_board(self.board)["arch"]
        return {str(p.relative_to(ROOT)): p.stat().st_size for p in artifacts(arch, self.websocket)}

    def check_built(self, rebuild_stale: bool = False, say: Callable[[str], None] = log) -> None:
        """The image is there; the Linux guest is built when missing and, with `rebuild_stale`,
        also when tools/linux_guest's files changed since its last build (a repack, seconds)."""
        if self.kind == "coronet":
            path = appliance_image(self.board, self.build_dir)
            if not path.is_file():
                raise TargetError(f"no Coronet image at {path} (cmake --build {self.build_dir})")
        else:
            arch = load_board(self.board)["arch"]
            stale = stale_inputs(arch) if rebuild_stale else []
            if not all(p.is_file() for p in artifacts(arch, self.websocket)) or stale:
                say(f"building the Linux guest for {arch} (tools/linux_guest/build)"
                    + (f": changed since the last build: {', '.join(stale)}" if stale else ""))
                subprocess.run([str(ROOT / "tools" / "linux_guest" / "build"), "--arch", arch], check=True)


def guests_ready(guests: list[Guest], build_dir: Path, say: Callable[[str], None],
                 rebuild_stale: bool = False) -> bool:
    """Whether every guest's image is there (the Linux guest is built if need be, or with
    `rebuild_stale` when its inputs changed; says what is missing); warns when Coronet's
    build is not a Release one."""
    try:
        for g in guests:
            g.check_built(rebuild_stale, say)
    except (TargetError, subprocess.CalledProcessError) as e:
        say(str(e))
        return False
    if any(g.kind == "coronet" for g in guests) and build_type(build_dir) != "Release":
        say(f"warning: {build_dir} is a {build_type(build_dir)} build; figures against nginx want Release")
    return True


# -- one boot -----------------------------------------------------------------------------


class Boot:
    """A guest booted in the namespace: QEMU start -> first HTTP 200 (first PONG for a guest
    whose app is redis) and -> ready line. Use as a context manager; leaving it powers QEMU
    off."""

    def __init__(self, guest: Guest, memory: str, ns: str, timeout: float, verbose: bool):
        echo = (lambda line: print(f"  {guest.label}| {line}", flush=True)) if verbose else None
        self.guest = guest
        self.ns = ns
        self.qmp = str(Path(tempfile.gettempdir()) / f"bench-http-{os.getpid()}.qmp")
        self.target = guest.target(memory, ns, echo, self.qmp)
        self.timeout = timeout
        self.sample: dict = {"memory": memory}

    def __enter__(self) -> "Boot":
        try:
            self.target.boot()
            kind, port = self.guest.probe
            first = run_probe(netns_prefix(self.ns), kind, GUEST_ADDRESS, port, self.timeout, self.target)
        except BaseException:
            self.target.power_off()  # __exit__ does not run when __enter__ raises
            raise
        self.sample["first_response_s"] = first["t"] - self.target.started_at if first["ok"] else None
        self.sample["first_response"] = first
        if first["ok"]:
            try:
                _, line, _ = self.target.console.wait_for(self.guest.ready_regex, 5, 0)
                self.sample["ready_line_s"] = line.time - self.target.started_at
            except TargetError:
                self.sample["ready_line_s"] = None
        return self

    @property
    def ok(self) -> bool:
        return self.sample["first_response_s"] is not None

    def still_serving(self) -> bool:
        """One more GET (PING; a few seconds to answer); if none, the reason goes to the sample."""
        kind, port = self.guest.probe
        again = run_probe(netns_prefix(self.ns), kind, GUEST_ADDRESS, port, 3, self.target)
        self.sample["served_after"] = bool(again["ok"])
        if not again["ok"]:
            self.sample["not_serving"] = self.failure(again)
            if self.target.running:
                self.sample["virtio_queues"] = virtio_queues(self.qmp)
        return again["ok"]

    def failure(self, probe: Optional[dict] = None) -> str:
        """Why the guest does not answer: QEMU's state, the probe's error, the console's end."""
        err = (probe or self.sample["first_response"]).get("error", "?")
        answer = "no HTTP 200" if self.guest.probe[0] == "http" else "no PONG"
        why = answer if self.target.running else f"QEMU exited {self.target.qemu_returncode}"
        tail = self.target.console.tail(12)
        return f"{why} ({err}); console tail: " + " / ".join(tail)

    def __exit__(self, *exc) -> None:
        self.target.power_off()
        with contextlib.suppress(OSError):
            os.unlink(self.qmp)
        if any("PANIC" in l.text or "Kernel panic" in l.text for l in self.target.console.lines):
            self.sample["panic"] = True


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


def memory_search(guest: Guest, args: argparse.Namespace, ns: str,
                  serves: Optional[Callable[..., tuple[bool, str]]] = None,
                  say: Callable[[str], None] = log) -> dict:
    """Bisection for the smallest -m (MiB) that serves, between --memory-min and the
    benchmark's own -m (which served in the rounds). `serves(guest, mib, args, ns, timeout)`
    says whether a size serves, and how (default serves_with: GET /, ab, GET /); each trial
    is reported through `say`."""
    serves = serves or serves_with
    hi = mib_of(args.memory)
    lo = args.memory_min
    firsts = [b["first_response_s"] for b in guest.samples["boots"] if b.get("first_response_s")]
    # A guest short of memory may boot much slower before it fails or serves.
    timeout = min(args.boot_timeout, 3 * max(firsts, default=20) + 15)
    trials = []

    def trial(mib: int) -> bool:
        ok, detail = serves(guest, mib, args, ns, timeout)
        trials.append({"mib": mib, "ok": ok, "detail": detail})
        say(f"memory: {guest.title}: -m {mib}M {'serves' if ok else 'fails'} ({detail})")
        return ok

    if trial(lo):
        return {"smallest_mib": lo, "at_or_below": True, "trials": trials}
    while hi - lo > max(args.memory_step, round(hi * 0.05)):
        mid = (lo + hi) // 2
        if trial(mid):
            hi = mid
        else:
            lo = mid
    return {"smallest_mib": hi, "largest_failing_mib": lo, "trials": trials}


# -- summaries ----------------------------------------------------------------------------


def mib_of(size: str) -> int:
    m = re.fullmatch(r"(\d+)([MG]?)", size.strip().upper().removesuffix("B").removesuffix("I"))
    if not m:
        raise SystemExit(f"bench http: cannot read memory size {size!r} (e.g. 256M, 1G)")
    return int(m.group(1)) * (1024 if m.group(2) == "G" else 1)


def fmt_s(v: Optional[float]) -> str:
    return f"{v:.2f} s" if v is not None else "–"


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


def machine_context(board: str, memory: str,
                    tools: tuple[tuple[str, list[str]], ...] = (("ab", ["ab", "-V"]), ("wrk", ["wrk", "-v"]))) -> dict:
    """Host, QEMU, the clients' versions (`tools`: name and the argv printing its version),
    Coronet's commit and the date, for a benchmark's report."""
    cpu = cpu_model()
    qemu = QemuTarget(board).qemu_argv()[0]
    versions = {}
    for tool, argv in tools:
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            versions[tool] = (r.stdout + r.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            versions[tool] = "?"
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except OSError:
        commit = "?"
    return {"cpu": cpu, "host_cpus": os.cpu_count(), "host_kernel": platform.release(),
            "qemu_argv": QemuTarget(board, memory=memory).qemu_argv(),
            "qemu": qemu_version(qemu), "accelerator": "TCG (no KVM), same QEMU for both guests",
            "board": board, "memory": memory, "vcpus": 1, "tools": versions, "coronet_commit": commit,
            "date": utc_now()}


def linux_versions(board: str) -> dict:
    try:
        m = json.loads(manifest_path(load_board(board)["arch"]).read_text())
    except (OSError, ValueError):
        return {}
    pk = m.get("packages", {})
    return {"kernel": f"{m['kernel']['package']} {m['kernel']['version']}",
            "nginx": pk.get("nginx", "?"), "redis-server": pk.get("redis-server", "?"),
            "busybox-static": pk.get("busybox-static", "?"), "libc6": pk.get("libc6", "?")}


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


def add_guest_options(p: argparse.ArgumentParser, first_answer: str, memory_min: int, check_requests: int,
                      check_help: str) -> None:
    """The options an A/B guest benchmark (tools/bench http, tools/bench redis) has beside its
    workload: the smallest-memory bisection, the boot timeout, QEMU and kernel command-line
    extras. `first_answer` is what a boot waits for; `check_help` what a memory size must serve."""
    p.add_argument("--memory-search", dest="memory_search", action="store_true", default=None,
                   help="bisect for the smallest memory that serves (default: on, off with --quick)")
    p.add_argument("--no-memory-search", dest="memory_search", action="store_false",
                   help="skip the smallest-memory bisection")
    p.add_argument("--memory-min", type=int, default=memory_min, help="bisection floor in MiB (default %(default)s)")
    p.add_argument("--memory-step", type=int, default=2,
                   help="bisection resolution in MiB (default %(default)s, at least 5%% of the value)")
    p.add_argument("--memory-check-requests", type=int, default=check_requests,
                   help=f"{check_help} (default %(default)s)")
    p.add_argument("--boot-timeout", type=float, default=120,
                   help=f"seconds from QEMU start to {first_answer} (default %(default)s)")
    p.add_argument("--qemu-args", default=None,
                   help="more QEMU options for both guests (default: none, except "
                        f"\"{AARCH64_QEMU_ARGS}\" on AArch64 boards: QEMU's default "
                        "pointer-authentication algorithm is slow under TCG and only Linux "
                        "uses it; pass --qemu-args '' to measure without)")
    p.add_argument("--coronet-append", default="", help="more Coronet kernel command line")
    p.add_argument("--linux-append", default="", help="more Linux kernel command line")


def add_output_options(p: argparse.ArgumentParser, name: str) -> None:
    """Where the results and chart of `tools/bench <name>` go, and -v."""
    p.add_argument("--json", default=str(ROOT / "build" / "bench" / f"{name}.json"),
                   help=f"results file (default build/bench/{name}.json)")
    p.add_argument("--png", default=str(ROOT / "build" / "bench" / f"{name}.png"),
                   help=f"chart file (default build/bench/{name}.png)")
    p.add_argument("--update-readme-assets", action="store_true",
                   help=f"also copy the chart to docs/bench/{name}.png")
    p.add_argument("-v", "--verbose", action="store_true", help="echo the guests' consoles")


def finish_guest_options(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """After parsing add_guest_options' and --board/--targets/--memory/--quick: the board's
    QEMU default, the memory search's default from --quick, args.kinds from --targets."""
    if args.qemu_args is None:
        args.qemu_args = AARCH64_QEMU_ARGS if load_board(args.board)["arch"] == "aarch64" else ""
    if args.memory_search is None:
        args.memory_search = not args.quick
    kinds = [k.strip() for k in args.targets.split(",")]
    if len(kinds) != 2 or any(k not in ("coronet", "linux") for k in kinds):
        p.error("--targets takes two of coronet/linux, e.g. coronet,linux")
    args.kinds = kinds
    mib_of(args.memory)


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
                memory_results[g.label] = memory_search(g, args, ns_name)

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
