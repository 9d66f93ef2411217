"""TCP keep-alive's tests (the appliance booted with KEEPALIVE_OPTIONS, see
cmake/guest_tests.cmake), run inside the test's namespace:

  dead  Redis clients that vanish without a word (nftables drops every segment of theirs both
        ways, as if their machine had lost power) are found by keep-alive and their
        connections, coroutines and buffers freed within idle + count x interval (plus lwIP's
        500 ms timer tick), while an idle client that is still there keeps its connection and
        is answered afterwards.

Each scenario raises AssertionError on failure and prints one line per check.
"""
from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time

from .http_clients import check, status_json

IDLE_S, INTERVAL_S, COUNT = 2, 1, 3
KEEPALIVE_OPTIONS = f"redis.keepalive={IDLE_S},{INTERVAL_S},{COUNT}"
DETECTION_S = IDLE_S + COUNT * INTERVAL_S  # the longest a dead peer may hold its connection
TICK_S = 0.5  # lwIP's slow timer, on which probes are counted
STATUS_PORT = 80


def ping(sock: socket.socket) -> None:
    sock.sendall(b"*1\r\n$4\r\nPING\r\n")
    reply = b""
    while not reply.endswith(b"\r\n"):
        chunk = sock.recv(64)
        if not chunk:
            raise AssertionError("connection closed before +PONG")
        reply += chunk
    check(reply == b"+PONG\r\n", "PING answered", reply)


def redis_clients(host: str) -> int:
    return int(status_json(host, STATUS_PORT)["redis"]["clients"])


def blackhole(ports: list[int], port: int) -> None:
    """Drops every segment to or from these local ports: the peers are gone, silently."""
    listed = ", ".join(str(p) for p in ports)
    rules = (f"table inet vanished {{\n"
             f" chain out {{ type filter hook output priority 0; tcp sport {{ {listed} }} tcp dport {port} drop; }}\n"
             f" chain in {{ type filter hook input priority 0; tcp dport {{ {listed} }} tcp sport {port} drop; }}\n"
             f"}}\n")
    subprocess.run(["nft", "-f", "-"], input=rules, text=True, check=True)


def dead(host: str, port: int, count: int) -> None:
    survivor = socket.create_connection((host, port), timeout=10)
    ping(survivor)
    # With the survivor connected: what /status's own request holds is counted as well.
    before = status_json(host, STATUS_PORT)
    coroutines_before = int(before["coroutines"]["alive"])
    held_before = int(before["connection_buffers"]["bytes_held"])
    doomed = [socket.create_connection((host, port), timeout=10) for _ in range(count)]
    for sock in doomed:
        ping(sock)
    check(redis_clients(host) == count + 1, f"{count + 1} clients connected")
    blackhole([s.getsockname()[1] for s in doomed], port)
    vanished = time.monotonic()
    freed_after = None
    deadline = vanished + DETECTION_S + 4 * TICK_S + 3
    while time.monotonic() < deadline:
        clients = redis_clients(host)
        if clients == 1:
            freed_after = time.monotonic() - vanished
            break
        time.sleep(0.2)
    check(freed_after is not None,
          f"the {count} vanished clients were dropped (keep-alive {IDLE_S},{INTERVAL_S},{COUNT}: "
          f"within {DETECTION_S} s and a timer tick)", f"{redis_clients(host)} clients still")
    print(f"dead peers found {freed_after:.1f} s after they vanished "
          f"(idle {IDLE_S} s + {COUNT} probes x {INTERVAL_S} s = {DETECTION_S} s)", flush=True)
    check(freed_after >= IDLE_S, f"not before {IDLE_S} s of silence ({freed_after:.1f} s)")
    time.sleep(1)  # the coroutines see the error and return
    after = status_json(host, STATUS_PORT)
    check(int(after["coroutines"]["alive"]) <= coroutines_before,
          f"their coroutines ended ({after['coroutines']['alive']} alive, {coroutines_before} before)")
    held = int(after["connection_buffers"]["bytes_held"])
    check(held <= held_before, f"their buffers were freed ({held} bytes held, {held_before} before)")
    # The survivor stayed idle all along: its probes were answered, it is still connected.
    time.sleep(max(0.0, DETECTION_S + 1 - (time.monotonic() - vanished)))
    ping(survivor)
    check(redis_clients(host) == 1, "the idle client that did not vanish is still connected")
    for sock in [survivor, *doomed]:
        sock.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, default=6379)
    p.add_argument("--count", type=int, default=20, help="clients that vanish")
    p.add_argument("scenario", nargs="+", choices=["dead"])
    args = p.parse_args()
    for name in args.scenario:
        print(f"== {name}", flush=True)
        dead(args.host, args.port, args.count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
