#!/usr/bin/env python3
"""Network benchmark of the appliance's echo server, per board and network path: stream
throughput (bytes echoed per second, both directions at once), sequential connection rate
(connect, 1-byte echo, close) and burst accept rate (N connections opened concurrently).

Paths: `user` (QEMU user networking, a forwarded port: slirp listens with a backlog of 1, so
bursts are limited there by QEMU, not the guest) and `tap` (a tap device in a namespace).
Prints a markdown table of medians over --runs. The Linux-guest baseline the networking issue
asks for needs the Linux guest image (HTTP issue); until then figures are Coronet's alone.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.dont_write_bytecode = True
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from net_test import GUEST_ADDRESS, HOST_ADDRESS, PREFIX, Namespace  # noqa: E402
from target import QemuTarget  # noqa: E402

CLIENT = r'''
import asyncio, json, os, socket, sys, time, resource
host, port, stream_bytes, conns, burst = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
sys.path.insert(0, sys.argv[6])
from echo_clients import stream, echo_once
result = {"stream_mb_s": stream(host, port, stream_bytes)}
start = time.monotonic()
for _ in range(conns):
    echo_once(host, port, b"x")
result["connections_per_s"] = conns / (time.monotonic() - start)
async def burst_open():
    start = time.monotonic()
    opened = await asyncio.gather(*(asyncio.open_connection(host, port) for _ in range(burst)))
    elapsed = time.monotonic() - start
    for _, w in opened:
        w.close()
    return burst / elapsed
result["burst_accepts_per_s"] = asyncio.run(burst_open())
print(json.dumps(result))
'''


def measure(board: str, net: str, build_dir: str | None, args: argparse.Namespace) -> dict:
    namespace = None
    try:
        if net == "tap":
            namespace = Namespace(f"coronet-bench-{os.getpid()}").__enter__()
            target = QemuTarget(board, "coronet", build_dir=build_dir, memory="256M",
                                cmdline=f"ip={GUEST_ADDRESS}/{PREFIX} gw={HOST_ADDRESS}", net="tap",
                                netns=namespace.name)
            host, port = GUEST_ADDRESS, 7
            prefix = ["ip", "netns", "exec", namespace.name]
        else:
            target = QemuTarget(board, "coronet", build_dir=build_dir, memory="256M", net="user",
                                hostfwd=[(0, 7)])
            prefix = []
        with target:
            target.boot()
            for ready in (r"echo: listening", r"ipv4 \S+ "):
                target.console.wait_for(ready, 60, 0)
            if net == "user":
                host, port = "127.0.0.1", target.port(7)
            burst = args.burst if net == "tap" else min(args.burst, 50)
            out = subprocess.run(prefix + [sys.executable, "-c", CLIENT, host, str(port), str(args.stream_mib << 20),
                                           str(args.connections), str(burst), str(HERE)],
                                 capture_output=True, text=True, timeout=600, check=True)
            target.power_off()
            return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        if namespace:
            namespace.__exit__(None, None, None)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--boards", nargs="+", default=["qemu-x86_64", "qemu-microvm", "qemu-aarch64"])
    p.add_argument("--nets", nargs="+", default=["user", "tap"], choices=["user", "tap"])
    p.add_argument("--build-dir", default="build-release")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--stream-mib", type=int, default=64)
    p.add_argument("--connections", type=int, default=200)
    p.add_argument("--burst", type=int, default=500)
    p.add_argument("--json", help="save all runs here")
    args = p.parse_args()
    rows, raw = [], {}
    for board in args.boards:
        for net in args.nets:
            runs = [measure(board, net, args.build_dir, args) for _ in range(args.runs)]
            raw[f"{board}/{net}"] = runs
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            rows.append((board, net, med))
            print(f"{board} {net}: {med}", file=sys.stderr, flush=True)
    print(f"\nEcho benchmark, median of {args.runs} runs; {args.stream_mib} MiB stream, "
          f"{args.connections} sequential connections, burst of {args.burst} on tap "
          f"(50 on user networking: slirp's backlog of 1)\n")
    print("| board | path | echo stream MB/s (each way) | connections/s (sequential) | burst accepts/s |")
    print("|---|---|---:|---:|---:|")
    for board, net, m in rows:
        print(f"| {board} | {net} | {m['stream_mb_s']:.1f} | {m['connections_per_s']:.0f} | "
              f"{m['burst_accepts_per_s']:.0f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
