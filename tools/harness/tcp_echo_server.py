"""A TCP echo server for the guest's outbound connections to reach (run inside the test's
namespace by harness.upstreams): every byte sent comes back. Listens on all addresses, IPv4
and IPv6, with a backlog deep enough for a thousand connections arriving at once; prints
`ready` once listening."""

from __future__ import annotations

import argparse
import asyncio
import socket

BACKLOG = 4096


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def serve(port: int) -> None:
    listener = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # IPv4 too, mapped
    listener.bind(("::", port))
    # start_server listens again with its own backlog (100 unless told): pass ours.
    server = await asyncio.start_server(echo, sock=listener, backlog=BACKLOG)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, required=True)
    asyncio.run(serve(p.parse_args().port))


if __name__ == "__main__":
    main()
