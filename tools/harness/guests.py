"""The two guests an A/B benchmark compares on one board (tools/bench http, redis, proxy,
websocket, connections, net): Coronet's appliance image and the Linux baseline guest
(tools/linux_guest), each booted as a QEMU target on the tap of a network namespace the
benchmark made; what a boot waits for and probes, the smallest memory that serves, and the
context and options every such benchmark's report shares."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

from linux_guest import READY as LINUX_READY, artifacts, linux_target, manifest_path, stale_inputs
from target import QemuTarget, TargetError, load_board

from . import ROOT
from .appliance import APPS, appliance_image, appliance_target
from .netns import GUEST_ADDRESS, HOST_ADDRESS, PREFIX, netns_prefix
from .probe import run_probe
from .qmp import qmp_args, virtio_queues
from .report import build_type, cpu_model, qemu_version, utc_now


def log(msg: str) -> None:
    """Where a guest's build and memory trials are said when the benchmark names no `say`."""
    print(f"bench: {msg}", file=sys.stderr, flush=True)


# On AArch64 boards both guests get QEMU's implementation-defined pointer authentication:
# Debian's kernel signs return addresses (CONFIG_ARM64_PTR_AUTH_KERNEL), Coronet does not,
# and the architected algorithm (QARMA) is slow to emulate: left on, it cut the Linux guest
# to about a quarter of its throughput, which would flatter Coronet.
AARCH64_QEMU_ARGS = "-cpu max,pauth-impdef=on"


# -- guests -------------------------------------------------------------------------------


# The Linux guest's server for each app a benchmark drives (tools/linux_guest runs both).
LINUX_SERVERS = {"http": "nginx", "redis": "redis-server", "websocket": "ws and Boost.Beast"}


@dataclass
class Guest:
    """One of the two benchmarked systems ("slot"): how to boot it and what it is. `app` is
    the server the benchmark drives ("http" for tools/bench http, and net, which waits for
    its other servers itself; "redis" for tools/bench redis): what a boot waits for and
    probes, and the Linux guest's title."""

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

    def target(self, memory: str, netns: str, echo=None, qmp: Optional[str] = None,
               tap_options: Sequence[str] = ()) -> QemuTarget:
        """The QEMU machine; `qmp` is a unix socket path for QEMU's QMP monitor (used only
        to read the virtio queues when a guest stops serving; invisible to the guest);
        `tap_options` more options of the tap netdev (the same for both guests)."""
        extra = list(self.qemu_args) + (qmp_args(qmp) if qmp else [])
        if self.kind == "coronet":
            return appliance_target(self.board, "tap", netns=netns, build_dir=self.build_dir, memory=memory,
                                    append=self.append, echo=echo, extra_args=extra, tap_options=tap_options)
        return linux_target(self.board, memory=memory, net="tap", netns=netns, ip=f"{GUEST_ADDRESS}/{PREFIX}",
                            websocket=self.websocket, gw=HOST_ADDRESS, append=self.append, echo=echo,
                            extra_args=extra, tap_options=tap_options)

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
    off. `tap_options`: more options of the tap netdev (an ImpairedNamespace's)."""

    def __init__(self, guest: Guest, memory: str, ns: str, timeout: float, verbose: bool,
                 tap_options: Sequence[str] = ()):
        echo = (lambda line: print(f"  {guest.label}| {line}", flush=True)) if verbose else None
        self.guest = guest
        self.ns = ns
        self.qmp = str(Path(tempfile.gettempdir()) / f"bench-{os.getpid()}-{id(self):x}.qmp")
        self.target = guest.target(memory, ns, echo, self.qmp, tap_options)
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


def memory_search(guest: Guest, args: argparse.Namespace, ns: str, serves: Callable[..., tuple[bool, str]],
                  say: Callable[[str], None] = log) -> dict:
    """Bisection for the smallest -m (MiB) that serves, between --memory-min and the
    benchmark's own -m (which served in the rounds). `serves(guest, mib, args, ns, timeout)`
    says whether a size serves, and how (tools/bench http: GET /, ab, GET /); each trial is
    reported through `say`."""
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


def mib_of(size: str) -> int:
    m = re.fullmatch(r"(\d+)([MG]?)", size.strip().upper().removesuffix("B").removesuffix("I"))
    if not m:
        raise SystemExit(f"bench: cannot read memory size {size!r} (e.g. 256M, 1G)")
    return int(m.group(1)) * (1024 if m.group(2) == "G" else 1)


def fmt_s(v: Optional[float]) -> str:
    return f"{v:.2f} s" if v is not None else "–"


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


def linux_versions(board: str, packages: Sequence[str] = ()) -> dict:
    """The Linux guest's kernel, nginx, redis-server, busybox and glibc versions, and those of
    `packages` too, from its build's manifest ({} if it has none)."""
    try:
        m = json.loads(manifest_path(load_board(board)["arch"]).read_text())
    except (OSError, ValueError):
        return {}
    pk = m.get("packages", {})
    return {"kernel": f"{m['kernel']['package']} {m['kernel']['version']}",
            "nginx": pk.get("nginx", "?"), "redis-server": pk.get("redis-server", "?"),
            "busybox-static": pk.get("busybox-static", "?"), "libc6": pk.get("libc6", "?"),
            **{name: pk.get(name, "?") for name in packages}}


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
