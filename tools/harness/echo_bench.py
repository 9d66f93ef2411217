"""The echo benchmark's client (tools/bench net): stream throughput, sequential connection
rate and burst accept rate against an echo server, printed as one JSON line. Runs as its own
process so that it can sit inside the namespace with the tap device:
`ip netns exec NS env PYTHONPATH=tools python3 -m harness.echo_bench HOST PORT ...`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from .echo_clients import echo_once, raise_file_limit, stream


def connection_rate(host: str, port: int, count: int) -> float:
    """Connections per second, one after another, each echoing one byte."""
    start = time.monotonic()
    for _ in range(count):
        echo_once(host, port, b"x")
    return count / (time.monotonic() - start)


async def _burst(host: str, port: int, count: int) -> float:
    start = time.monotonic()
    opened = await asyncio.gather(*(asyncio.open_connection(host, port) for _ in range(count)))
    elapsed = time.monotonic() - start
    for _, writer in opened:
        writer.close()
    return count / elapsed


def burst_rate(host: str, port: int, count: int) -> float:
    """Accepts per second with `count` connections opened at once."""
    return asyncio.run(_burst(host, port, count))


def measure(host: str, port: int, stream_bytes: int, connections: int, burst: int) -> dict:
    return {
        "stream_mb_s": stream(host, port, stream_bytes),
        "connections_per_s": connection_rate(host, port, connections),
        "burst_accepts_per_s": burst_rate(host, port, burst),
    }


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python3 -m harness.echo_bench", description=__doc__)
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--stream-bytes", type=int, required=True)
    p.add_argument("--connections", type=int, required=True)
    p.add_argument("--burst", type=int, required=True)
    args = p.parse_args(argv)
    raise_file_limit()
    print(json.dumps(measure(args.host, args.port, args.stream_bytes, args.connections, args.burst)),
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
