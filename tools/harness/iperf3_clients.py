"""iperf3 clients for the appliance's iperf3 server tests: Debian's `iperf3` client (3.12) with
its JSON report (-J) read back, and raw sockets for what no client sends on purpose.

Scenarios: `run` (normal, -R, -P 8 and -n, each report checked and its throughput printed),
`busy` (a second client while a test runs is refused as iperf3's own server refuses it),
`garbage` (bad cookies, oversized and malformed messages, silence: each connection closed, the
server still serving), `udp` (refused with iperf3's error); every scenario ends by checking
the appliance still answers HTTP on port 80. Each raises AssertionError on failure and prints
one `ok:` line per check. Run as a program against HOST:PORT from inside the namespace, e.g.
`ip netns exec ns env PYTHONPATH=tools python3 -m harness.iperf3_clients --host 10.77.0.2
run busy` (net_test.py --client iperf3 starts it so, through Appliance).
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import struct
import subprocess
import sys
import time
import urllib.request

from .echo_clients import connect

COOKIE_SIZE = 37
PARAM_EXCHANGE, SERVER_ERROR = 9, 0xFE
CLIENT_TIMEOUT = 60.0  # one iperf3 run, setup and results included
SOCKET_TIMEOUT = 20.0  # the server's own setup timeout is 10 s


def check(condition: bool, what: str, detail: object = "") -> None:
    if not condition:
        raise AssertionError(f"{what}: {detail}" if detail != "" else what)
    print(f"ok: {what}", flush=True)


def iperf3(host: str, port: int, *args: str) -> tuple[int, dict]:
    """Runs `iperf3 -c host -p port -J args`; its exit status and JSON report."""
    argv = ["iperf3", "-c", host, "-p", str(port), "-J", *args]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=CLIENT_TIMEOUT)
    try:
        report = json.loads(r.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"{' '.join(argv)}: no JSON report (exit {r.returncode}): "
                             f"{r.stdout[-600:]} {r.stderr[-600:]}")
    return r.returncode, report


def mbps(bits_per_second: float) -> str:
    return f"{bits_per_second / 1e6:.1f} Mbit/s"


def check_report(what: str, report: dict, streams: int) -> None:
    """Both sides' figures are there: the client's own and the server's (the receiver side in
    a normal test, the sender side in a reverse one), each stream's adding up to the sums."""
    check("error" not in report, f"{what}: no error", report.get("error"))
    end = report["end"]
    check(len(end["streams"]) == streams, f"{what}: {streams} stream(s) in the report", len(end["streams"]))
    sent, received = end["sum_sent"], end["sum_received"]
    check(sent["bytes"] > 0 and received["bytes"] > 0,
          f"{what}: bytes on both sides (sent {sent['bytes']}, received {received['bytes']})")
    for side, total in (("sender", sent), ("receiver", received)):
        parts = sum(s[side]["bytes"] for s in end["streams"])
        check(parts == total["bytes"], f"{what}: the {side} streams add up to the {side} sum",
              f"{parts} != {total['bytes']}")
        check(all(s[side]["bytes"] > 0 and s[side]["seconds"] > 0 for s in end["streams"]),
              f"{what}: every stream moved bytes over time on the {side} side")
    check(received["bytes"] <= sent["bytes"], f"{what}: no more received than sent")
    check("remote_total" in end["cpu_utilization_percent"], f"{what}: the server's CPU figure")
    print(f"figures: {what}: sender {mbps(sent['bits_per_second'])}, "
          f"receiver {mbps(received['bits_per_second'])} "
          f"({sent['bytes']} / {received['bytes']} bytes, server CPU "
          f"{end['cpu_utilization_percent']['remote_total']:.1f} %)", flush=True)


def run(host: str, port: int, seconds: int) -> None:
    t = str(seconds)
    for what, args, streams in (("normal", ["-t", t], 1),
                                ("reverse -R", ["-t", t, "-R"], 1),
                                ("parallel -P 8", ["-t", t, "-P", "8"], 8),
                                ("bytes -n 16M", ["-n", "16M"], 1)):
        status, report = iperf3(host, port, *args)
        check(status == 0, f"{what}: iperf3 exits 0", report.get("error"))
        check_report(what, report, streams)
    status, report = iperf3(host, port, "-n", "4M", "-R")
    check(status == 0 and report["end"]["sum_received"]["bytes"] >= 4 << 20,
          "reverse -n 4M: the client gets its 4 MiB", report.get("error"))


def busy(host: str, port: int) -> None:
    first = subprocess.Popen(["iperf3", "-c", host, "-p", str(port), "-J", "-t", "4"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)  # running by now
        _, report = iperf3(host, port, "-t", "1")  # with -J, 3.12 exits 0 even so
        check("busy" in report.get("error", ""),
              "a second client while a test runs is told the server is busy", report.get("error"))
        out, _ = first.communicate(timeout=CLIENT_TIMEOUT)
    finally:
        if first.poll() is None:
            first.kill()
    check(first.returncode == 0, "the running test completes all the same")
    check_report("the busy server's own test", json.loads(out), 1)


def expect_closed(sock: socket.socket, what: str, first: bytes = b"") -> None:
    """The server closes (FIN or reset) after `first` bytes at most, within its timeouts."""
    got = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            got += chunk
    except ConnectionResetError:
        pass
    check(got == first, f"{what}: closed by the server", got[:64])


def garbage(host: str, port: int) -> None:
    cookie = b"abcdefghijklmnopqrstuvwxyz0123456789\0"
    cases = [
        ("an HTTP request", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b""),
        ("random bytes", os.urandom(64), b""),
        ("a cookie without its NUL", cookie[:-1] + b"x", b""),
        ("an oversized parameters message", cookie + struct.pack(">I", 0xFFFFFFFF), bytes([PARAM_EXCHANGE])),
        ("a zero-length message", cookie + struct.pack(">I", 0), bytes([PARAM_EXCHANGE])),
    ]
    for what, data, answer in cases:
        with connect(host, port, SOCKET_TIMEOUT) as sock:
            sock.sendall(data)
            expect_closed(sock, what, answer)
    # Parameters the server cannot use: SERVER_ERROR with iperf3's error number and an errno.
    for what, params, code in (("parameters that are not JSON", b"{nope", 114),
                               ("1 000 streams", b'{"tcp":true,"parallel":1000,"time":1}', 6)):
        with connect(host, port, SOCKET_TIMEOUT) as sock:
            sock.sendall(cookie + struct.pack(">I", len(params)) + params)
            reply = b""
            while len(reply) < 10:
                more = sock.recv(16)
                if not more:
                    break
                reply += more
            check(reply == bytes([PARAM_EXCHANGE, SERVER_ERROR]) + struct.pack(">ii", code, 0),
                  f"{what}: SERVER_ERROR with iperf3's error {code}", reply)
    # Half a cookie, then silence: closed at the server's setup timeout while others are served.
    silent = connect(host, port, SOCKET_TIMEOUT)
    silent.sendall(cookie[:10])
    quiet = connect(host, port, SOCKET_TIMEOUT)  # connects and says nothing at all
    try:
        status, report = iperf3(host, port, "-t", "1")
        check(status == 0, "a real client is served meanwhile", report.get("error"))
        check_report("after garbage", report, 1)
        expect_closed(silent, "half a cookie, then silence")
        expect_closed(quiet, "a connection that says nothing")
    finally:
        silent.close()
        quiet.close()
    # Reset in the middle of a test's setup: the next test runs.
    sock = connect(host, port, SOCKET_TIMEOUT)
    sock.sendall(cookie)
    check(sock.recv(1) == bytes([PARAM_EXCHANGE]), "a lone cookie starts a test")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # RST
    time.sleep(0.5)  # the server has taken the reset in before the next client comes
    status, report = iperf3(host, port, "-t", "1")
    check(status == 0, "the next client after a reset control connection is served", report.get("error"))


def udp(host: str, port: int) -> None:
    _, report = iperf3(host, port, "-u", "-t", "1")
    check("not implemented" in report.get("error", ""),
          "UDP is refused with iperf3's 'not implemented' error", report.get("error"))


def still_serving_http(host: str) -> None:
    with urllib.request.urlopen(f"http://{host}/", timeout=SOCKET_TIMEOUT) as r:
        check(r.read() == b"Hello, world!\n", "the appliance still answers HTTP")
    deadline = time.monotonic() + 5  # the last client's goodbye may still be on its way
    while True:
        with urllib.request.urlopen(f"http://{host}/status", timeout=SOCKET_TIMEOUT) as r:
            status = json.load(r)["iperf3"]
        if status["state"] == "idle" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    check(status["state"] == "idle" and status["completed"] >= 1 and status["bytes_received"] > 0,
          "/status reports the iperf3 server idle with its tests counted", status)
    print(f"status: iperf3 {status}", flush=True)
    with urllib.request.urlopen(f"http://{host}/status", timeout=SOCKET_TIMEOUT) as r:
        device = json.load(r)["net"][0]
    # Over a tap with vnet headers, the host hands its TCP segments over coalesced (GUEST_TSO).
    check(device["rx_coalesced"] > 0 and device["rx_checksum_trusted"] > 0,
          f"the device handed over {device['rx_coalesced']} coalesced frames and vouched for "
          f"{device['rx_checksum_trusted']} checksums of {device['rx_packets']} frames", device)


SCENARIOS = {"run": None, "busy": busy, "garbage": garbage, "udp": udp}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, default=5201)
    p.add_argument("--seconds", type=int, default=3, help="for 'run': each timed test's -t")
    p.add_argument("scenario", nargs="+", choices=sorted(SCENARIOS))
    args = p.parse_args()
    for name in args.scenario:
        print(f"== {name}", flush=True)
        if name == "run":
            run(args.host, args.port, args.seconds)
        else:
            SCENARIOS[name](args.host, args.port)
    still_serving_http(args.host)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (AssertionError, OSError, subprocess.TimeoutExpired) as e:
        print(f"FAIL: {type(e).__name__}: {e}", flush=True)
        sys.exit(1)
