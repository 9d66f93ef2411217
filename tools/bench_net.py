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
import statistics
import subprocess
import sys
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import build_path, module_command  # noqa: E402
from harness.appliance import Appliance  # noqa: E402


def measure(board: str, net: str, build_dir: Path, args: argparse.Namespace) -> dict:
    with Appliance(board, net, "echo", build_dir=build_dir, memory="256M") as appliance:
        burst = args.burst if net == "tap" else min(args.burst, 50)
        client = appliance.prefix + module_command(
            "harness.echo_bench", appliance.host, str(appliance.port), "--stream-bytes", str(args.stream_mib << 20),
            "--connections", str(args.connections), "--burst", str(burst))
        out = subprocess.run(client, capture_output=True, text=True, timeout=600, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    p = argparse.ArgumentParser(prog="tools/bench net", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--boards", nargs="+", default=["qemu-x86_64", "qemu-microvm", "qemu-aarch64"])
    p.add_argument("--nets", nargs="+", default=["user", "tap"], choices=["user", "tap"])
    p.add_argument("--build-dir", default="build-release",
                   help="build directory, relative to the repository or absolute (default %(default)s)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--stream-mib", type=int, default=64)
    p.add_argument("--connections", type=int, default=200)
    p.add_argument("--burst", type=int, default=500)
    p.add_argument("--json", help="save all runs here")
    args = p.parse_args()
    rows, raw = [], {}
    for board in args.boards:
        for net in args.nets:
            runs = [measure(board, net, build_path(args.build_dir), args) for _ in range(args.runs)]
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
