"""WebSocket clients for the appliance's WebSocket tests: real client libraries (Debian's
python3-websockets, Node's ws), headless Chromium, raw sockets for what no library sends on purpose (bad_input),
the conformance runner (harness.ws_conformance, Autobahn's case groups), and many connections
subscribed to one room at once.

Each scenario raises AssertionError (or a socket error) on failure and prints one `ok:` line
per check. Run as a program against HOST:PORT (the HTTP server's), e.g. from inside a network
namespace: `ip netns exec ns env PYTHONPATH=tools python3 -m harness.ws_clients --host 10.77.0.2
--port 80 libraries` (net_test.py --client websocket starts it so, through Appliance).
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Callable, Optional

from . import ROOT, module_command
from .echo_clients import raise_file_limit

TIMEOUT = 30.0  # any one socket operation
# python3-websockets is Debian's: under Debian's Python (the `python3` on PATH may be another).
DEBIAN_PYTHON = "/usr/bin/python3"
NODE_MODULES = Path(os.environ.get("CORONET_CACHE", ROOT / ".cache")) / "node" / "node_modules"
NODE_CLIENT = Path(__file__).resolve().parent / "ws_node.js"
SIZES = [0, 125, 126, 65535, 65536, 16 << 20]
CHAT_LIMIT = 4096  # apps/appliance/sockets.hpp kChatMaxMessage
# Close codes (RFC 6455 §7.4.1).
PROTOCOL_ERROR, INVALID_PAYLOAD, POLICY, TOO_BIG = 1002, 1007, 1008, 1009


def ok(what: str) -> None:
    print(f"ok: {what}", flush=True)


def check(condition: bool, what: str, detail: str = "") -> None:
    if not condition:
        raise AssertionError(f"{what}: {detail}" if detail else what)


def status(host: str, port: int) -> dict:
    with urllib.request.urlopen(f"http://{host}:{port}/status", timeout=TIMEOUT) as r:
        return json.load(r)


# --- a raw client: the handshake and frames written by hand -----------------------------------

class RawSocket:
    """A WebSocket connection over a plain socket: frames are built byte for byte, so a test
    can send what a correct client never would, and read the server's frames as they are."""

    def __init__(self, host: str, port: int, path: str = "/ws/echo", extra: str = ""):
        self.sock = socket.create_connection((host, port), timeout=TIMEOUT)
        self.key = key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           f"Sec-WebSocket-Version: 13\r\n{extra}\r\n").encode())
        self.buffer = b""
        head = self._read_until(b"\r\n\r\n")
        self.status_line = head.split(b"\r\n", 1)[0].decode()
        self.head = head.decode()

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError(f"closed before {marker!r}; got {self.buffer[:200]!r}")
            self.buffer += data
        head, self.buffer = self.buffer.split(marker, 1)
        return head

    def _read(self, count: int) -> bytes:
        while len(self.buffer) < count:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed in the middle of a frame")
            self.buffer += data
        out, self.buffer = self.buffer[:count], self.buffer[count:]
        return out

    def send_frame(self, opcode: int, payload: bytes = b"", fin: bool = True, rsv: int = 0,
                   mask: bool = True, length: Optional[int] = None) -> None:
        """A frame; `length` overrides the announced length (to lie about it)."""
        n = len(payload) if length is None else length
        head = bytes([(0x80 if fin else 0) | rsv << 4 | opcode])
        bit = 0x80 if mask else 0
        if n < 126:
            head += bytes([bit | n])
        elif n < 65536:
            head += bytes([bit | 126]) + struct.pack(">H", n)
        else:
            head += bytes([bit | 127]) + struct.pack(">Q", n)
        if mask:
            key = os.urandom(4)
            head += key
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + payload)

    def read_frame(self) -> tuple[int, bytes]:
        b0, b1 = self._read(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", self._read(8))[0]
        check(not b1 & 0x80, "server frames are not masked")
        return b0 & 0x0F, self._read(n)

    def expect_close(self, code: int, what: str) -> None:
        """The server's close frame with `code`, then the end of the TCP connection."""
        while True:
            opcode, payload = self.read_frame()
            if opcode == 8:
                break
        got = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
        check(got == code, what, f"close code {got}, wanted {code} ({payload[2:]!r})")
        self.sock.settimeout(TIMEOUT)
        self.send_frame(8, struct.pack(">H", code))
        try:
            while self.sock.recv(65536):
                pass
        except ConnectionResetError:
            pass  # acceptable: the server had already closed
        self.sock.close()
        ok(f"{what}: closed with {code}")

    def close(self) -> None:
        self.sock.close()


# --- scenarios --------------------------------------------------------------------------------

def python_library(host: str, port: int) -> None:
    """Debian's python3-websockets: the payload matrix with and without permessage-deflate, a
    subprotocol, the status push, the chat room."""
    try:
        import websockets  # noqa: F401
    except ImportError:
        if os.path.realpath(sys.executable) == os.path.realpath(DEBIAN_PYTHON) or not Path(DEBIAN_PYTHON).is_file():
            raise
        print(f"python3-websockets is not importable here: running the scenario under {DEBIAN_PYTHON}", flush=True)
        r = subprocess.run(module_command("harness.ws_clients", "--host", host, "--port", str(port), "python",
                                          python=DEBIAN_PYTHON))
        check(r.returncode == 0, f"the python scenario under {DEBIAN_PYTHON}", f"exit {r.returncode}")
        return
    asyncio.run(_python_library(host, port))


async def _python_library(host: str, port: int) -> None:
    import websockets
    base = f"ws://{host}:{port}"
    for deflate in (False, True):
        async with websockets.connect(f"{base}/ws/echo", subprotocols=["chat", "echo"], max_size=None,
                                      compression="deflate" if deflate else None, open_timeout=TIMEOUT,
                                      close_timeout=TIMEOUT) as ws:
            check(ws.subprotocol == "echo", "subprotocol", str(ws.subprotocol))
            extensions = ws.response_headers.get("Sec-WebSocket-Extensions") or ""
            check(("permessage-deflate" in extensions) == deflate, "permessage-deflate negotiation", extensions)
            for size in SIZES:
                text = ("κόσμε " * (size // 11 + 1)).encode()[:size].decode("utf-8", "ignore")
                await ws.send(text)
                check(await asyncio.wait_for(ws.recv(), TIMEOUT) == text, f"text echo of {len(text)} characters")
                data = os.urandom(size)
                await ws.send(data)
                check(await asyncio.wait_for(ws.recv(), TIMEOUT) == data, f"binary echo of {size} bytes")
        ok(f"websockets {websockets.__version__}: echo of {SIZES} bytes, text and binary, deflate {deflate}")
    async with websockets.connect(f"{base}/ws/status", open_timeout=TIMEOUT) as ws:
        first = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        second = json.loads(await asyncio.wait_for(ws.recv(), 10))
        check(second["uptime_ms"] > first["uptime_ms"], "status pushes advance")
        check(first["websocket"]["open"] >= 1, "status counts this connection", str(first.get("websocket")))
    ok("status pushed on connect and every second")
    async with websockets.connect(f"{base}/ws/chat") as a, websockets.connect(f"{base}/ws/chat") as b:
        await a.send("hello room")
        check(await asyncio.wait_for(b.recv(), TIMEOUT) == "hello room", "chat reaches the other participant")
        check(await asyncio.wait_for(a.recv(), TIMEOUT) == "hello room", "chat reaches the sender")
    ok("chat room")


def node_library(host: str, port: int, prefix: str = "") -> None:
    """tools/harness/ws_node.js: Node's ws client (its output is its checks), its paths under
    `prefix` (a reverse proxy's)."""
    node = shutil.which("node")
    if node is None or not (NODE_MODULES / "ws").is_dir():
        raise AssertionError(f"no node or no {NODE_MODULES / 'ws'} (tools/deps installs them)")
    r = subprocess.run([node, str(NODE_CLIENT), f"ws://{host}:{port}{prefix}"], timeout=600,
                       env={**os.environ, "NODE_PATH": str(NODE_MODULES)})
    check(r.returncode == 0, "the ws (Node) scenario", f"exit {r.returncode}")


def browser(host: str, port: int, largest: int) -> None:
    """Headless Chromium's own WebSocket: the bundle's wstest.html (echo matrix with the
    browser's permessage-deflate and a subprotocol, the chat room), then the dashboard fed by
    /ws/status."""
    import tempfile
    from .browser import Browser, BrowserError
    origin = f"http://{host}" + ("" if port == 80 else f":{port}")
    with tempfile.TemporaryDirectory(prefix="coronet-chromium-") as profile:
        page = Browser(Path(profile))
        try:
            page.attach_page()

            def wait_for(expression: str, done: Callable[[object], bool], timeout: float) -> object:
                deadline = time.monotonic() + timeout
                while True:
                    value = page.evaluate(expression, timeout=120)
                    if done(value):
                        return value
                    if time.monotonic() > deadline:
                        raise AssertionError(f"{expression}: still {value!r} after {timeout:g} s")
                    page.pump(0.5)

            page.call("Page.navigate", {"url": f"{origin}/wstest.html?largest={largest}"})
            state = wait_for("document.body ? document.body.dataset.state : 'loading'",
                             lambda v: v in ("passed", "failed"), 600)
            print(page.evaluate("document.getElementById('results').textContent"), end="", flush=True)
            check(state == "passed", "the browser's WebSocket self-test")
            extensions = page.evaluate("document.body.dataset.extensions") or ""
            check("permessage-deflate" in extensions, "Chromium's permessage-deflate offer accepted", extensions)
            ok(f"Chromium: echo matrix and chat over WebSocket, extensions {extensions!r}")

            page.call("Page.navigate", {"url": f"{origin}/dashboard"})
            wait_for("document.body ? Number(document.body.dataset.samples || 0) : 0",
                     lambda v: isinstance(v, (int, float)) and v >= 3, 60)
            transport = page.evaluate("document.body.dataset.transport")
            check(transport == "websocket", "the dashboard is fed by /ws/status", str(transport))
            ok("the dashboard takes its numbers from /ws/status")
        except BrowserError as e:
            raise AssertionError(f"Chromium: {e}") from e
        finally:
            page.close()


def bad_input(host: str, port: int) -> None:
    """What a broken or hostile client sends: each gets its close code, and the appliance
    keeps serving everyone else."""
    bystander = RawSocket(host, port)
    check(bystander.status_line.startswith("HTTP/1.1 101"), "handshake", bystander.status_line)

    cases = [
        ("unmasked frame", PROTOCOL_ERROR, lambda s: s.send_frame(1, b"hi", mask=False)),
        ("126-byte ping", PROTOCOL_ERROR, lambda s: s.send_frame(9, b"x" * 126)),
        ("fragmented ping", PROTOCOL_ERROR, lambda s: s.send_frame(9, b"x", fin=False)),
        ("unknown opcode", PROTOCOL_ERROR, lambda s: s.send_frame(3, b"x")),
        ("reserved bit", PROTOCOL_ERROR, lambda s: s.send_frame(1, b"x", rsv=2)),
        ("continuation first", PROTOCOL_ERROR, lambda s: s.send_frame(0, b"x")),
        ("length with its top bit set", PROTOCOL_ERROR, lambda s: s.send_frame(2, b"", length=1 << 63)),
        ("2^63 - 1 bytes announced", TOO_BIG, lambda s: s.send_frame(2, b"", length=(1 << 63) - 1)),
        ("close code 1005 on the wire", PROTOCOL_ERROR, lambda s: s.send_frame(8, struct.pack(">H", 1005))),
        ("close reason not UTF-8", INVALID_PAYLOAD, lambda s: s.send_frame(8, struct.pack(">H", 1000) + b"\xff")),
        ("one-byte close", PROTOCOL_ERROR, lambda s: s.send_frame(8, b"\x03")),
    ]
    for what, code, send in cases:
        s = RawSocket(host, port)
        send(s)
        s.expect_close(code, what)

    # Invalid UTF-8 split across fragments: refused at the first impossible byte, before the
    # message's last fragment is sent.
    s = RawSocket(host, port)
    s.send_frame(1, "κόσμε".encode(), fin=False)
    s.send_frame(0, b"\xed", fin=False)
    s.send_frame(0, b"\xa0\x80", fin=False)  # a surrogate: cannot become valid
    s.expect_close(INVALID_PAYLOAD, "invalid UTF-8 across fragments, before the last one")

    # A chat line past the room's limit.
    s = RawSocket(host, port, "/ws/chat")
    s.send_frame(1, b"x" * (CHAT_LIMIT + 1))
    s.expect_close(TOO_BIG, "a chat message past the room's limit")

    # Handshakes that cannot be accepted.
    with socket.create_connection((host, port), timeout=TIMEOUT) as raw:
        raw.sendall(b"GET /ws/echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n")
        reply = raw.recv(4096).decode()
        check(reply.startswith("HTTP/1.1 426") and "Sec-WebSocket-Version: 13" in reply, "version 8 gets 426", reply)
    ok("Sec-WebSocket-Version 8: 426 naming version 13")
    with socket.create_connection((host, port), timeout=TIMEOUT) as raw:
        raw.sendall(b"GET /ws/echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    b"Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n")
        reply = raw.recv(4096).decode()
        check(reply.startswith("HTTP/1.1 400"), "a bad key gets 400", reply)
    ok("a Sec-WebSocket-Key that is not 16 bytes: 400")

    # The bystander saw none of it.
    bystander.send_frame(1, b"still here")
    check(bystander.read_frame() == (1, b"still here"), "the bystander's echo")
    bystander.send_frame(8, struct.pack(">H", 1000))
    check(bystander.read_frame()[0] == 8, "the bystander's close echoed")
    bystander.close()
    ok("a connection open throughout is still served")


def idle(host: str, port: int, idle_ms: int) -> None:
    """With ws.idle_timeout_ms=`idle_ms` on the guest: a silent client is pinged after that
    long; one that answers stays open, one that does not is closed with 1001 about 10 s later."""
    answering, silent = RawSocket(host, port), RawSocket(host, port)
    started = time.monotonic()
    for s in (answering, silent):
        s.sock.settimeout(idle_ms / 1000 + TIMEOUT)
        opcode, payload = s.read_frame()
        check(opcode == 9, "the server pings an idle client", f"opcode {opcode}")
    waited = time.monotonic() - started
    check(waited >= idle_ms / 1000 * 0.9, "not pinged before the idle timeout", f"{waited:.2f} s")
    ok(f"both idle clients pinged after {waited:.1f} s (idle timeout {idle_ms} ms)")
    answering.send_frame(10, payload)  # the pong
    silent.expect_close(1001, "a client that does not answer the ping")
    closed_after = time.monotonic() - started
    check(closed_after < idle_ms / 1000 + 20, "closed within the pong timeout", f"{closed_after:.1f} s")
    answering.send_frame(1, b"still here")
    opcode, payload = answering.read_frame()
    while opcode == 9:  # pinged again meanwhile: answer and read on
        answering.send_frame(10, payload)
        opcode, payload = answering.read_frame()
    check((opcode, payload) == (1, b"still here"), "the client that answered is still served")
    answering.close()
    ok("the client that answered its ping is still served")


def shutdown(host: str, port: int) -> None:
    """POST /ws/shutdown: every open client (echo, chat) gets 1001 and its TCP connection
    closed; new handshakes get 503; plain HTTP is still served. (Last: the endpoints stay shut
    for the rest of the boot.)"""
    clients = [RawSocket(host, port, path) for path in ("/ws/echo", "/ws/chat", "/ws/chat")]
    for c in clients:
        check(c.status_line.startswith("HTTP/1.1 101"), "handshake", c.status_line)
    request = urllib.request.Request(f"http://{host}:{port}/ws/shutdown", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=TIMEOUT) as r:
        answer = json.load(r)
    check(answer["closing"] >= 3 and answer["still_open"] == 0, "every connection closed in time", str(answer))
    for c in clients:
        c.expect_close(1001, "shutdown")
    late = RawSocket(host, port)
    check(late.status_line.startswith("HTTP/1.1 503"), "a handshake after the shutdown", late.status_line)
    late.close()
    check("websocket" in status(host, port), "plain HTTP still served")
    ok(f"shutdown: {answer['closing']} clients closed with 1001, new ones refused with 503")


def slow_consumer(host: str, port: int, messages: int = 3000) -> None:
    """A chat participant that never reads while another publishes: its queue fills and it
    loses messages (counted as dropped), and the reading participant gets every one, in order."""
    before = status(host, port)["websocket"]
    sleeper = RawSocket(host, port, "/ws/chat")
    reader = RawSocket(host, port, "/ws/chat")
    line = b"m" * 1000
    received = 0
    reader.sock.settimeout(TIMEOUT)
    for i in range(messages):
        reader.send_frame(1, line[:990] + b"%09d" % i + b"|")
        # The publisher is also a subscriber: read our own copies as we go, keeping up.
        while True:
            opcode, payload = reader.read_frame()
            check(opcode == 1, "chat frame", str(opcode))
            check(payload == line[:990] + b"%09d" % received + b"|", "messages arrive in order",
                  f"#{received}: {payload[990:]!r}")
            received += 1
            if received == i + 1:
                break
    after = status(host, port)["websocket"]
    dropped = after["dropped"] - before["dropped"]
    check(dropped > 0, "the sleeping participant's messages are dropped once its queue is full",
          f"dropped {dropped}")
    ok(f"{messages} messages published: the reader got all in order, the sleeper lost {dropped}")
    sleeper.close()
    reader.send_frame(8, struct.pack(">H", 1000))
    reader.close()


def conformance(host: str, port: int, report: Optional[str], scale: float) -> None:
    """harness.ws_conformance (Autobahn's case groups) against /ws/echo."""
    from . import ws_conformance
    result = ws_conformance.run(host, port, "/ws/echo", scale=scale)
    if report:
        result.write_json(report)
        result.write_text(str(Path(report).with_suffix(".txt")))
        print(f"conformance report: {report}", flush=True)
    check(result.clean(), "conformance: FAILED, WRONG CODE or UNCLEAN cases")
    ok("conformance: no FAILED, WRONG CODE or UNCLEAN case")


async def _many(host: str, port: int, count: int) -> tuple[float, float]:
    """`count` chat participants connected at once; one message to all; all close."""
    import random
    connections: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET /ws/chat HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
    start = time.monotonic()

    async def join() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        for attempt in range(5):
            try:
                r, w = await asyncio.wait_for(asyncio.open_connection(host, port), TIMEOUT)
                w.write(request)
                head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), TIMEOUT * 2)
                check(head.startswith(b"HTTP/1.1 101"), "chat handshake", head[:40].decode())
                return r, w
            except (ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError):
                await asyncio.sleep(0.2 + random.random())
        raise AssertionError("could not join the chat after 5 attempts")

    batch = 200
    for i in range(0, count, batch):
        connections += await asyncio.gather(*(join() for _ in range(min(batch, count - i))))
    joined = time.monotonic() - start
    # One participant speaks; every participant (itself included) must get it.
    message = b"to everyone"
    mask = os.urandom(4)
    frame = bytes([0x81, 0x80 | len(message)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(message))
    connections[0][1].write(frame)
    start = time.monotonic()

    async def receive(r: asyncio.StreamReader) -> None:
        head = await asyncio.wait_for(r.readexactly(2), TIMEOUT * 4)
        payload = await asyncio.wait_for(r.readexactly(head[1] & 0x7F), TIMEOUT)
        check(head[0] == 0x81 and payload == message, "the room's message", repr(head + payload))

    await asyncio.gather(*(receive(r) for r, _ in connections))
    delivered = time.monotonic() - start
    for r, w in connections:
        w.write(bytes([0x88, 0x82]) + b"\0\0\0\0" + struct.pack(">H", 1000))
    for r, w in connections:
        try:
            await asyncio.wait_for(r.read(), TIMEOUT * 2)
        except (ConnectionError, asyncio.TimeoutError):
            pass
        w.close()
    return joined, delivered


# Heap growth a round of connections may leave behind that is not a leak: lwIP's TIME-WAIT
# control blocks last 2 MSL, so rounds overlap them, and the connection index (8 bytes a slot,
# at most half full) and malloc's overhead grow with their peak. Anything a connection itself
# allocates (a message buffer starts at 256 bytes, a pooled buffer is 4 KiB) is more.
LEAK_BYTES_PER_CONNECTION = 100


def many(host: str, port: int, count: int, rounds: int = 3) -> None:
    """`count` connections in the chat room, `rounds` times: each round's message reaches all.
    Once they have closed: no WebSocket connection open and no zlib state held, and the heap
    less lwIP's own objects grown from the first round to the last by less than
    LEAK_BYTES_PER_CONNECTION a connection a round."""
    raise_file_limit(count + 512)
    first = None
    for round_ in range(1, rounds + 1):
        joined, delivered = asyncio.run(_many(host, port, count))
        ok(f"round {round_}: {count} connections joined the chat in {joined:.1f} s; "
           f"one message reached all in {delivered:.2f} s")
        deadline = time.monotonic() + 60
        while True:
            after = status(host, port)
            if after["websocket"]["open"] == 0 or time.monotonic() > deadline:
                break
            time.sleep(1)
        check(after["websocket"]["open"] == 0, "every connection closed", str(after["websocket"]["open"]))
        check(after["websocket"]["compression_bytes"] == 0, "no zlib state held",
              str(after["websocket"]["compression_bytes"]))
        heap = after["memory"]["heap_used_bytes"] - after["stack"]["object_bytes"]
        first = heap if first is None else first
        ok(f"round {round_}: all closed; heap less lwIP's objects {heap} bytes ({heap - first:+d} since round 1)")
    if rounds > 1:
        grown, allowed = heap - first, count * (rounds - 1) * LEAK_BYTES_PER_CONNECTION
        check(grown < allowed, "no memory left behind per connection",
              f"{grown} bytes more after {rounds - 1} more rounds (at most {allowed})")


SCENARIOS = ["python", "node", "browser", "bad_input", "idle", "shutdown", "slow_consumer", "conformance", "many"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, default=80)
    p.add_argument("scenario", nargs="+", help=f"one or more of {SCENARIOS}, with options as below")
    p.add_argument("--report", help="conformance: where the JSON report goes (text beside it)")
    p.add_argument("--scale", type=float, default=1.0, help="conformance: fraction of the long cases' messages")
    p.add_argument("--connections", type=int, default=5000, help="many: how many")
    p.add_argument("--idle-ms", type=int, default=2000, help="idle: the guest's ws.idle_timeout_ms")
    p.add_argument("--largest", type=int, default=16 << 20,
                   help="browser: the largest echo payload (16 MiB is slow in Chromium under a loaded host)")
    args = p.parse_args()
    for name in args.scenario:
        if name == "python":
            python_library(args.host, args.port)
        elif name == "node":
            node_library(args.host, args.port)
        elif name == "browser":
            browser(args.host, args.port, args.largest)
        elif name == "bad_input":
            bad_input(args.host, args.port)
        elif name == "idle":
            idle(args.host, args.port, args.idle_ms)
        elif name == "shutdown":
            shutdown(args.host, args.port)
        elif name == "slow_consumer":
            slow_consumer(args.host, args.port)
        elif name == "conformance":
            conformance(args.host, args.port, args.report, args.scale)
        elif name == "many":
            many(args.host, args.port, args.connections)
        else:
            p.error(f"unknown scenario {name!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
