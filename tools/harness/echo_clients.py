"""Echo clients for the network tests: real sockets against a Coronet echo server (RFC 862).

Each scenario raises AssertionError (or a socket error) on failure and prints one line per
check. Run as a program to execute scenarios against HOST:PORT, e.g. from inside a network
namespace: `ip netns exec ns env PYTHONPATH=tools python3 -m harness.echo_clients
--host 10.77.0.2 many --connections 1000` (net_test.py starts it so, through Appliance).
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import resource
import socket
import struct
import sys
import threading
import time

TIMEOUT = 60.0


def connect(host: str, port: int, timeout: float = TIMEOUT) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def recv_exactly(sock: socket.socket, count: int) -> bytes:
    chunks, got = [], 0
    while got < count:
        chunk = sock.recv(min(count - got, 1 << 20))
        if not chunk:
            raise AssertionError(f"connection closed after {got} of {count} echoed bytes")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def echo_once(host: str, port: int, payload: bytes) -> None:
    with connect(host, port) as sock:
        sock.sendall(payload)
        back = recv_exactly(sock, len(payload))
    assert back == payload, f"echo of {len(payload)} bytes came back different"


def stream(host: str, port: int, total: int, chunk: int = 256 * 1024) -> float:
    """Sends `total` pseudo-random bytes while a second thread reads the echo; compares SHA-256
    of both directions. Returns MB/s."""
    sent_hash, got_hash = hashlib.sha256(), hashlib.sha256()
    errors: list[BaseException] = []
    seed = os.urandom(chunk)
    with connect(host, port) as sock:
        def reader() -> None:
            try:
                got = 0
                while got < total:
                    data = sock.recv(1 << 20)
                    if not data:
                        raise AssertionError(f"stream closed after {got} of {total} bytes")
                    got_hash.update(data)
                    got += len(data)
            except BaseException as e:  # reported by the main thread
                errors.append(e)
        t = threading.Thread(target=reader)
        start = time.monotonic()
        t.start()
        sent = 0
        counter = 0
        while sent < total:
            block = (struct.pack("<Q", counter) + seed)[: min(chunk, total - sent)]
            sock.sendall(block)
            sent_hash.update(block)
            sent += len(block)
            counter += 1
        t.join(timeout=600)
        elapsed = time.monotonic() - start
    if errors:
        raise errors[0]
    assert not t.is_alive(), "echo reader did not finish"
    assert sent_hash.hexdigest() == got_hash.hexdigest(), "SHA-256 of the echoed stream differs"
    return total / elapsed / 1e6


def basic(host: str, port: int, big: int) -> None:
    echo_once(host, port, b"x")
    print("ok: 1 byte echoed", flush=True)
    echo_once(host, port, os.urandom(64 * 1024))
    print("ok: 64 KiB echoed", flush=True)
    rate = stream(host, port, big)
    print(f"ok: {big >> 20} MiB streamed, SHA-256 equal both ways ({rate:.1f} MB/s)", flush=True)


def faults(host: str, port: int) -> None:
    # A peer that resets mid-transfer.
    sock = connect(host, port)
    sock.sendall(os.urandom(512 * 1024))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # RST, with echoed data unread
    echo_once(host, port, b"after reset")
    print("ok: a peer reset mid-transfer; others still served", flush=True)

    # A peer that never reads: the server's writes must block on it without starving others.
    hog = connect(host, port)
    hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    hog.setblocking(False)
    pushed = 0
    deadline = time.monotonic() + 10
    last_progress = time.monotonic()
    block = os.urandom(64 * 1024)
    while time.monotonic() < deadline:
        try:
            pushed += hog.send(block)
            last_progress = time.monotonic()
        except BlockingIOError:
            time.sleep(0.05)  # both directions are full: back-pressure reached us
            if time.monotonic() - last_progress > 1.0:
                break  # stalled for a second: every buffer on the way is full
    for i in range(5):
        echo_once(host, port, f"while a peer does not read #{i}".encode())
    print(f"ok: a peer that never reads ({pushed >> 10} KiB pushed, stalled); others still served", flush=True)
    hog.close()

    # A reader that stalls, then sips, then drains: the server's queue fills against a window
    # that shrinks to nothing and reopens a little at a time; the echo must come back whole.
    with connect(host, port) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        payload = os.urandom(2 << 20)
        errors: list[BaseException] = []

        def send() -> None:
            try:
                sock.sendall(payload)
            except BaseException as e:  # reported below
                errors.append(e)
        sender = threading.Thread(target=send)
        sender.start()
        time.sleep(1.0)
        back = bytearray()
        for _ in range(100):
            back += sock.recv(4096)
            time.sleep(0.002)
        back += recv_exactly(sock, len(payload) - len(back))
        sender.join(timeout=TIMEOUT)
    if errors:
        raise errors[0]
    assert bytes(back) == payload, "echo to a stalled, then slow, reader came back different"
    print("ok: a reader that stalls, then reads slowly, gets the whole echo", flush=True)

    # Half-close: we shut our side; the server echoes what we sent and then closes too.
    with connect(host, port) as sock:
        payload = os.urandom(200 * 1024)
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        back = b""
        while True:
            data = sock.recv(1 << 20)
            if not data:
                break
            back += data
    assert back == payload, f"half-closed echo: {len(back)} of {len(payload)} bytes, equal={back == payload}"
    print("ok: half-close: everything echoed, then end of stream", flush=True)
    echo_once(host, port, b"still serving")
    print("ok: still serving after the faults", flush=True)


async def _many(host: str, port: int, connections: int, size: int) -> None:
    payloads = [os.urandom(size) for _ in range(connections)]
    opened: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    for i in range(connections):  # all open at once before any echo
        try:
            opened.append(await asyncio.wait_for(asyncio.open_connection(host, port), TIMEOUT))
        except asyncio.TimeoutError:
            raise AssertionError(f"connection {i} of {connections}: no answer to the SYN in {TIMEOUT:g} s") from None

    async def one(i: int) -> None:
        reader, writer = opened[i]
        writer.write(payloads[i])
        await writer.drain()
        try:
            back = await asyncio.wait_for(reader.readexactly(size), TIMEOUT)
        except asyncio.TimeoutError:
            raise AssertionError(f"connection {i}: no echo within {TIMEOUT:g} s") from None
        assert back == payloads[i], f"connection {i}: wrong echo"

    await asyncio.gather(*(one(i) for i in range(connections)))
    for _, writer in opened:
        writer.close()
    await asyncio.gather(*(w.wait_closed() for _, w in opened), return_exceptions=True)


def many(host: str, port: int, connections: int, size: int = 1024) -> None:
    start = time.monotonic()
    asyncio.run(_many(host, port, connections, size))
    print(f"ok: {connections} concurrent connections each echoed {size} bytes correctly "
          f"({time.monotonic() - start:.1f} s)", flush=True)


def limit(host: str, port: int, maximum: int) -> None:
    """The server allows `maximum` connections: one more is refused with a reset, and a slot
    freed by closing one is usable again."""
    held = []
    for i in range(maximum):
        sock = connect(host, port)
        sock.sendall(b"hold")
        assert recv_exactly(sock, 4) == b"hold", f"connection {i} within the limit not served"
        held.append(sock)
    extra = connect(host, port)
    try:
        extra.sendall(b"one too many")
        data = extra.recv(64)
        assert data == b"", f"connection over the limit was served: {data!r}"
    except (ConnectionResetError, BrokenPipeError):
        pass
    extra.close()
    print(f"ok: connection {maximum + 1} refused with a reset while {maximum} are open", flush=True)
    held.pop().close()
    time.sleep(0.5)
    echo_once(host, port, b"a freed slot")
    for sock in held:
        echo_back = b"still here"
        sock.sendall(echo_back)
        assert recv_exactly(sock, len(echo_back)) == echo_back
        sock.close()
    print("ok: a freed slot serves again; the held connections kept working", flush=True)


def udp(host: str, port: int, count: int = 200) -> None:
    """Datagrams of many sizes come back to their sender unchanged (a few may be lost: UDP)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(2.0)
    answered = 0
    for i in range(count):
        payload = os.urandom(1 + (i * 37) % 1400)
        sock.sendto(payload, (host, port))
        try:
            data, sender = sock.recvfrom(2048)
        except socket.timeout:
            continue
        assert data == payload, f"datagram {i}: echoed {len(data)} bytes, sent {len(payload)}"
        assert sender[1] == port, f"reply from port {sender[1]}"
        answered += 1
    sock.close()
    assert answered >= count * 0.95, f"only {answered} of {count} datagrams echoed"
    print(f"ok: {answered} of {count} UDP datagrams echoed unchanged", flush=True)


def raise_file_limit(files: int = 8192) -> None:
    """1 000 sockets at once need more descriptors than the usual soft limit of 1 024."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, files), hard))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, default=7)
    sub = p.add_subparsers(dest="scenario", required=True)
    b = sub.add_parser("basic")
    b.add_argument("--big", type=int, default=100 << 20, help="bytes to stream (default 100 MiB)")
    sub.add_parser("faults")
    m = sub.add_parser("many")
    m.add_argument("--connections", type=int, default=1000)
    sub.add_parser("udp")
    lim = sub.add_parser("limit")
    lim.add_argument("--max", type=int, required=True)
    args = p.parse_args()
    raise_file_limit()
    if args.scenario == "basic":
        basic(args.host, args.port, args.big)
    elif args.scenario == "faults":
        faults(args.host, args.port)
    elif args.scenario == "udp":
        udp(args.host, args.port)
    elif args.scenario == "limit":
        limit(args.host, args.port, args.max)
    else:
        many(args.host, args.port, args.connections)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (AssertionError, OSError, asyncio.TimeoutError) as e:
        print(f"FAIL: {type(e).__name__}: {e}", flush=True)
        sys.exit(1)
