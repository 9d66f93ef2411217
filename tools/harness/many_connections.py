"""Very many TCP connections to the appliance's web server at once (issue 14, "C100K"): the
client of the http_connections_* tests and of tools/bench connections.

A process here may hold at most 20 000 open files (a hard limit even root cannot raise), so
the connections are spread over worker processes (a Fleet). Each worker runs its own epoll
loop (selectors) over non-blocking sockets and binds them to its own source address on the
namespace's host device (10.77.0.101, .102, ...; added here, idempotently), and the port range
is widened, so each address has about 64 000 ports. Connects are paced: at most --in-flight
handshakes (and requests) at once over all workers, because the guest runs under TCG. Every
wait has a deadline.

Scenarios (each prints one line per check, then a summary; a failure ends with `FAIL: why`
and exit status 1):
  hold       N idle keep-alive connections, all accepted, then one request on each
  steady     N keep-alive connections, each doing a request every interval for a duration
  pressure   connections opened in batches until the guest refuses them (or --max); the
             first ones still served, memory back to its baseline after all close
  slowheads  N connections each holding half a request head; a fresh client is served
  idle       N idle connections held until a line on stdin (tools/bench connections), with
             JSON lines on stdout
  answer     N connections opened at once, each asking GET / as it opens: how long until all
             are answered, one JSON line on stdout (tools/bench net; needs no /status, so
             any HTTP server will do)

Run inside the test's network namespace as root, e.g. `ip netns exec NS env PYTHONPATH=tools
python3 -m harness.many_connections --host 10.77.0.2 --port 80 hold --count 2000`
(net_test.py --client connections starts it so, through Appliance).
"""
from __future__ import annotations

import argparse
import errno
import heapq
import json
import math
import multiprocessing
import os
import resource
import select
import selectors
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Pipe
from typing import Callable, Optional

from .http_clients import HELLO, Connection, get
from .netns import HOST_ADDRESS, device_with_address
from .probe import parse_http

SOURCE_HOST_PART = 101           # the workers' source addresses: 10.77.0.101, .102, ...
PORT_RANGE = "1024 65535"        # net.ipv4.ip_local_port_range in the namespace
RESERVED_FILES = 64              # descriptors a worker keeps for itself (pipes, epoll, ...)
IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)  # Linux 4.2
REQUEST = b"GET / HTTP/1.1\r\nHost: appliance\r\n\r\n"
PARTIAL_HEAD = b"GET / HTTP/1.1\r\nHost: appliance\r\n"  # no blank line: the head never ends
STATUS_TIMEOUT = 10.0            # seconds one GET /status may take
POLL_S = 0.5                     # between /status polls while waiting for the guest
CLOSE_RATE = 10_000              # connections closed per second by the whole fleet (--close-rate)
CLOSE_TICK = 0.01                # seconds between a worker's batches of closes


def check(condition: bool, what: str, detail: object = "") -> None:
    """Print `ok: what`, or raise AssertionError with what failed."""
    if not condition:
        raise AssertionError(f"{what}: {detail}" if detail != "" else what)
    print(f"ok: {what}", flush=True)


def say(text: str) -> None:
    print(text, flush=True)


# -- the namespace side -------------------------------------------------------------------

def source_addresses(count: int) -> list[str]:
    """The workers' source addresses, in HOST_ADDRESS's /24: .101, .102, ..."""
    if SOURCE_HOST_PART + count > 255:
        raise ValueError(f"{count} source addresses do not fit in the /24")
    net = HOST_ADDRESS.rsplit(".", 1)[0]
    return [f"{net}.{SOURCE_HOST_PART + i}" for i in range(count)]


def prepare_namespace(addresses: list[str]) -> None:
    """Inside the namespace (as root): the source addresses on the device holding
    HOST_ADDRESS (the tap, or the veth behind an impairing relay; `ip addr replace` is
    idempotent) and a wide ephemeral port range, so each address has ~64 000 ports. The guest
    reaches them on-link; ARP resolves each one separately."""
    device = device_with_address(HOST_ADDRESS)
    for address in addresses:
        subprocess.run(["ip", "addr", "replace", f"{address}/32", "dev", device], check=True)
    with open("/proc/sys/net/ipv4/ip_local_port_range", "w") as f:
        f.write(PORT_RANGE)


def file_capacity() -> int:
    """How many connections one worker may hold: its descriptor hard limit, less a reserve."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(1, (hard if hard != resource.RLIM_INFINITY else 1 << 20) - RESERVED_FILES)


def raise_file_limit() -> None:
    """The soft limit on open files up to the hard one."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# -- HTTP on a byte buffer ----------------------------------------------------------------

def take_response(buffer: bytearray) -> Optional[tuple[int, bytes]]:
    """(status, body) of the complete response at the start of `buffer`, removed from it;
    None while incomplete. Bodies are framed by Content-Length (the appliance's always are)."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = parse_http(bytes(buffer[:end]))
    length = int(head["headers"].get("content-length", 0))
    if len(buffer) < end + 4 + length:
        return None
    body = bytes(buffer[end + 4:end + 4 + length])
    del buffer[:end + 4 + length]
    return head["status"], body


def first_line(data: bytes) -> str:
    return data.split(b"\r\n", 1)[0].decode("latin-1")[:60]


def error_kind(code: int) -> str:
    """A connect error as the summary names it."""
    return {errno.ECONNREFUSED: "refused (RST to the SYN)", errno.ECONNRESET: "reset in the handshake",
            errno.ETIMEDOUT: "connect timeout", errno.EADDRNOTAVAIL: "no free client port",
            errno.EHOSTUNREACH: "host unreachable"}.get(code, errno.errorcode.get(code, str(code)))


# Kinds of failure that are the guest turning a connection away with a reset.
RESETS = ("refused (RST to the SYN)", "reset in the handshake", "reset by the server")


# -- one worker process -------------------------------------------------------------------

CONNECTING, IDLE, WAITING, CLOSED = "connecting", "idle", "waiting", "closed"


@dataclass(eq=False, slots=True)
class Conn:
    sock: socket.socket
    started: float
    state: str = CONNECTING
    buffer: bytearray = field(default_factory=bytearray)
    sent_at: float = 0.0


@dataclass
class Tally:
    """What a command saw: connections made and failed, requests answered and failed."""

    established: int = 0
    failed: Counter = field(default_factory=Counter)
    sent: int = 0
    answered: int = 0
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    ended: Counter = field(default_factory=Counter)  # idle connections the server ended, by how
    latencies: list = field(default_factory=list)
    scheduled: int = 0

    def reply(self, worker: "Worker") -> dict:
        return {"established": self.established, "failed": dict(self.failed), "sent": self.sent,
                "answered": self.answered, "statuses": dict(self.statuses), "errors": dict(self.errors),
                "ended": dict(self.ended), "latencies": self.latencies, "scheduled": self.scheduled,
                **worker.census()}


class Worker:
    """The connections of one source address, in one epoll loop. Commands run one at a
    time, each to completion or its deadline; between commands the sockets just sit."""

    def __init__(self, host: str, port: int, source: str, in_flight: int):
        self.address = (host, port)
        self.source = source
        self.in_flight = in_flight
        self.selector = selectors.DefaultSelector()
        self.conns: list[Conn] = []           # established, in the order they opened
        self.waiting: set[Conn] = set()       # with a request sent and not yet answered
        self.lost: Counter = Counter()        # why the server ended connections we held
        self.tally = Tally()
        self.payload: Optional[bytes] = None  # what a new connection sends once open
        self.parent = os.getppid()
        self.checked_parent = time.monotonic()

    # The event loop.

    def pump(self, timeout: float) -> None:
        for key, _ in self.selector.select(max(timeout, 0)):
            conn: Conn = key.data
            if conn.state == CONNECTING:
                self._connected(conn)
            elif conn.state != CLOSED:
                self._readable(conn)
        now = time.monotonic()
        if now - self.checked_parent > 1.0:  # the client was killed (a test's timeout)
            self.checked_parent = now
            if os.getppid() != self.parent:
                os._exit(1)

    def _connected(self, conn: Conn) -> None:
        code = conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code:
            self._drop(conn)
            self.tally.failed[error_kind(code)] += 1
            return
        conn.state = IDLE
        self.selector.modify(conn.sock, selectors.EVENT_READ, conn)
        self.conns.append(conn)
        self.tally.established += 1
        if self.payload == REQUEST:
            self._send(conn)
        elif self.payload:
            self._write(conn, self.payload)

    def _readable(self, conn: Conn) -> None:
        try:
            data = conn.sock.recv(65536)
        except BlockingIOError:
            return
        except ConnectionResetError:
            self._lose(conn, "reset by the server")
            return
        if not data:
            said = f" after {first_line(bytes(conn.buffer))!r}" if conn.buffer else ""
            self._lose(conn, f"closed by the server{said}")
            return
        conn.buffer += data
        if conn.state != WAITING:
            return  # unasked for (a 408 before a close, say): kept for the close's reason
        try:
            response = take_response(conn.buffer)
        except (ValueError, IndexError):
            self._lose(conn, f"not an HTTP response: {first_line(bytes(conn.buffer))!r}")
            return
        if response:
            status, body = response
            self.tally.answered += 1
            self.tally.latencies.append(time.monotonic() - conn.sent_at)
            self.tally.statuses[status] += 1
            if status != 200 or body != HELLO:
                self.tally.errors[f"answered {status} {body[:20]!r}"] += 1
            conn.state = IDLE
            self.waiting.discard(conn)

    def _write(self, conn: Conn, data: bytes) -> bool:
        try:
            sent = conn.sock.send(data)
        except (BlockingIOError, ConnectionError) as e:
            self._lose(conn, f"send failed: {type(e).__name__}")
            return False
        if sent != len(data):  # a fresh connection's send buffer takes a request whole
            self._lose(conn, f"send took {sent} of {len(data)} bytes")
            return False
        return True

    def _send(self, conn: Conn) -> None:
        conn.sent_at = time.monotonic()
        if self._write(conn, REQUEST):
            conn.state = WAITING
            self.waiting.add(conn)
            self.tally.sent += 1

    def _lose(self, conn: Conn, reason: str) -> None:
        if conn.state == WAITING:
            self.tally.errors[f"no answer: {reason}"] += 1
        else:
            self.tally.ended[reason] += 1
        self.lost[reason] += 1
        self._drop(conn)

    def _drop(self, conn: Conn) -> None:
        conn.state = CLOSED
        self.waiting.discard(conn)
        self.selector.unregister(conn.sock)
        conn.sock.close()

    def _expire(self, timeout: float, why: str = "") -> None:
        """Give up on requests unanswered for `timeout` seconds (closing their connections)."""
        now = time.monotonic()
        for conn in [c for c in self.waiting if now - c.sent_at >= timeout]:
            self.tally.errors[why or f"no answer in {timeout:g} s"] += 1
            self.lost["closed by us: a request unanswered"] += 1
            self._drop(conn)

    def census(self) -> dict:
        return {"open": sum(1 for c in self.conns if c.state != CLOSED), "lost": dict(self.lost)}

    # Commands (called through the pipe; each returns a dict).

    def open(self, count: int, payload: Optional[bytes], connect_timeout: float, request_timeout: float,
             stop_on_failure: bool, seconds: float) -> dict:
        """Open `count` connections, at most in_flight handshakes at once; each sends
        `payload` once open (REQUEST: a request whose answer is awaited). With
        `stop_on_failure`, no new connect starts after the first failure."""
        self.tally, self.payload = Tally(), payload
        deadline = time.monotonic() + seconds
        pending: list[Conn] = []
        launched = 0
        while True:
            stopped = stop_on_failure and bool(self.tally.failed)
            while not stopped and launched < count and len(pending) < self.in_flight:
                launched += 1
                conn = self._connect()
                if conn:
                    pending.append(conn)
            if (launched >= count or stopped) and not pending and not self.waiting:
                break
            if time.monotonic() >= deadline:
                break
            self.pump(0.05)
            now = time.monotonic()
            for conn in pending:
                if conn.state == CONNECTING and now - conn.started > connect_timeout:
                    self._drop(conn)
                    self.tally.failed["connect timeout"] += 1
            pending = [c for c in pending if c.state == CONNECTING]
            self._expire(request_timeout)
        for conn in pending:
            self._drop(conn)
            self.tally.failed["not connected by the deadline"] += 1
        self._expire(0, "not answered by the deadline")
        if launched < count and not stopped:
            self.tally.failed["not attempted by the deadline"] += count - launched
        self.payload = None
        return self.tally.reply(self)

    def _connect(self) -> Optional[Conn]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
        try:
            sock.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)  # port chosen at connect
            sock.bind((self.source, 0))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            code = sock.connect_ex(self.address)
        except OSError as e:
            sock.close()
            self.tally.failed[error_kind(e.errno or 0)] += 1
            return None
        if code not in (0, errno.EINPROGRESS):
            sock.close()
            self.tally.failed[error_kind(code)] += 1
            return None
        conn = Conn(sock, time.monotonic())
        self.selector.register(sock, selectors.EVENT_WRITE, conn)
        return conn

    def request(self, first: Optional[int], timeout: float, seconds: float) -> dict:
        """One GET / on each open connection (or on the first `first`), at most in_flight at
        once; connections that were lost before count as unanswered."""
        self.tally = Tally()
        chosen = self.conns[:first] if first is not None else self.conns
        lost = sum(1 for c in chosen if c.state == CLOSED)
        if lost:
            self.tally.errors["connection lost before its request"] += lost
        queue = deque(c for c in chosen if c.state == IDLE)
        deadline = time.monotonic() + seconds
        while (queue or self.waiting) and time.monotonic() < deadline:
            while queue and len(self.waiting) < self.in_flight:
                conn = queue.popleft()
                if conn.state == IDLE:
                    self._send(conn)
            self.pump(0.05)
            self._expire(timeout)
        if queue:
            self.tally.errors["not sent by the deadline"] += len(queue)
        self._expire(0, "not answered by the deadline")
        return self.tally.reply(self)

    def steady(self, interval: float, duration: float, timeout: float) -> dict:
        """Each open connection does a request every `interval` for `duration`, their first
        requests spread over the first interval. A connection whose last request is still
        unanswered when its turn comes skips that turn (no pipelining), and one given up on
        is closed: both show as sent < scheduled."""
        self.tally = Tally()
        lost = sum(1 for c in self.conns if c.state == CLOSED)
        if lost:
            self.tally.errors["connection lost before its first request"] += lost
        conns = [c for c in self.conns if c.state == IDLE]
        start = time.monotonic()
        end = start + duration
        turns = [(start + interval * i / max(len(conns), 1), i) for i in range(len(conns))]
        self.tally.scheduled = sum(math.ceil((end - at) / interval) for at, _ in turns)
        heapq.heapify(turns)
        expired_at = start
        while True:
            now = time.monotonic()
            while turns and turns[0][0] <= now:
                at, i = heapq.heappop(turns)
                if at >= end:
                    turns = []
                    break
                if conns[i].state == IDLE:
                    self._send(conns[i])
                if conns[i].state != CLOSED:
                    heapq.heappush(turns, (at + interval, i))
            if now - expired_at >= POLL_S:
                self._expire(timeout)
                expired_at = now
            if (now >= end and not self.waiting) or now >= end + timeout:
                break
            self.pump(min(turns[0][0] - now, 0.05) if turns else 0.05)
        self._expire(0, "not answered by the deadline")
        for reason, n in self.tally.ended.items():
            self.tally.errors[f"ended between its requests: {reason}"] += n
        return self.tally.reply(self)

    def survey(self, seconds: float) -> dict:
        """Watch the held connections for `seconds`: closes and resets from the server."""
        self.tally = Tally()
        end = time.monotonic() + seconds
        while True:
            self.pump(min(end - time.monotonic(), 0.1))
            if time.monotonic() >= end:
                return self.tally.reply(self)

    def close(self, rate: float = 0) -> dict:
        """Closes every connection, `rate` per second (0: at once). A whole fleet sending FIN in
        the same millisecond overflows the tap's queue, and Linux retransmits them in step."""
        closed = 0
        chunk = max(1, int(rate * CLOSE_TICK)) if rate else len(self.conns) + 1
        for conn in self.conns:
            if conn.state != CLOSED:
                self._drop(conn)
                closed += 1
                if closed % chunk == 0:
                    time.sleep(CLOSE_TICK)
        self.conns = []
        return {"closed": closed, **self.census()}


def _worker_main(pipe: Pipe, host: str, port: int, source: str, in_flight: int) -> None:
    raise_file_limit()
    worker = Worker(host, port, source, in_flight)
    while True:
        try:
            name, kwargs = pipe.recv()
        except (EOFError, KeyboardInterrupt):
            break
        if name == "exit":
            break
        try:
            reply = getattr(worker, name)(**kwargs)
        except Exception as e:  # reported by the parent, which fails the scenario
            reply = {"error": f"{type(e).__name__}: {e}"}
        pipe.send(reply)
    worker.close()


# -- the fleet of workers -----------------------------------------------------------------

def merge(replies: list[dict]) -> dict:
    """The workers' replies as one: counts summed, Counters merged, latencies joined."""
    out: dict = {}
    for reply in replies:
        for key, value in reply.items():
            if isinstance(value, dict):
                out[key] = dict(Counter(out.get(key, {})) + Counter(value))
            elif isinstance(value, list):
                out[key] = out.get(key, []) + value
            else:
                out[key] = out.get(key, 0) + value
    return out


class Fleet:
    """Worker processes, each with its own source address and at most `capacity`
    connections; `in_flight` handshakes or requests at once over all of them. Commands go to
    every worker at once; their replies are merged."""

    def __init__(self, host: str, port: int, workers: int, in_flight: int, capacity: int,
                 close_rate: float = CLOSE_RATE):
        self.host, self.port = host, port
        self.close_rate = close_rate
        self.sources = source_addresses(workers)
        self.capacity = capacity
        self.in_flight = max(1, math.ceil(in_flight / workers))
        self.held = [0] * workers
        self.pipes: list[Pipe] = []
        self.processes: list[multiprocessing.Process] = []

    @classmethod
    def sized(cls, host: str, port: int, count: int, args: argparse.Namespace) -> "Fleet":
        """A fleet big enough for `count` connections (--workers at least)."""
        capacity = min(args.per_worker or file_capacity(), file_capacity())
        return cls(host, port, max(args.workers, math.ceil(count / capacity)), args.in_flight, capacity,
                   args.close_rate)

    def __enter__(self) -> "Fleet":
        prepare_namespace(self.sources)
        context = multiprocessing.get_context("fork")
        for source in self.sources:
            parent, child = context.Pipe()
            process = context.Process(target=_worker_main, daemon=True,
                                      args=(child, self.host, self.port, source, self.in_flight))
            process.start()
            child.close()
            self.pipes.append(parent)
            self.processes.append(process)
        return self

    def __exit__(self, *exc: object) -> None:
        for pipe in self.pipes:
            try:
                pipe.send(("exit", {}))
            except OSError:
                pass
        for process in self.processes:
            process.join(10)
            if process.is_alive():
                process.kill()
                process.join()

    def _call(self, name: str, wait: float, per_worker: list[Optional[dict]]) -> dict:
        busy = [i for i, kwargs in enumerate(per_worker) if kwargs is not None]
        for i in busy:
            self.pipes[i].send((name, per_worker[i]))
        replies = []
        deadline = time.monotonic() + wait + 30  # the workers keep their own deadlines
        for i in busy:
            if not self.pipes[i].poll(max(deadline - time.monotonic(), 0)):
                raise AssertionError(f"worker {self.sources[i]} did not finish {name!r} in time")
            try:
                reply = self.pipes[i].recv()
            except EOFError:
                raise AssertionError(f"worker {self.sources[i]} exited during {name!r}") from None
            if "error" in reply:
                raise AssertionError(f"worker {self.sources[i]}: {name}: {reply['error']}")
            replies.append(reply)
        return merge(replies)

    def _all(self, name: str, wait: float, **kwargs: object) -> dict:
        return self._call(name, wait, [kwargs] * len(self.pipes))

    def split(self, count: int) -> list[int]:
        """`count` new connections shared evenly among the workers with room for them."""
        shares = [0] * len(self.held)
        room = [self.capacity - held for held in self.held]
        left = count
        while left > 0 and any(room):
            with_room = [i for i, r in enumerate(room) if r > 0]
            each = max(1, left // len(with_room))
            for i in with_room:
                n = min(each, room[i], left)
                shares[i] += n
                room[i] -= n
                left -= n
        if left:
            raise AssertionError(f"{count} more connections do not fit in {len(self.held)} workers "
                                 f"of {self.capacity} (--workers, --per-worker)")
        return shares

    def open(self, count: int, seconds: float, *, payload: Optional[bytes] = None, connect_timeout: float = 15,
             request_timeout: float = 10, stop_on_failure: bool = False) -> dict:
        shares = self.split(count)
        per_worker = [dict(count=n, payload=payload, connect_timeout=connect_timeout, request_timeout=request_timeout,
                           stop_on_failure=stop_on_failure, seconds=seconds) if n else None for n in shares]
        for i, n in enumerate(shares):
            self.held[i] += n
        return self._call("open", seconds, per_worker)

    def request(self, timeout: float, seconds: float, first: Optional[int] = None) -> dict:
        return self._all("request", seconds, first=first, timeout=timeout, seconds=seconds)

    def steady(self, interval: float, duration: float, timeout: float) -> dict:
        return self._all("steady", duration + timeout, interval=interval, duration=duration, timeout=timeout)

    def survey(self, seconds: float) -> dict:
        return self._all("survey", seconds, seconds=seconds)

    def close(self) -> dict:
        rate = self.close_rate / len(self.pipes)
        wait = 30 + max(self.held) / rate
        self.held = [0] * len(self.held)
        return self._all("close", wait, rate=rate)


# -- /status ------------------------------------------------------------------------------

class StatusClient:
    """GET /status on one keep-alive connection, opened before the load, so the guest can
    be asked while it refuses new connections; reopened once if the server closed it."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.conn: Optional[Connection] = None

    def get(self) -> dict:
        problem = ""
        for _ in range(2):
            try:
                if self.conn is None:
                    self.conn = Connection(self.host, self.port, STATUS_TIMEOUT)
                self.conn.send(get("/status"))
                reply = self.conn.response()
                if reply.status == 200:
                    return json.loads(reply.body)
                problem = f"status {reply.status}"
            except (OSError, AssertionError, ValueError) as e:
                problem = f"{type(e).__name__}: {e}"
            self.close()
        raise AssertionError(f"the guest does not answer GET /status: {problem}")

    def close(self) -> None:
        if self.conn:
            self.conn.sock.close()
            self.conn = None

    def wait(self, ready: Callable[[dict], bool], seconds: float) -> tuple[dict, bool]:
        """Poll until `ready(status)` or `seconds` pass: the last status and whether ready."""
        deadline = time.monotonic() + seconds
        while True:
            status = self.get()
            if ready(status) or time.monotonic() >= deadline:
                return status, ready(status)
            time.sleep(POLL_S)


def connections_open(status: dict) -> int:
    return status["http"]["connections_open"]


def used_bytes(status: dict) -> int:
    return status["memory"]["used_bytes"]


def show_status(when: str, status: dict) -> None:
    """The /status parts issue 14 is about: memory, and connections when the guest has them."""
    parts = {key: status[key] for key in ("memory", "connections") if key in status}
    say(f"status {when}: http.connections_open {connections_open(status)}; {json.dumps(parts)}")


def show_refusals(status: dict) -> None:
    """Why the guest ended connections itself: its listener's and memory's refusal counters."""
    http = status["http"]
    say(f"guest refusals: http.connections_refused {http['connections_refused']}, "
        f"http.connections_reclaimed {http['connections_reclaimed']}, "
        f"memory.refusals {status['memory']['refusals']}")


def per_connection(before: dict, after: dict, count: int) -> Optional[float]:
    """memory.used_bytes grown per connection between two statuses."""
    return (used_bytes(after) - used_bytes(before)) / count if count else None


def guest_figure(status: dict) -> Optional[float]:
    """The guest's own bytes per open connection (connections.bytes_per_connection.total),
    when it reports one."""
    figure = status.get("connections", {}).get("bytes_per_connection")
    return figure.get("total") if isinstance(figure, dict) else figure


# -- summaries ----------------------------------------------------------------------------

def describe(counts: dict) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items(), key=lambda kv: -kv[1])) or "none"


def latency(values: list[float]) -> str:
    """p50 / p99 / max in milliseconds."""
    if not values:
        return "no latencies"
    if len(values) == 1:
        return f"{values[0] * 1000:.1f} ms"
    q = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {q[49] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms, max {max(values) * 1000:.1f} ms"


# Defaults of the options given in seconds: (base, per connection). Deadlines, not waits,
# sized for a guest under TCG whose packet handling slows as connections pile up.
ALLOWANCES = {"open_timeout": (120, 0.02), "accept_timeout": (60, 0.01), "settle": (30, 0.01)}


def allowance(args: argparse.Namespace, name: str, count: int) -> float:
    """Option `name` in seconds, or its default for `count` connections."""
    value = getattr(args, name)
    if value is not None:
        return value
    base, per_connection = ALLOWANCES[name]
    return base + per_connection * count


def open_all(fleet: Fleet, count: int, args: argparse.Namespace, payload: Optional[bytes] = None) -> dict:
    """Open `count` connections; print how fast; fail if any was refused, reset or timed out."""
    start = time.monotonic()
    r = fleet.open(count, allowance(args, "open_timeout", count), payload=payload,
                   connect_timeout=args.connect_timeout, request_timeout=args.request_timeout)
    r["seconds"] = seconds = time.monotonic() - start
    say(f"opened {r['established']} of {count} connections in {seconds:.1f} s "
        f"({r['established'] / seconds:.0f}/s) from {len(fleet.sources)} source addresses "
        f"({fleet.sources[0]}..{fleet.sources[-1]}); failed: {describe(r['failed'])}")
    check(r["established"] == count and not r["failed"], f"all {count} connections established",
          describe(r["failed"]))
    if payload == REQUEST:
        check(r["answered"] == count and not r["errors"],
              f"each answered its first request ({latency(r['latencies'])})", describe(r["errors"]))
    return r


def all_accepted(count: int) -> Callable[[dict], bool]:
    """Whether a status counts `count` connections open besides the one asking for it."""
    return lambda status: connections_open(status) >= count + 1


def wait_accepted(status: StatusClient, fleet: Fleet, count: int, seconds: float) -> dict:
    """Until /status counts all `count` connections open; then none of ours may have been
    ended by the server."""
    now, ok = status.wait(all_accepted(count), seconds)
    survey = fleet.survey(0.2)
    check(ok, f"the server accepted all {count} (http.connections_open {connections_open(now)})",
          f"only {connections_open(now)} after {seconds:g} s; server ended {describe(survey['lost'])}")
    check(survey["open"] == count, f"none of the {count} ended by the server", describe(survey["lost"]))
    return now


def wait_drained(status: StatusClient, seconds: float, baseline: Optional[dict] = None,
                 tolerance: int = 0) -> tuple[dict, bool]:
    """Until the guest holds no connection but /status's own (and, given a `baseline`, its
    memory.used_bytes is back within `tolerance` bytes of it): the last status, and whether."""
    def drained(s: dict) -> bool:
        return connections_open(s) <= 1 and (baseline is None or used_bytes(s) <= used_bytes(baseline) + tolerance)
    return status.wait(drained, seconds)


def check_index(status: dict) -> None:
    """Every entry of the guest's connection index is a control block lwIP still has: one left
    behind by a closed connection would point at freed memory."""
    stack = status["stack"]
    check(stack["indexed"] <= stack["tcp_pcbs"]["used"],
          f"connection index: {stack['indexed']} entries, lwIP holds {stack['tcp_pcbs']['used']} control blocks")


# -- scenarios ----------------------------------------------------------------------------

def hold(host: str, port: int, args: argparse.Namespace) -> None:
    """N idle keep-alive connections, all accepted; one request on each; memory per
    connection from /status while they are open, and after they close."""
    count = args.count
    status = StatusClient(host, port)
    baseline = status.get()
    show_status("before", baseline)
    with Fleet.sized(host, port, count, args) as fleet:
        try:
            opened = open_all(fleet, count, args, REQUEST if args.first_request else None)
        except AssertionError:
            show_refusals(status.get())
            raise
        held = wait_accepted(status, fleet, count, allowance(args, "accept_timeout", count))
        show_status(f"with {count} open", held)
        grown = per_connection(baseline, held, count)
        say(f"memory.used_bytes {used_bytes(baseline)} -> {used_bytes(held)}: {grown:.0f} bytes per connection"
            + (f"; the guest says {guest_figure(held):.0f}" if guest_figure(held) is not None else ""))
        start = time.monotonic()
        r = fleet.request(args.request_timeout, allowance(args, "open_timeout", count))
        seconds = time.monotonic() - start
        check(r["answered"] == count and not r["errors"],
              f"{r['answered']} of {count} answered 200 in {seconds:.1f} s ({latency(r['latencies'])})",
              describe(r["errors"]))
        fleet.close()
    settle = allowance(args, "settle", count)
    after, drained = wait_drained(status, settle)
    show_status("after closing", after)
    status.close()
    if args.max_bytes_per_connection:
        for what, figure in (("memory.used_bytes growth", grown), ("the guest's own figure", guest_figure(held))):
            if figure is not None:
                check(figure <= args.max_bytes_per_connection,
                      f"{what}: {figure:.0f} bytes per connection (at most {args.max_bytes_per_connection})")
    check(drained, "all closed: the guest holds none of them",
          f"http.connections_open {connections_open(after)} after {settle:g} s")
    check_index(after)
    say(f"hold: {count} connections opened in {opened['seconds']:.1f} s ({count / opened['seconds']:.0f}/s), "
        f"all accepted and answered; used_bytes {used_bytes(baseline)} before, {used_bytes(held)} with them open "
        f"({grown:.0f} B/connection), {used_bytes(after)} after")


def steady(host: str, port: int, args: argparse.Namespace) -> None:
    """N keep-alive connections each doing a request every --interval for --duration."""
    count = args.count
    with Fleet.sized(host, port, count, args) as fleet:
        open_all(fleet, count, args)
        say(f"each of {count} connections does GET / every {args.interval:g} s for {args.duration:g} s")
        r = fleet.steady(args.interval, args.duration, args.request_timeout)
        fleet.close()
    say(f"steady: {r['scheduled']} requests scheduled, {r['sent']} sent, {r['answered']} answered, "
        f"errors: {describe(r['errors'])}; {latency(r['latencies'])}; "
        f"{r['answered'] / args.duration:.0f} requests/s")
    check(r["sent"] and r["answered"] == r["sent"] and not r["errors"], "every request answered 200",
          describe(r["errors"]))
    check(r["sent"] >= args.min_schedule * r["scheduled"],
          f"{r['sent']} of {r['scheduled']} scheduled requests sent (at least {args.min_schedule:.0%})",
          "the answers came too slowly to keep each connection on its schedule")


def serve(connections: list[Connection], what: str) -> None:
    """GET / on each of `connections` (open, blocking), answered 200 with the hello body."""
    for i, c in enumerate(connections):
        try:
            c.send(get("/"))
            reply = c.response()
        except OSError as e:
            raise AssertionError(f"{what} {i}: {type(e).__name__}: {e}") from None
        if reply.status != 200 or reply.body != HELLO:
            raise AssertionError(f"{what} {i} answered {reply.status} {reply.body[:40]!r}")


def pressure(host: str, port: int, args: argparse.Namespace) -> None:
    """Connections opened in batches until the guest refuses them or --max: refused with a
    reset, the first connections (kept busy) still served, memory back to its baseline."""
    status = StatusClient(host, port)
    baseline = status.get()
    show_status("before", baseline)
    first = [Connection(host, port) for _ in range(args.watched)]
    total, refused, peak = 0, Counter(), baseline
    try:
        serve(first, "first connection")
        with Fleet.sized(host, port, args.max, args) as fleet:
            while total < args.max and not refused:
                batch = min(args.batch, args.max - total)
                r = fleet.open(batch, allowance(args, "open_timeout", batch), connect_timeout=args.connect_timeout,
                               stop_on_failure=True)
                total += r["established"]
                ended = fleet.survey(1.0)["lost"]  # a refusal after the handshake: a reset soon after
                refused = Counter(r["failed"]) + Counter(ended)
                serve(first, "first connection")  # the most recently active ones: not to be reclaimed
                peak = status.get()
                say(f"{total} opened: http.connections_open {connections_open(peak)}, used_bytes "
                    f"{used_bytes(peak)}; refused or ended by the server: {describe(refused)}")
            show_status("at the peak", peak)
            if refused:
                say(f"the guest refused at {connections_open(peak)} open: {describe(refused)}")
                check(any(kind.startswith(RESETS) for kind in refused), "refused cleanly (with a reset)",
                      f"only {describe(refused)}")
            else:
                say(f"no refusal up to --max {args.max}")
            serve(first, "first connection")
            check(True, f"the first {args.watched} connections still served")
            fleet.close()
    finally:
        for c in first:
            c.sock.close()
    settle = allowance(args, "settle", total)
    after, drained = wait_drained(status, settle, baseline, args.tolerance)
    show_status("after closing", after)
    status.close()
    say(f"pressure: used_bytes {used_bytes(baseline)} before, {used_bytes(peak)} at the peak with "
        f"{connections_open(peak)} open, {used_bytes(after)} after closing")
    check(drained, f"memory back within {args.tolerance} bytes of the baseline",
          f"{used_bytes(after) - used_bytes(baseline)} bytes above it after {settle:g} s, "
          f"http.connections_open {connections_open(after)}")
    check_index(after)


def fresh_client(host: str, port: int, seconds: float) -> tuple[Optional[float], Counter]:
    """A new connection doing GET /, retried every 50 ms until it is answered 200 or `seconds`
    pass: (seconds until answered or None, what the failed attempts saw)."""
    start = time.monotonic()
    failures: Counter = Counter()
    while (left := start + seconds - time.monotonic()) > 0:
        try:
            with Connection(host, port, timeout=left) as c:
                c.send(get("/"))
                reply = c.response()
            if reply.status == 200:
                return time.monotonic() - start, failures
            failures[f"answered {reply.status}"] += 1
        except ConnectionResetError:
            failures["reset by the server"] += 1
        except (OSError, AssertionError) as e:
            failures[type(e).__name__ if not isinstance(e, AssertionError) else "closed without an answer"] += 1
        time.sleep(0.05)
    return None, failures


def slowheads(host: str, port: int, args: argparse.Namespace) -> None:
    """N connections each holding half a request head (as many as the server's limit); a
    fresh client must still be served within --limit seconds."""
    count = args.count
    with Fleet.sized(host, port, count, args) as fleet:
        open_all(fleet, count, args, PARTIAL_HEAD)
        held = fleet.survey(1.0)
        check(held["open"] == count, f"{count} connections hold a partial head",
              f"the server ended {describe(held['lost'])}")
        served, failures = fresh_client(host, port, args.limit + args.observe)
        ended = fleet.survey(0.5)["lost"]
        fleet.close()
    attempts = f"{sum(failures.values())} attempts failed ({describe(failures)})"
    outcome = f"served after {served:.3f} s" if served is not None else f"not served in {args.limit + args.observe:g} s"
    say(f"slowheads: the fresh client was {outcome}; {attempts}; "
        f"of the {count} partial heads the server ended {describe(ended)}")
    check(served is not None and served <= args.limit,
          f"a fresh client served within {args.limit:g} s while {count} connections hold partial heads",
          f"it was {outcome}; {attempts}: at its limit the server did not reclaim a partial head for it")


def idle(host: str, port: int, args: argparse.Namespace) -> None:
    """For tools/bench connections: N idle connections held until a line arrives on stdin
    (at most --hold seconds), as JSON lines on stdout: {"event": "baseline"}, {"event":
    "open"} (established, failures, seconds, /status with --status once the server counts
    them all), {"event": "closed"} (/status once they are gone)."""
    def emit(event: str, **fields: object) -> None:
        print(json.dumps({"event": event, **fields}), flush=True)

    status = StatusClient(host, port) if args.status else None
    baseline = status.get() if status else None
    emit("baseline", status=baseline)
    with Fleet.sized(host, port, args.count, args) as fleet:
        start = time.monotonic()
        r = fleet.open(args.count, allowance(args, "open_timeout", args.count),
                       connect_timeout=args.connect_timeout)
        seconds = time.monotonic() - start
        held, accepted = (status.wait(all_accepted(args.count), allowance(args, "accept_timeout", args.count))
                          if status else (None, None))
        survey = fleet.survey(0.2)
        emit("open", count=args.count, established=r["established"], failed=r["failed"], seconds=seconds,
             accepted=accepted, still_open=survey["open"], lost=survey["lost"], status=held,
             sources=len(fleet.sources))
        deadline = time.monotonic() + args.hold
        while time.monotonic() < deadline and not select.select([sys.stdin], [], [], 1.0)[0]:
            pass
        fleet.close()
    after, drained = wait_drained(status, allowance(args, "settle", args.count)) if status else (None, None)
    emit("closed", status=after, drained=drained)


def answer(host: str, port: int, args: argparse.Namespace) -> None:
    """For tools/bench net: N connections opened at once (--in-flight handshakes at a time),
    each sending GET / as soon as it is open; the seconds from the first connect until the
    last answer, as one JSON line on stdout ({"event": "answered", ...}), then the checks."""
    count = args.count
    with Fleet.sized(host, port, count, args) as fleet:
        start = time.monotonic()
        r = fleet.open(count, allowance(args, "open_timeout", count), payload=REQUEST,
                       connect_timeout=args.connect_timeout, request_timeout=args.request_timeout)
        seconds = time.monotonic() - start
        fleet.close()
    latencies = sorted(r["latencies"])
    quantiles = (statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1
                 else latencies * 99)
    print(json.dumps({"event": "answered", "count": count, "seconds": seconds, "established": r["established"],
                      "answered": r["answered"], "failed": r["failed"], "errors": r["errors"],
                      "ended": r["ended"], "in_flight": args.in_flight,
                      "latency_ms": {"p50": quantiles[49] * 1000, "p99": quantiles[98] * 1000,
                                     "max": latencies[-1] * 1000} if latencies else None}), flush=True)
    check(r["established"] == count and not r["failed"], f"all {count} connections established",
          describe(r["failed"]))
    check(r["answered"] == count and not r["errors"],
          f"each answered 200 in {seconds:.1f} s in all ({latency(latencies)})", describe(r["errors"]))


SCENARIOS = {"hold": hold, "steady": steady, "pressure": pressure, "slowheads": slowheads, "idle": idle,
             "answer": answer}


def parse_args(argv: list[str]) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--in-flight", type=int, default=256,
                        help="handshakes or requests in flight at once, over all workers (default %(default)s)")
    common.add_argument("--workers", type=int, default=1,
                        help="worker processes (source addresses) at least; more when the count needs them")
    common.add_argument("--per-worker", type=int, default=0,
                        help="connections per worker at most (default: its file limit less a reserve)")
    common.add_argument("--connect-timeout", type=float, default=15.0, help="seconds per handshake")
    common.add_argument("--request-timeout", type=float, default=10.0, help="seconds per request")
    common.add_argument("--open-timeout", type=float,
                        help="seconds to open all connections, or to do a request on each "
                             "(default 120 + 20 ms per connection)")
    common.add_argument("--accept-timeout", type=float,
                        help="seconds for /status to count them all open after the handshakes "
                             "(default 60 + 10 ms per connection)")
    common.add_argument("--close-rate", type=float, default=CLOSE_RATE,
                        help="connections closed per second at the end, all workers together "
                             "(default %(default)s)")
    common.add_argument("--settle", type=float,
                        help="seconds for the guest to let go of closed connections "
                             "(default 30 + 10 ms per connection)")
    # What the guest keeps on purpose once connections are gone: its stack pool (256 stacks, a
    # page each), lwIP's object free lists (256 KiB) and some cached connection buffers.
    common.add_argument("--tolerance", type=int, default=5 << 19,
                        help="bytes above the baseline memory.used_bytes that count as back "
                             "(default 2.5 MiB: the guest's bounded caches, README 'Memory')")

    p = argparse.ArgumentParser(prog="python3 -m harness.many_connections", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, default=80)
    sub = p.add_subparsers(dest="scenario", required=True)
    h = sub.add_parser("hold", parents=[common], help=hold.__doc__)
    h.add_argument("--count", type=int, required=True)
    h.add_argument("--first-request", action="store_true",
                   help="each connection does one request as soon as it is open, then idles "
                        "(default: connect and send nothing until all are open)")
    h.add_argument("--max-bytes-per-connection", type=int, default=0,
                   help="fail above this many bytes per open connection (used_bytes growth, and the "
                        "guest's connections.bytes_per_connection.total when present)")
    s = sub.add_parser("steady", parents=[common], help=steady.__doc__)
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--interval", type=float, default=1.0)
    s.add_argument("--duration", type=float, default=60.0)
    s.add_argument("--min-schedule", type=float, default=0.9,
                   help="fraction of the scheduled requests that must be sent (default %(default)s)")
    pr = sub.add_parser("pressure", parents=[common], help=pressure.__doc__)
    pr.add_argument("--max", type=int, default=100000, help="connections at most (default %(default)s)")
    pr.add_argument("--batch", type=int, default=500, help="connections per batch (default %(default)s)")
    pr.add_argument("--watched", type=int, default=10, help="first connections that must stay served")
    sl = sub.add_parser("slowheads", parents=[common], help=slowheads.__doc__)
    sl.add_argument("--count", type=int, required=True, help="the server's connection limit")
    sl.add_argument("--limit", type=float, default=1.0, help="seconds the fresh client may wait (default 1)")
    sl.add_argument("--observe", type=float, default=15.0,
                    help="after --limit, keep trying this long to say how long the lockout lasts")
    i = sub.add_parser("idle", parents=[common], help=idle.__doc__)
    i.add_argument("--count", type=int, required=True)
    i.add_argument("--status", action="store_true", help="the guest is Coronet: read its /status")
    i.add_argument("--hold", type=float, default=600.0, help="seconds to wait for the line on stdin")
    a = sub.add_parser("answer", parents=[common], help=answer.__doc__)
    a.add_argument("--count", type=int, required=True)
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    raise_file_limit()
    try:
        SCENARIOS[args.scenario](args.host, args.port, args)
    except (AssertionError, OSError) as e:
        print(f"FAIL: {e}" if isinstance(e, AssertionError) else f"FAIL: {type(e).__name__}: {e}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
