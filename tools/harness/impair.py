"""Network impairment without `tc netem` (this kernel has none): a relay that copies Ethernet
frames between the guest's tap device and a veth pair, dropping, delaying, reordering and
duplicating them per direction from a seeded generator and counting what it did; and the
namespace holding tap, veths and relay (ImpairedNamespace, usable wherever netns.Namespace is).

    QEMU ── tap0 ══ relay ══ vrelay ── vhost (HOST_ADDRESS: the clients)

tap0 and vrelay carry no address, ARP or IPv6, so the namespace's own stack never answers on
them. Offloads are off on both veth ends and QEMU opens the tap with vnet_hdr=off: every frame
the relay sees is one Ethernet frame of at most MTU size (it counts any bigger one as
`oversize` and drops it).

The relay is its own process inside the namespace (`ip netns exec NS python3 -m
harness.impair relay ...`, which ImpairedNamespace starts), so it never competes with a test's
clients for one interpreter. It reads commands on stdin, one a line: `report` (print the
counters), `set JSON` (new impairment, counters kept), `stop`; end of input stops it too. It
writes JSON lines on stdout, each a report with its "event": "ready" once its sockets are
bound, "report" or "set" answering those commands, "final" when it ends (also on SIGTERM).

Passing frames untouched it cost streams through the echo port about two thirds of their
speed here (27 MB/s straight over the tap, 7-9 MB/s through the relay, the host busy): a
Python process woken per burst adds latency. Compare guests through the same relay.
"""
from __future__ import annotations

import argparse
import dataclasses
import errno
import heapq
import json
import math
import os
import queue
import random
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Optional

from . import module_command
from .netns import HOST_ADDRESS, PREFIX, TAP, Namespace

RELAY_VETH = "vrelay"          # the veth end the relay writes to and reads from
HOST_VETH = "vhost"            # its peer, holding HOST_ADDRESS
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4            # sockaddr_ll.sll_pkttype of a frame this host sent
SOL_PACKET = 263               # not in Python's socket module
PACKET_IGNORE_OUTGOING = 23    # Linux 4.20: the socket is not shown what its device sends
MAX_FRAME = 1514               # Ethernet header + a 1500-byte MTU payload
SOCKET_BUFFER = 8 << 20        # per socket and direction: ~5 000 frames, bursts at TCG speed
READ_BATCH = 256               # frames taken from one socket before looking at the others
IDLE_POLL_MS = 200             # longest sleep: how soon a SIGTERM is noticed
OFFLOADS = ("tx", "off", "rx", "off", "tso", "off", "gso", "off", "gro", "off")


# -- what to do to the frames ---------------------------------------------------------------

@dataclass(frozen=True)
class Direction:
    """What happens to the frames going one way. Probabilities are per frame and
    independent; the delays add up (a reordered frame waits delay + jitter + reorder_ms)."""

    drop: float = 0.0          # probability a frame is lost
    delay_ms: float = 0.0      # every frame waits this long
    jitter_ms: float = 0.0     # ... plus a uniform 0..jitter_ms (frames may overtake each other)
    reorder: float = 0.0       # probability a frame is held back reorder_ms more, to be overtaken
    reorder_ms: float = 5.0
    duplicate: float = 0.0     # probability a frame is sent twice

    def __post_init__(self) -> None:
        for name in ("drop", "reorder", "duplicate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} is a probability (0..1): {getattr(self, name)}")
        for name in ("delay_ms", "jitter_ms", "reorder_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative: {getattr(self, name)}")

    @property
    def passthrough(self) -> bool:
        """Frames go straight through: nothing dropped, delayed or copied."""
        return self == Direction()

    def describe(self) -> str:
        parts = []
        if self.drop:
            parts.append(f"drop {self.drop * 100:g} %")
        if self.delay_ms or self.jitter_ms:
            parts.append(f"delay {self.delay_ms:g} ms" + (f" + 0..{self.jitter_ms:g} ms" if self.jitter_ms else ""))
        if self.reorder:
            parts.append(f"reorder {self.reorder * 100:g} % (+{self.reorder_ms:g} ms)")
        if self.duplicate:
            parts.append(f"duplicate {self.duplicate * 100:g} %")
        return ", ".join(parts) or "untouched"


@dataclass(frozen=True)
class Impairment:
    """Both directions and the seed of their generators: the same seed takes the same
    decisions for the n-th frame each way, whatever the timing."""

    to_host: Direction = field(default_factory=Direction)   # frames the guest sends
    to_guest: Direction = field(default_factory=Direction)  # frames the guest receives
    seed: int = 1

    @classmethod
    def symmetric(cls, seed: int = 1, **direction: float) -> "Impairment":
        """The same Direction(**direction) both ways."""
        both = Direction(**direction)
        return cls(both, both, seed)

    def with_both(self, **changes: float) -> "Impairment":
        """A copy with `changes` applied to both directions."""
        return Impairment(dataclasses.replace(self.to_host, **changes),
                          dataclasses.replace(self.to_guest, **changes), self.seed)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Impairment":
        return cls(Direction(**d.get("to_host", {})), Direction(**d.get("to_guest", {})), int(d.get("seed", 1)))

    def describe(self) -> str:
        if self.to_host == self.to_guest:
            return f"both ways: {self.to_host.describe()}; seed {self.seed}"
        return (f"guest->host: {self.to_host.describe()}; host->guest: {self.to_guest.describe()}; "
                f"seed {self.seed}")


# The network having a bad day that tests and benchmarks use: 5 % of frames dropped and all
# delayed 2 ms each way, a quarter held back 5 ms more so later ones overtake them.
STANDARD = dict(drop=0.05, delay_ms=2.0, reorder=0.25, reorder_ms=5.0)
STANDARD_SEED = 16


def add_arguments(parser: argparse.ArgumentParser, what: str = "") -> None:
    """The impairment's command-line options (--drop, --delay-ms, --reorder, --reorder-ms,
    --seed), defaulting to STANDARD; `what` prefixes their help."""
    parser.add_argument("--drop", type=float, default=STANDARD["drop"],
                        help=f"{what}probability a frame is dropped, each way (default %(default)s)")
    parser.add_argument("--delay-ms", type=float, default=STANDARD["delay_ms"],
                        help=f"{what}delay of every frame, each way (default %(default)s)")
    parser.add_argument("--reorder", type=float, default=STANDARD["reorder"],
                        help=f"{what}probability a frame is held back to be overtaken, each way (default %(default)s)")
    parser.add_argument("--reorder-ms", type=float, default=STANDARD["reorder_ms"],
                        help=f"{what}how much longer a held-back frame waits (default %(default)s)")
    parser.add_argument("--seed", type=int, default=STANDARD_SEED,
                        help=f"{what}the relay's seed (default %(default)s)")


def from_arguments(args: argparse.Namespace, duplicate: float = 0.0) -> Impairment:
    """The Impairment add_arguments' options describe, both ways."""
    return Impairment.symmetric(args.seed, drop=args.drop, delay_ms=args.delay_ms, reorder=args.reorder,
                                reorder_ms=args.reorder_ms, duplicate=duplicate)


# -- the relay (runs inside the namespace) ---------------------------------------------------

COUNTERS = ("frames", "bytes", "dropped", "delayed", "reordered", "duplicated", "overtaken",
            "forwarded", "send_errors", "oversize", "largest", "held_max")


class Lane:
    """One direction: its parameters, its generator, its counters. `frames`/`bytes` arrived;
    `dropped`, `delayed` (sent later than they came), `reordered` (held back to be overtaken),
    `duplicated` (extra copies); `overtaken`: frames that went out after a frame that arrived
    later (reordering that really happened); `forwarded`: frames sent, copies included;
    `send_errors`: sends the kernel refused (lost outside the model); `oversize`: frames above
    MAX_FRAME (an offload leaking through), dropped; `largest` frame; `held_max`: most frames
    waiting at once."""

    def __init__(self, name: str, direction: Direction, seed: int, out: socket.socket):
        self.name, self.out = name, out
        self.direction = direction
        self.reseed(seed)
        self.counts = dict.fromkeys(COUNTERS, 0)
        self.arrived = 0        # sequence number of the last frame in
        self.latest_sent = 0    # highest sequence number sent so far
        self.held = 0

    @property
    def direction(self) -> Direction:
        return self._direction

    @direction.setter
    def direction(self, direction: Direction) -> None:
        self._direction = direction
        self.passthrough = direction.passthrough  # looked at for every frame

    def reseed(self, seed: int) -> None:
        self.random = random.Random(f"{seed}:{self.name}")  # str seeds hash the same in every run

    def decide(self, now: float) -> tuple[Optional[float], bool]:
        """For the next frame: when to send it (None: drop it) and whether to send a copy.
        Four draws per frame whatever the parameters, so the n-th frame's fate depends only
        on the seed and n (a lane passing frames untouched draws nothing)."""
        d = self.direction
        r_drop, r_jitter, r_reorder, r_duplicate = (self.random.random() for _ in range(4))
        if r_drop < d.drop:
            self.counts["dropped"] += 1
            return None, False
        wait = d.delay_ms + r_jitter * d.jitter_ms
        if r_reorder < d.reorder:
            wait += d.reorder_ms
            self.counts["reordered"] += 1
        if wait > 0:
            self.counts["delayed"] += 1
        duplicate = r_duplicate < d.duplicate
        if duplicate:
            self.counts["duplicated"] += 1
        return now + wait / 1000.0, duplicate

    def send(self, frame: bytes, sequence: int) -> None:
        try:
            self.out.send(frame, socket.MSG_DONTWAIT)
        except OSError:
            self.counts["send_errors"] += 1
            return
        self.counts["forwarded"] += 1
        if sequence < self.latest_sent:
            self.counts["overtaken"] += 1
        else:
            self.latest_sent = sequence

    def report(self) -> dict:
        return {"parameters": dataclasses.asdict(self.direction), **self.counts}


def packet_socket(device: str) -> tuple[socket.socket, bool]:
    """A raw AF_PACKET socket on `device` seeing every frame it receives, with big buffers (a
    burst from a TCG guest must not overflow it); and whether the kernel already keeps the
    frames it sends from it (else the reader must look at each frame's packet type)."""
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    try:
        sock.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
        ignores_outgoing = True
    except OSError:
        ignores_outgoing = False
    for forced, plain in ((getattr(socket, "SO_RCVBUFFORCE", 33), socket.SO_RCVBUF),
                          (getattr(socket, "SO_SNDBUFFORCE", 32), socket.SO_SNDBUF)):
        try:
            sock.setsockopt(socket.SOL_SOCKET, forced, SOCKET_BUFFER)  # beyond rmem_max (root)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, plain, SOCKET_BUFFER)
    sock.bind((device, ETH_P_ALL))
    return sock, ignores_outgoing


def interface_drops(devices: tuple[str, ...]) -> dict:
    """The kernel's own drop counters of `devices` (e.g. a tap whose reader, QEMU, fell
    behind): losses the relay did not decide."""
    out = {}
    for device in devices:
        stats = {}
        for name in ("rx_dropped", "tx_dropped"):
            try:
                with open(f"/sys/class/net/{device}/statistics/{name}") as f:
                    stats[name] = int(f.read())
            except (OSError, ValueError):
                pass
        out[device] = stats
    return out


class Relay:
    """The relay's loop: frames in from both sockets, each lane's decision, a heap of frames
    waiting for their time, sends when due; commands on stdin."""

    def __init__(self, tap: str, veth: str, impairment: Impairment):
        self.devices = (tap, veth)
        (self.tap_sock, tap_filtered), (self.veth_sock, veth_filtered) = packet_socket(tap), packet_socket(veth)
        self.filtered = tap_filtered and veth_filtered
        self.impairment = impairment
        self.to_host = Lane("to_host", impairment.to_host, impairment.seed, self.veth_sock)
        self.to_guest = Lane("to_guest", impairment.to_guest, impairment.seed, self.tap_sock)
        self.heap: list[tuple[float, int, Lane, int, bytes]] = []
        self.order = 0  # heap tie-break: equal times leave in arrival order
        self.started = time.monotonic()
        self.stopping = False
        self.drops_at_start = interface_drops(self.devices)

    def set(self, impairment: Impairment) -> None:
        """New parameters; the generators go on unless the seed changed."""
        for lane, direction in ((self.to_host, impairment.to_host), (self.to_guest, impairment.to_guest)):
            lane.direction = direction
            if impairment.seed != self.impairment.seed:
                lane.reseed(impairment.seed)
        self.impairment = impairment

    def report(self, event: str) -> dict:
        now = interface_drops(self.devices)
        kernel = {dev: {k: v - self.drops_at_start.get(dev, {}).get(k, 0) for k, v in stats.items()}
                  for dev, stats in now.items()}
        times = os.times()
        return {"event": event, "impairment": self.impairment.as_dict(), "describe": self.impairment.describe(),
                "seconds": round(time.monotonic() - self.started, 3),
                "cpu_seconds": round(times.user + times.system, 3),
                "to_host": self.to_host.report(), "to_guest": self.to_guest.report(), "kernel_drops": kernel}

    def _take(self, sock: socket.socket, lane: Lane) -> None:
        for _ in range(READ_BATCH):
            try:
                if self.filtered:
                    frame = sock.recv(65536, socket.MSG_DONTWAIT)
                else:
                    frame, address = sock.recvfrom(65536, socket.MSG_DONTWAIT)
                    if address[2] == PACKET_OUTGOING:
                        continue
            except BlockingIOError:
                return
            except OSError as e:
                if e.errno in (errno.ENETDOWN, errno.ENXIO):  # a device going down or not yet up
                    return
                raise
            counts = lane.counts
            counts["frames"] += 1
            counts["bytes"] += len(frame)
            if len(frame) > counts["largest"]:
                counts["largest"] = len(frame)
            if len(frame) > MAX_FRAME:
                counts["oversize"] += 1
                continue
            lane.arrived += 1
            if lane.passthrough and not lane.held:
                lane.send(frame, lane.arrived)
                continue
            due, duplicate = lane.decide(time.monotonic())
            if due is None:
                continue
            for _ in range(2 if duplicate else 1):
                self.order += 1
                heapq.heappush(self.heap, (due, self.order, lane, lane.arrived, frame))
                lane.held += 1
            if lane.held > lane.counts["held_max"]:
                lane.counts["held_max"] = lane.held

    def _send_due(self) -> None:
        now = time.monotonic()
        heap = self.heap
        while heap and heap[0][0] <= now:
            _, _, lane, sequence, frame = heapq.heappop(heap)
            lane.held -= 1
            lane.send(frame, sequence)

    def _command(self, line: str) -> None:
        word, _, rest = line.strip().partition(" ")
        if word == "report":
            emit(self.report("report"))
        elif word == "set":
            self.set(Impairment.from_dict(json.loads(rest)))
            emit(self.report("set"))
        elif word == "stop":
            self.stopping = True
        elif word:
            emit({"event": "error", "error": f"unknown command {word!r}"})

    def run(self) -> None:
        poller = select.poll()
        lanes = {self.tap_sock.fileno(): (self.tap_sock, self.to_host),
                 self.veth_sock.fileno(): (self.veth_sock, self.to_guest)}
        for fd in lanes:
            poller.register(fd, select.POLLIN)
        control = sys.stdin.fileno()
        poller.register(control, select.POLLIN)
        pending = b""
        emit(self.report("ready"))
        while not self.stopping:
            if self.heap:
                wait_ms = min(IDLE_POLL_MS, max(0, math.ceil((self.heap[0][0] - time.monotonic()) * 1000)))
            else:
                wait_ms = IDLE_POLL_MS
            for fd, events in poller.poll(wait_ms):
                if fd == control:
                    data = os.read(control, 4096)
                    if not data:  # whoever started us is gone
                        self.stopping = True
                        break
                    pending += data
                    while b"\n" in pending:
                        line, pending = pending.split(b"\n", 1)
                        self._command(line.decode())
                else:
                    sock, lane = lanes[fd]
                    self._take(sock, lane)
            self._send_due()


def emit(report: dict) -> None:
    print(json.dumps(report), flush=True)


def relay_main(args: argparse.Namespace) -> int:
    relay = Relay(args.tap, args.veth, Impairment.from_dict(json.loads(args.impairment)))
    if args.nice:
        os.nice(args.nice)

    def stop(signum: int, _frame: object) -> None:
        relay.stopping = True
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        relay.run()
    finally:
        emit(relay.report("final"))
    return 0


# -- the namespace (test side) ----------------------------------------------------------------

class RelayError(Exception):
    """The relay could not start, or does not answer."""


def _sysctl(namespace: str, setting: str) -> None:
    subprocess.run(["ip", "netns", "exec", namespace, "sysctl", "-q", "-w", setting], check=True,
                   stdout=subprocess.DEVNULL)


class ImpairedNamespace(Namespace):
    """Namespace `name` where the guest's tap reaches the host through the relay: tap0 (no
    address; QEMU attaches to it), the relay, and the veth pair vrelay <-> vhost with
    HOST_ADDRESS/PREFIX on vhost. Entering builds it all and starts the relay with
    `impairment`; leaving stops the relay (its final report stays in `final`) and removes the
    namespace. Clients run behind `prefix` as with a plain Namespace; QEMU needs
    `tap_options` (Appliance passes them)."""

    host_device = HOST_VETH
    tap_options = ("vnet_hdr=off",)  # plain frames: no offload metadata QEMU would hand the tap

    def __init__(self, name: str, impairment: Impairment = Impairment(), ipv6: bool = False,
                 start_timeout: float = 10.0, nice: int = 0):
        super().__init__(name, ipv6)
        self.impairment = impairment
        self.nice = nice  # the relay's niceness increment: negative serves its frames sooner
        self.start_timeout = start_timeout
        self.final: Optional[dict] = None
        self._relay: Optional[subprocess.Popen[str]] = None
        self._reports: "queue.Queue[dict]" = queue.Queue()
        self._stderr: list[str] = []
        self._readers: list[threading.Thread] = []
        self._lock = threading.Lock()

    def __enter__(self) -> "ImpairedNamespace":
        self.remove()
        try:
            self._build()
            self._start_relay()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop_relay()
        self.remove()

    def _build(self) -> None:
        if not shutil.which("ethtool"):
            raise RelayError("ethtool not found (tools/deps installs it): offloads must be off on the veths")
        ns = self.name

        def ip(*argv: str) -> None:
            subprocess.run(["ip", "-n", ns, *argv], check=True)

        subprocess.run(["ip", "netns", "add", ns], check=True)
        ip("link", "set", "lo", "up")
        ip("tuntap", "add", "dev", TAP, "mode", "tap")
        ip("link", "add", RELAY_VETH, "type", "veth", "peer", "name", HOST_VETH)
        for device in (TAP, RELAY_VETH):  # wires only: the namespace's stack stays off them
            ip("link", "set", device, "arp", "off")
            _sysctl(ns, f"net.ipv6.conf.{device}.disable_ipv6=1")
        if not self.ipv6:
            _sysctl(ns, f"net.ipv6.conf.{HOST_VETH}.disable_ipv6=1")
        for device in (RELAY_VETH, HOST_VETH):
            subprocess.run(self.prefix + ["ethtool", "-K", device, *OFFLOADS], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ip("addr", "add", f"{HOST_ADDRESS}/{PREFIX}", "dev", HOST_VETH)
        for device in (TAP, RELAY_VETH, HOST_VETH):
            ip("link", "set", device, "up")

    def _start_relay(self) -> None:
        argv = self.prefix + module_command("harness.impair", "relay", "--tap", TAP, "--veth", RELAY_VETH,
                                            "--impairment", json.dumps(self.impairment.as_dict()),
                                            "--nice", str(self.nice))
        self._relay = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True, bufsize=1)
        self._readers = [threading.Thread(target=self._read_reports, daemon=True, name="relay-out"),
                         threading.Thread(target=self._read_stderr, daemon=True, name="relay-err")]
        for reader in self._readers:
            reader.start()
        self._expect("ready", self.start_timeout)

    def _read_reports(self) -> None:
        for line in self._relay.stdout:
            try:
                self._reports.put(json.loads(line))
            except ValueError:
                self._stderr.append(line.rstrip())

    def _read_stderr(self) -> None:
        for line in self._relay.stderr:
            self._stderr.append(line.rstrip())

    def _expect(self, event: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            try:
                report = self._reports.get(timeout=max(0.0, min(0.2, deadline - time.monotonic())))
            except queue.Empty:
                if self._relay.poll() is not None and self._reports.empty():
                    raise RelayError(f"the relay exited ({self._relay.returncode}) waiting for {event!r}: "
                                     + " | ".join(self._stderr[-8:])) from None
                if time.monotonic() >= deadline:
                    raise RelayError(f"no {event!r} from the relay in {timeout:g} s") from None
                continue
            if report.get("event") == event:
                return report
            if report.get("event") == "error":
                raise RelayError(report.get("error", "?"))

    def _command(self, line: str, event: str) -> dict:
        with self._lock:
            if self._relay is None or self._relay.poll() is not None:
                raise RelayError("the relay is not running" + (f": {self._stderr[-1]}" if self._stderr else ""))
            try:
                self._relay.stdin.write(line + "\n")
                self._relay.stdin.flush()
            except OSError as e:
                raise RelayError(f"cannot reach the relay: {e}") from e
            return self._expect(event, 10.0)

    def report(self) -> dict:
        """The relay's counters and parameters now (both directions), or its final report
        once stopped."""
        if self._relay is None or self._relay.poll() is not None:
            if self.final:
                return self.final
            raise RelayError("the relay is not running")
        return self._command("report", "report")

    def set_impairment(self, impairment: Impairment) -> dict:
        """New parameters from the next frame on (frames already held keep their time);
        counters go on counting, and so do the generators unless the seed changed. Returns
        the report at the switch."""
        report = self._command("set " + json.dumps(impairment.as_dict()), "set")
        self.impairment = impairment
        return report

    def _stop_relay(self) -> None:
        relay, self._relay = self._relay, None
        if relay is None:
            return
        if relay.poll() is None:
            try:
                relay.stdin.write("stop\n")
                relay.stdin.flush()
            except OSError:
                pass
            try:
                relay.wait(5)
            except subprocess.TimeoutExpired:
                relay.terminate()
                try:
                    relay.wait(5)
                except subprocess.TimeoutExpired:
                    relay.kill()
                    relay.wait()
        for reader in self._readers:
            reader.join(5)
        while not self._reports.empty():
            report = self._reports.get()
            if report.get("event") == "final":
                self.final = report
        for pipe in (relay.stdin, relay.stdout, relay.stderr):
            try:
                pipe.close()
            except OSError:
                pass


def format_report(report: dict) -> str:
    """A relay report as lines a reader of a test log takes in: the parameters, then per
    direction what came, what was done to it, and what went out."""
    lines = [f"relay: {report.get('describe', '?')} ({report.get('seconds', 0):.1f} s, "
             f"{report.get('cpu_seconds', 0):.1f} s of CPU)"]
    for lane, title in (("to_host", "guest->host"), ("to_guest", "host->guest")):
        c = report.get(lane, {})
        frames = c.get("frames", 0) or 1
        lines.append(
            f"relay: {title}: {c.get('frames', 0)} frames ({c.get('bytes', 0) / 1e6:.1f} MB), "
            f"dropped {c.get('dropped', 0)} ({c.get('dropped', 0) / frames * 100:.1f} %), "
            f"delayed {c.get('delayed', 0)}, reordered {c.get('reordered', 0)} "
            f"(overtaken {c.get('overtaken', 0)}), duplicated {c.get('duplicated', 0)}, "
            f"forwarded {c.get('forwarded', 0)}, send errors {c.get('send_errors', 0)}, "
            f"oversize {c.get('oversize', 0)} (largest {c.get('largest', 0)} B), held at most {c.get('held_max', 0)}")
    drops = {f"{dev} {k}": v for dev, stats in report.get("kernel_drops", {}).items() for k, v in stats.items() if v}
    lines.append("relay: kernel drops on its devices: " + (", ".join(f"{k} {v}" for k, v in drops.items()) or "none"))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python3 -m harness.impair", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("relay", help="run the relay (inside the namespace, as root)")
    r.add_argument("--tap", default=TAP)
    r.add_argument("--veth", default=RELAY_VETH)
    r.add_argument("--impairment", default="{}", help="JSON as Impairment.as_dict() gives it")
    r.add_argument("--nice", type=int, default=0, help="niceness increment (negative: served sooner)")
    args = p.parse_args(argv)
    return relay_main(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
