"""HTTP clients for the appliance's web server tests: real clients (curl, ab, wrk) and raw
sockets for what no client sends on purpose (malformed requests, pipelining, slow senders).

Each scenario raises AssertionError (or a socket error) on failure and prints one line per
check. Run as a program against HOST:PORT, e.g. from inside a network namespace:
`ip netns exec ns env PYTHONPATH=tools python3 -m harness.http_clients --host 10.77.0.2 load`
(net_test.py --client http starts it so, through Appliance).
"""
from __future__ import annotations

import argparse
import email.utils
import hashlib
import json
import os
import re
import select
import socket
import struct
import subprocess
import sys
import threading
import time

from .echo_clients import connect
from .loadgen import run_ab, run_wrk

TIMEOUT = 30.0
HELLO = b"Hello, world!\n"


def check(condition: bool, what: str, detail: object = "") -> None:
    if not condition:
        raise AssertionError(f"{what}: {detail}" if detail != "" else what)
    print(f"ok: {what}", flush=True)


# -- raw HTTP over sockets ---------------------------------------------------------------------

class Reply:
    def __init__(self, status: int, reason: str, headers: dict[str, str], body: bytes):
        self.status, self.reason, self.headers, self.body = status, reason, headers, body

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class Connection:
    """A socket with a read buffer that parses responses one at a time (fixed length, chunked
    or until close), so pipelined responses can be taken apart in order."""

    def __init__(self, host: str, port: int, timeout: float = TIMEOUT):
        self.sock = connect(host, port, timeout)
        self.buffer = b""

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _more(self) -> bool:
        data = self.sock.recv(65536)
        self.buffer += data
        return bool(data)

    def _take_line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            if not self._more():
                raise AssertionError(f"connection closed inside a response line: {self.buffer[:200]!r}")
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _take(self, count: int) -> bytes:
        while len(self.buffer) < count:
            if not self._more():
                raise AssertionError(f"connection closed {count - len(self.buffer)} bytes before the body's end")
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def response(self, head_only: bool = False) -> Reply:
        while b"\r\n\r\n" not in self.buffer:
            if not self._more():
                raise AssertionError(f"connection closed before a response head: {self.buffer[:200]!r}")
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        match = re.match(rb"HTTP/1\.[01] (\d{3}) ?(.*)", lines[0])
        if not match:
            raise AssertionError(f"not a status line: {lines[0]!r}")
        status = int(match.group(1))
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.decode().strip().lower()] = value.decode().strip()
        body = b""
        if head_only or status in (204, 304) or status < 200:
            pass
        elif "content-length" in headers:
            body = self._take(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int(self._take_line().split(b";")[0], 16)
                if size == 0:
                    while self._take_line():
                        pass
                    break
                body += self._take(size)
                self._take_line()
        else:
            while self._more():
                pass
            body, self.buffer = self.buffer, b""
        return Reply(status, match.group(2).decode(), headers, body)

    def closed_by_peer(self, timeout: float = 10.0) -> bool:
        """True when the server ends the connection (FIN or reset) within `timeout`."""
        self.sock.settimeout(timeout)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False


def request(host: str, port: int, data: bytes, head_only: bool = False) -> Reply:
    with Connection(host, port) as c:
        c.send(data)
        return c.response(head_only)


def get(path: str, host_header: str = "appliance", extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host_header}\r\n{extra}\r\n".encode()


def status_json(host: str, port: int) -> dict:
    return json.loads(request(host, port, get("/status")).body)


def still_serving(host: str, port: int) -> None:
    reply = request(host, port, get("/"))
    check(reply.status == 200 and reply.body == HELLO, "still serving GET /")


# -- curl -------------------------------------------------------------------------------------

def curl(*args: str, data: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["curl", "--silent", "--show-error", "--max-time", "30", *args],
                          input=data, capture_output=True, timeout=60)


def basic(host: str, port: int) -> None:
    base = f"http://{host}:{port}"
    r = curl("-i", f"{base}/")
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    check(r.returncode == 0 and body == HELLO, "curl GET / returns the hello body", r.stderr)
    check(head.startswith(b"HTTP/1.1 200 OK"), "status line", head[:40])
    headers = {k.lower(): v for k, _, v in (l.decode().partition(": ") for l in head.split(b"\r\n")[1:])}
    check(headers.get("content-length") == "14", "Content-Length: 14", headers)
    check(headers.get("content-type", "").startswith("text/plain"), "Content-Type text/plain", headers)
    check(headers.get("server") == "coronet", "Server header", headers)
    date = headers.get("date")
    check(date is not None, "Date header present", headers)
    skew = abs(email.utils.parsedate_to_datetime(date).timestamp() - time.time())
    check(skew < 120, f"Date header is the real time (off by {skew:.0f} s)", date)

    r = curl("--head", f"{base}/")
    check(r.returncode == 0 and b"Content-Length: 14" in r.stdout and not r.stdout.rstrip().endswith(b"!"),
          "curl HEAD /: length, no body", r.stdout)

    payload = bytes(range(256)) * 64
    r = curl("--data-binary", "@-", "-H", "Content-Type: application/octet-stream", f"{base}/echo", data=payload)
    check(r.returncode == 0 and r.stdout == payload, "curl POST /echo with a 16 KiB body comes back", len(r.stdout))

    r = curl("--data-binary", "@-", "-H", "Transfer-Encoding: chunked", f"{base}/echo", data=payload * 4)
    check(r.returncode == 0 and r.stdout == payload * 4, "curl chunked upload of 64 KiB comes back", len(r.stdout))

    r = curl("-v", "--data-binary", "@-", "-H", "Expect: 100-continue", f"{base}/echo", data=b"continued")
    check(r.returncode == 0 and r.stdout == b"continued" and b"HTTP/1.1 100 Continue" in r.stderr,
          "curl Expect: 100-continue gets 100 then the echo", r.stderr[-300:])

    r = curl("-v", f"{base}/", f"{base}/status", f"{base}/")
    check(r.returncode == 0 and r.stderr.count(b"Re-using existing connection") + r.stderr.count(b"Reusing existing connection") >= 2,
          "curl reuses one keep-alive connection for three requests", r.stderr[-400:])

    r = curl(f"{base}/status")
    status = json.loads(r.stdout)
    check(status["http"]["requests"] >= 8 and status["coroutines"]["alive"] >= 3
          and status["memory"]["free_bytes"] > 0 and status["uptime_ms"] > 0 and status["net"][0]["rx_packets"] > 0,
          "GET /status is JSON with live counters", status)

    r = curl("-i", f"{base}/dashboard")
    check(r.returncode == 0 and b"200 OK" in r.stdout and b"text/html" in r.stdout and b"<html" in r.stdout.lower(),
          "GET /dashboard serves the HTML page", r.stdout[:200])
    r = curl("-o", "/dev/null", "-w", "%{http_code} %{content_type}", f"{base}/dashboard.js")
    check(r.stdout.decode().startswith("200 text/javascript"), "dashboard.js served as JavaScript", r.stdout)
    r = curl("-o", "/dev/null", "-w", "%{http_code}", f"{base}/no-such-file")
    check(r.stdout == b"404", "missing file: 404", r.stdout)


# -- bundle -----------------------------------------------------------------------------------

def bundle(host: str, port: int) -> None:
    first = request(host, port, get("/dashboard"))
    etag = first.header("etag")
    check(first.status == 200 and etag and etag.startswith('"'), "dashboard has a strong ETag", first.headers)
    again = request(host, port, get("/dashboard", extra=f"If-None-Match: {etag}\r\n"))
    check(again.status == 304 and again.body == b"", "If-None-Match with the ETag: 304 without a body", again.status)
    other = request(host, port, get("/dashboard", extra='If-None-Match: "stale"\r\n'))
    check(other.status == 200 and other.body == first.body, "a stale ETag gets the page again", other.status)
    for path in ("/../etc/passwd", "/%2e%2e/dashboard.html", "/css/../../x", "/dashboard.html%00.js", "/a//b"):
        reply = request(host, port, get(path))
        check(reply.status in (400, 404), f"{path} stays inside the bundle ({reply.status})", reply.status)
    still_serving(host, port)


# -- error statuses ---------------------------------------------------------------------------

# (what, request, status, whether the server must close the connection afterwards): a request
# it could not read to the end ends the connection; a well-formed one it merely refuses does not.
ERROR_CASES: list[tuple[str, bytes, int, bool]] = [
    ("malformed request line", b"GET/HTTP/1.1\r\nHost: a\r\n\r\n", 400, True),
    ("garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400, True),
    ("missing Host on HTTP/1.1", b"GET / HTTP/1.1\r\n\r\n", 400, True),
    ("Content-Length and Transfer-Encoding", b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
                                             b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, True),
    ("obs-fold", b"GET / HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n", 400, True),
    ("bad chunk size", b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, True),
    ("unknown route", get("/no/such/route"), 404, False),
    ("method not allowed", b"DELETE / HTTP/1.1\r\nHost: a\r\n\r\n", 405, False),
    ("body over the limit", b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n\r\n", 413, True),
    ("request line over the limit", get("/" + "a" * 9000), 414, True),
    ("one header over the limit", get("/", extra="X-Big: " + "b" * 20000 + "\r\n"), 431, True),
    ("too many headers", get("/", extra="".join(f"X-H{i}: v\r\n" for i in range(100))), 431, True),
    ("unknown transfer coding", b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501, True),
    ("unknown method", b"BREW / HTTP/1.1\r\nHost: a\r\n\r\n", 501, False),
    ("HTTP/2.0", b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, True),
]


def errors(host: str, port: int) -> None:
    for what, data, status, closes in ERROR_CASES:
        with Connection(host, port) as c:
            c.send(data)
            reply = c.response()
            check(reply.status == status, f"{what}: {status} {reply.reason}", f"got {reply.status}")
            if closes:
                check(reply.header("connection") == "close" and c.closed_by_peer(),
                      f"{what}: the server closes the connection", reply.headers)
            else:
                c.send(get("/"))
                check(c.response().status == 200, f"{what}: the connection stays usable")
    # Just under the limits: a 12 KiB head (the connection's buffer grows for it) and 60 fields.
    for what, data in (("12 KiB head", get("/", extra="X-Big: " + "b" * 12000 + "\r\n")),
                       ("60 header fields", get("/", extra="".join(f"X-H{i}: v\r\n" for i in range(59))))):
        with Connection(host, port) as c:
            for piece in (data[:3000], data[3000:7000], data[7000:]):  # arriving in pieces
                c.send(piece)
                time.sleep(0.05)
            reply = c.response()
            check(reply.status == 200 and reply.body == HELLO, f"{what}: served", reply.status)
    # A body that stops arriving, then the client goes away: nothing to answer, nothing stuck.
    with Connection(host, port) as c:
        c.send(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly part")
    still_serving(host, port)


# -- pipelining -------------------------------------------------------------------------------

def pipeline(host: str, port: int, depth: int = 64) -> None:
    requests, expected = [], []
    for i in range(depth):
        kind = i % 4
        if kind == 0:
            requests.append(get("/"))
            expected.append((200, HELLO, False))
        elif kind == 1:
            body = f"request {i}".encode()
            requests.append(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            expected.append((200, body, False))
        elif kind == 2:
            body = f"chunked {i}".encode()
            requests.append(b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                            b"%x\r\n%s\r\n0\r\nX-Trailer: t\r\n\r\n" % (len(body), body))
            expected.append((200, body, False))
        else:
            requests.append(b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")
            expected.append((200, b"", True))
    data = b"".join(requests)
    for how, pieces in (("one write", [data]),
                        ("split in 7-byte pieces", [data[i:i + 7] for i in range(0, len(data), 7)])):
        with Connection(host, port) as c:
            if len(pieces) == 1:
                c.send(pieces[0])
            else:  # a writer thread, so responses can flow back while we are still sending
                threading.Thread(target=lambda: [c.send(p) for p in pieces], daemon=True).start()
            for i, (status, body, head_only) in enumerate(expected):
                reply = c.response(head_only)
                if reply.status != status or reply.body != body:
                    raise AssertionError(f"{how}: response {i} out of order or wrong: {reply.status} {reply.body!r}")
        check(True, f"{depth} pipelined requests ({how}) answered in order")
    still_serving(host, port)


# -- a slow client ----------------------------------------------------------------------------

def slow(host: str, port: int, limit: float = 10.0) -> None:
    """One header byte per second: 408 after the header timeout, while others are served."""
    result: dict[str, object] = {}

    def slow_client() -> None:
        with Connection(host, port, timeout=limit * 3) as c:
            start = time.monotonic()
            for byte in get("/", extra="X-Slow: " + "s" * 200 + "\r\n"):
                try:
                    c.send(bytes([byte]))
                except (BrokenPipeError, ConnectionResetError):
                    break
                readable, _, _ = select.select([c.sock], [], [], 1.0)
                if readable:  # the server answered (or closed): stop sending
                    break
            result["elapsed"] = time.monotonic() - start
            result["reply"] = c.response()
            result["closed"] = c.closed_by_peer()

    thread = threading.Thread(target=slow_client)
    thread.start()
    served = 0
    while thread.is_alive():
        reply = request(host, port, get("/"))
        assert reply.status == 200 and reply.body == HELLO, f"GET / failed while a slow client waits: {reply.status}"
        served += 1
        time.sleep(0.2)
    thread.join()
    reply = result.get("reply")
    check(isinstance(reply, Reply) and reply.status == 408, "the slow client gets 408 Request Timeout",
          getattr(reply, "status", result))
    elapsed = float(result["elapsed"])  # type: ignore[arg-type]
    check(limit * 0.8 <= elapsed <= limit * 2.5, f"after the header timeout ({elapsed:.1f} s)", elapsed)
    check(bool(result["closed"]), "and its connection is closed")
    check(served >= 10, f"{served} other requests served meanwhile")


# -- load with real benchmark clients ---------------------------------------------------------

def load(host: str, port: int, requests: int = 20000, duration: int = 5) -> None:
    url = f"http://{host}:{port}/"
    ab = run_ab(url, requests, 100)
    detail = ab.get("output", ab.get("error", ""))[-800:]
    check(ab.get("exit") == 0 and ab.get("complete") == requests, f"ab -k -c 100 -n {requests}: all complete", detail)
    check(ab["failed_requests"] == 0, "ab: 0 failed", detail)
    check(ab["non_2xx"] == 0, "ab: 0 non-2xx", detail)
    check(ab["keepalive"] >= requests * 0.99, "ab: connections kept alive", detail)
    print(f"ab: {ab['rps'] or '?'} requests/s", flush=True)

    for label, depth in (("plain", 0), ("pipelined", 16)):
        wrk = run_wrk(url, 2, 100, duration, depth)
        detail = wrk.get("output", wrk.get("error", ""))
        check(wrk.get("exit") == 0 and wrk.get("requests", 0) > 0, f"wrk {label}: requests served", detail)
        check(wrk["non_2xx"] == 0, f"wrk {label}: 0 non-2xx", detail)
        check(not any(wrk["socket_errors"].values()), f"wrk {label}: 0 socket errors", detail)
        print(f"wrk {label}: {wrk['rps'] or '?'} requests/s", flush=True)
    still_serving(host, port)
    drained(host, port)


def drained(host: str, port: int, wait: float = 15.0) -> None:
    """Once the clients are gone, the stack holds no buffers or connections for them: what a
    leak would pin until the appliance stops serving."""
    deadline = time.monotonic() + wait
    while True:
        stack = status_json(host, port)["stack"]
        held = {"rx_lent": stack["rx_lent"], "pbuf_pool": stack["pbuf_pool"]["used"],
                "tcp_pcbs": stack["tcp_pcbs"]["used"], "tx_backlog": stack["tx_backlog"]}
        # The /status request's own connection (and one closing before it) may still count.
        if max(held.values()) <= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    check(max(held.values()) <= 2, "after the load: receive buffers, pbufs and connections all released", stack)


def serve_each(connections: list[Connection], what: str) -> None:
    """GET / on each connection in turn: every one answers 200 with the hello body."""
    for i, c in enumerate(connections):
        c.send(get("/"))
        reply = c.response()
        if reply.status != 200 or reply.body != HELLO:
            raise AssertionError(f"{what} {i}: {reply.status} to GET /")


def wait_let_go(host: str, port: int, seconds: float) -> dict:
    """/status once the guest counts no connection open but the /status request's own (or
    after `seconds`)."""
    deadline = time.monotonic() + seconds
    while (status := status_json(host, port))["http"]["connections_open"] > 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    return status


def idle(host: str, port: int, count: int = 50) -> None:
    """Idle keep-alive connections hold no connection buffers: each of `count` connections is
    served a request (one of them with a head too big for a pooled buffer), then /status says
    that together they hold nothing but the /status request's own input buffer; afterwards
    every one of them still answers."""
    big_head = get("/", extra="".join(f"X-Filler-{i}: {'x' * 200}\r\n" for i in range(40)))
    connections = [Connection(host, port) for _ in range(count)]
    try:
        for i, c in enumerate(connections):
            c.send(big_head if i == 0 else get("/"))
            reply = c.response()
            if reply.status != 200:
                raise AssertionError(f"connection {i}: {reply.status} to its first request")
        status = status_json(host, port)
        buffers, http = status["connection_buffers"], status["http"]
        check(http["connections_open"] >= count, f"{count} idle keep-alive connections open",
              http["connections_open"])
        check(buffers["bytes_held"] <= buffers["buffer_size"] and buffers["large_bytes"] == 0,
              f"{count} idle connections hold no buffers (bytes_held {buffers['bytes_held']}: the "
              f"/status request's own input)", buffers)
        serve_each(connections, "idle connection")
        check(True, f"all {count} idle connections serve again")
        # Reset by the clients (RST, no FIN): the server lets go of every one of them.
        for c in connections:
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.sock.close()
        open_now = wait_let_go(host, port, 10)["http"]["connections_open"]
        check(open_now <= 1, f"{count} reset connections no longer counted open", open_now)
    finally:
        for c in connections:
            c.sock.close()


def reconnect(host: str, port: int, rounds: int = 3) -> None:
    """A client reusing its port right after the server closed (server in TIME-WAIT): the new
    SYN must open a new connection at once, as with Linux servers, not wait out 2 MSL."""
    client_port = 0
    for i in range(rounds):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("", client_port))
        client_port = s.getsockname()[1]
        s.settimeout(5)
        started = time.monotonic()
        try:
            s.connect((host, port))
        except OSError as e:
            raise AssertionError(f"connect from port {client_port} (round {i + 1}) failed: {e}")
        connect_s = time.monotonic() - started
        s.sendall(get("/", extra="Connection: close\r\n"))
        data = b""
        while chunk := s.recv(65536):  # the server closes first: it is the side in TIME-WAIT
            data += chunk
        s.close()
        check(data.startswith(b"HTTP/1.1 200") and data.endswith(HELLO) and connect_s < 2,
              f"connection {i + 1} from port {client_port}, over the last one's TIME-WAIT: "
              f"connected in {connect_s * 1000:.0f} ms", data[:100])
        time.sleep(0.2)  # our FIN acknowledged: the server is in TIME-WAIT now
    status = status_json(host, port)
    check(status["stack"]["time_wait_reuses"] >= rounds - 1, "the server counted the TIME-WAIT reuses",
          status["stack"])


def recovered(host: str, port: int, most: int = 400) -> None:
    """With interrupts being dropped (virtio_net.lose_interrupts=N), the driver noticed the
    waiting work by itself; the load before this proved nothing was lost. Under load the
    reactor polls anyway and a lost interrupt may go unnoticed, so requests one at a time,
    spaced, follow until one was lost while the guest was idle (each needs interrupts to wake
    it): every one answered, the check counted."""
    for i in range(most):
        reply = request(host, port, get("/"))
        if reply.status != 200 or reply.body != HELLO:
            check(False, f"spaced request {i + 1} answered", reply.body[:200])
        if i % 10 == 9:
            status = status_json(host, port)
            if status["net"][0]["interrupts_missed"] > 0:
                break
        time.sleep(0.02)
    missed = status["net"][0]["interrupts_missed"]
    check(missed > 0, f"the driver recovered from {missed} lost interrupts ({i + 1} spaced requests "
          "after the load, each answered)", status["net"])


def ipv6(host: str, port: int, host6: str, count: int = 300) -> None:
    """IPv6 beside IPv4 (`host6`: the guest's link-local address, `fe80::...%tap0`): `count`
    keep-alive connections of each, opened alternately so that their control blocks interleave
    on lwIP's list, all served; then the IPv6 ones end (half with FIN, half reset) while the
    IPv4 ones keep serving, curl fetches over IPv6, and once all are gone the guest holds none
    of them and its connection index only live control blocks."""
    check(bool(host6), "the guest's IPv6 link-local address is known", host6)
    v4: list[Connection] = []
    v6: list[Connection] = []
    try:
        for _ in range(count):
            v4.append(Connection(host, port))
            v6.append(Connection(host6, port))
        for name, conns in (("IPv4", v4), ("IPv6", v6)):
            serve_each(conns, f"{name} connection")
            check(True, f"{count} {name} keep-alive connections served")
        stack = status_json(host, port)["stack"]
        check(stack["indexed"] >= 2 * count, f"all {2 * count} in the guest's connection index", stack["indexed"])
        for i, c in enumerate(v6):
            if i % 2:
                c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.sock.close()
        v6 = []
        serve_each(v4, "IPv4 connection, after the IPv6 ones ended,")
        check(True, f"the {count} IPv4 connections still served once the IPv6 ones ended")
        address, _, zone = host6.partition("%")
        r = curl("-g", f"http://[{address}%25{zone}]:{port}/")
        check(r.returncode == 0 and r.stdout == HELLO, "curl GET / over IPv6", r.stderr)
    finally:
        for c in v4 + v6:
            c.sock.close()
    status = wait_let_go(host, port, 15)
    check(status["http"]["connections_open"] <= 1, "all let go", status["http"]["connections_open"])
    stack = status["stack"]
    check(stack["indexed"] <= stack["tcp_pcbs"]["used"],
          f"connection index: {stack['indexed']} entries, lwIP holds {stack['tcp_pcbs']['used']} control blocks")


def big_post(host: str, port: int, size: int, timeout: float = 60.0) -> None:
    """POST /echo with a `size`-byte body (the server needs http.max_body at least that), the
    response read while the body goes out: the same bytes come back (SHA-256). Says when the
    body was all sent and when the response's first and last bytes came, so a slow or cut
    transfer shows which way it was slow. `timeout` bounds each wait for progress."""
    payload = os.urandom(size)
    head = (f"POST /echo HTTP/1.1\r\nHost: appliance\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {size}\r\n\r\n").encode()
    sent: dict = {}
    with connect(host, port, timeout) as sock:
        start = time.monotonic()

        def send() -> None:
            try:
                sock.sendall(head)
                sock.sendall(payload)
                sent["at"] = time.monotonic() - start
            except OSError as e:
                sent["error"] = f"{type(e).__name__}: {e}"
        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        buffer, first, got, length, digest = b"", None, 0, None, hashlib.sha256()
        try:
            while length is None or got < length:
                data = sock.recv(1 << 20)
                if not data:
                    raise ConnectionError("closed by the server")
                first = first if first is not None else time.monotonic() - start
                if length is None:
                    buffer += data
                    end = buffer.find(b"\r\n\r\n")
                    if end < 0:
                        continue
                    status = buffer.split(b" ", 2)[1]
                    match = re.search(rb"(?im)^content-length:\s*(\d+)", buffer[:end])
                    if status != b"200" or not match:
                        raise AssertionError(f"POST /echo answered {buffer[:end][:200]!r}")
                    length, data = int(match.group(1)), buffer[end + 4:]
                digest.update(data)
                got += len(data)
        except (OSError, ConnectionError) as e:
            when = time.monotonic() - start
            raise AssertionError(
                f"POST /echo of {size} bytes: {type(e).__name__}: {e} at {when:.1f} s with {got} bytes of the "
                f"response in; body {'sent at %.1f s' % sent['at'] if 'at' in sent else 'not all sent'}"
                + (f", response's first byte at {first:.1f} s" if first is not None else "")) from None
        done = time.monotonic() - start
        sender.join(timeout)
    check(length == size and digest.digest() == hashlib.sha256(payload).digest(),
          f"POST /echo of {size >> 20} MiB came back intact", f"{got} bytes, not the ones sent")
    up = sent.get("at", done)
    print(f"post: body sent in {up:.1f} s ({size / max(up, 1e-3) / 1e6:.2f} MB/s); response's first byte at "
          f"{first:.1f} s, last at {done:.1f} s ({size / max(done - first, 1e-3) / 1e6:.2f} MB/s)", flush=True)


SCENARIOS = {
    "basic": basic,
    "bundle": bundle,
    "errors": errors,
    "pipeline": pipeline,
    "slow": slow,
    "load": load,
    "reconnect": reconnect,
    "idle": idle,
    "recovered": recovered,
    "ipv6": ipv6,
    "big_post": big_post,
}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, default=80)
    p.add_argument("--header-timeout", type=float, default=10.0, help="the server's, for 'slow'")
    p.add_argument("--requests", type=int, default=20000, help="ab requests, for 'load'")
    p.add_argument("--host6", default="", help="the guest's IPv6 address, for 'ipv6'")
    p.add_argument("--post-bytes", type=int, default=16 << 20, help="body size, for 'big_post'")
    p.add_argument("scenario", nargs="+", choices=sorted(SCENARIOS))
    args = p.parse_args()
    for name in args.scenario:
        print(f"== {name}", flush=True)
        if name == "slow":
            slow(args.host, args.port, args.header_timeout)
        elif name == "load":
            load(args.host, args.port, args.requests)
        elif name == "ipv6":
            ipv6(args.host, args.port, args.host6)
        elif name == "big_post":
            big_post(args.host, args.port, args.post_bytes)
        else:
            SCENARIOS[name](args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
