"""A WebSocket echo server on Debian's python3-websockets (10.4), for the in-guest client test
(client_test.py net_websocket): it echoes text as text and binary as binary on any path, offers
permessage-deflate (websockets' defaults: 12-bit windows both ways) and the subprotocols
`coronet.v1` and `chat`, and obeys a few commands sent as text, so that the guest can see what
only a server can do or observe:

  cmd:close:CODE:REASON   the server closes with CODE and REASON
  cmd:ping                the server pings (payload "probe") and answers "pong:ok" once the
                          guest's pong came back
  cmd:fragments:N:SIZE    a text message of SIZE bytes (letters a-z repeating) in N fragments,
                          with a ping between the first and the second
  cmd:big:SIZE            a binary message of SIZE zero bytes
  cmd:last-close          "CODE REASON" of the last connection that ended (the guest's close)
  cmd:info                JSON: the subprotocol and the extensions agreed on this connection

Run with Debian's Python: /usr/bin/python3 -m harness.ws_python_echo --host H --port P.
Prints `ready` once listening; exits on SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal

import websockets

MAX_MESSAGE = 64 << 20
SUBPROTOCOLS = ["coronet.v1", "chat"]

last_close = {"code": None, "reason": ""}


def pattern(size: int) -> str:
    return "".join(chr(ord("a") + i % 26) for i in range(size))


async def fragments(ws, count: int, size: int):
    text = pattern(size)
    step = max(1, -(-size // count))
    for i, start in enumerate(range(0, max(size, 1), step)):
        yield text[start:start + step]
        if i == 0:
            await ws.ping(b"mid-message")


async def command(ws, text: str) -> None:
    parts = text.split(":", 3)
    name = parts[1] if len(parts) > 1 else ""
    if name == "close":
        await ws.close(int(parts[2]), parts[3] if len(parts) > 3 else "")
    elif name == "ping":
        pong = await ws.ping(b"probe")
        await asyncio.wait_for(pong, 10)
        await ws.send("pong:ok")
    elif name == "fragments":
        await ws.send(fragments(ws, int(parts[2]), int(parts[3])))
    elif name == "big":
        await ws.send(bytes(int(parts[2])))
    elif name == "last-close":
        await ws.send(f"{last_close['code']} {last_close['reason']}")
    elif name == "info":
        await ws.send(json.dumps({
            "subprotocol": ws.subprotocol,
            "extensions": [type(e).__name__ for e in ws.extensions],
        }))
    else:
        await ws.send(f"unknown command {text!r}")


async def handler(ws) -> None:
    try:
        async for message in ws:
            if isinstance(message, str) and message.startswith("cmd:"):
                await command(ws, message)
            else:
                await ws.send(message)
    except websockets.ConnectionClosed:
        pass
    finally:
        await ws.wait_closed()
        last_close["code"] = ws.close_code
        last_close["reason"] = ws.close_reason
        print(f"closed {ws.close_code} {ws.close_reason!r}", flush=True)


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    args = p.parse_args()
    stop = asyncio.get_running_loop().create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set_result, None)
    async with websockets.serve(handler, args.host, args.port, subprotocols=SUBPROTOCOLS,
                                max_size=MAX_MESSAGE, max_queue=64, ping_interval=None,
                                close_timeout=5):
        print(f"ready on {args.host}:{args.port} (websockets {websockets.__version__})",
              flush=True)
        await stop


if __name__ == "__main__":
    asyncio.run(main())
