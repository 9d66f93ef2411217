"""A client that checks a guest serves: `http` GETs a path and `redis` sends PING, on a new
connection, and prints one JSON line ({"ok", "t", "attempts", ...}).

With --wait it keeps trying until the first success or the deadline, starting a new attempt
every INTERVAL_S (20 ms) without waiting for the ones in flight (a SYN sent while the guest
was still booting may be lost, and waiting out its connect timeout would blur the figure).
`t` is CLOCK_MONOTONIC when the first good answer arrived: the clock the caller's
time.monotonic() reads, so the caller can subtract the moment it spawned QEMU. Runs as its own
process so that it can sit inside the test's network namespace: run_probe() starts it
(`ip netns exec NS env PYTHONPATH=tools python3 -m harness.probe ...`). Used by
tools/linux_guest/smoke and tools/bench http, for Coronet and Linux alike.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time

from . import module_command

INTERVAL_S = 0.02   # between new attempts while waiting
MAX_IN_FLIGHT = 64  # attempts open at once while waiting


def parse_http(head: bytes) -> dict:
    """Status line and headers (names lower-cased) of an HTTP response head."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    headers = {}
    for line in filter(None, lines[1:]):
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return {"version": parts[0], "status": int(parts[1]), "headers": headers}


async def attempt(kind: str, host: str, port: int, path: str, timeout: float) -> dict:
    """One request on a new connection: the parsed answer; raises on any failure."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        if kind == "http":
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            # The head, then Content-Length bytes: no reliance on the server closing.
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
            result = parse_http(head)
            length = int(result["headers"].get("content-length", 0))
            body = await asyncio.wait_for(reader.readexactly(length), timeout)
            result["body"] = body.decode("utf-8", "replace")
            result["ok"] = result["status"] == 200
        else:
            writer.write(b"PING\r\n")
            line = await asyncio.wait_for(reader.readline(), timeout)
            result = {"reply": line.decode("latin-1").strip()}
            result["ok"] = result["reply"] == "+PONG"
        return result
    finally:
        writer.close()


async def run(args: argparse.Namespace) -> dict:
    port = args.port or (80 if args.kind == "http" else 6379)
    deadline = time.monotonic() + args.wait
    pending: set[asyncio.Task] = set()
    attempts, error = 0, "no attempt finished"

    def harvest(done: set[asyncio.Task]) -> dict | None:
        nonlocal error
        for task in done:
            try:
                result = task.result()
            except (OSError, ValueError, IndexError, asyncio.TimeoutError,
                    asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
                error = f"{type(e).__name__}: {e}"
                continue
            if result.pop("ok"):
                return {"ok": True, "t": time.monotonic(), "attempts": attempts, **result}
            error = f"unexpected answer: {result}"
        return None

    try:
        while True:  # one attempt at least, then new ones every interval until the deadline
            if len(pending) < MAX_IN_FLIGHT:
                attempts += 1
                pending.add(asyncio.ensure_future(attempt(args.kind, args.host, port, args.path, args.timeout)))
            done, pending = await asyncio.wait(pending, timeout=INTERVAL_S,
                                               return_when=asyncio.FIRST_COMPLETED)
            good = harvest(done)
            if good:
                return good
            if time.monotonic() >= deadline:
                break
        end = time.monotonic() + args.timeout  # let the attempts in flight finish
        while pending and time.monotonic() < end:
            done, pending = await asyncio.wait(pending, timeout=end - time.monotonic(),
                                               return_when=asyncio.FIRST_COMPLETED)
            good = harvest(done)
            if good:
                return good
        return {"ok": False, "t": time.monotonic(), "attempts": attempts, "error": error}
    finally:
        for task in pending:
            task.cancel()


def run_probe(prefix: list[str], kind: str, host: str, port: int, wait: float = 0,
              target=None) -> dict:
    """Run this module as a child (`prefix` is e.g. ["ip", "netns", "exec", NS]) and return its
    JSON result. If `target` (anything with .running) stops first, e.g. a guest that
    panicked, the probe is ended and the result says so instead of waiting out `wait`."""
    argv = prefix + module_command("harness.probe", kind, "--host", host, "--port", str(port),
                                   "--wait", str(wait))
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while True:
            try:
                out, err = proc.communicate(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                if target is not None and not target.running:
                    proc.kill()
                    proc.communicate()
                    return {"ok": False, "t": time.monotonic(), "error": "the guest stopped"}
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = out.strip().splitlines()
    if not lines:
        return {"ok": False, "t": time.monotonic(), "error": err.strip() or f"probe exited {proc.returncode}"}
    return json.loads(lines[-1])


def main() -> int:
    p = argparse.ArgumentParser(prog="python3 -m harness.probe", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=["http", "redis"])
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, help="default 80 (http) or 6379 (redis)")
    p.add_argument("--path", default="/", help="HTTP path (default /)")
    p.add_argument("--wait", type=float, default=0,
                   help="keep trying for this many seconds (default: one attempt)")
    p.add_argument("--timeout", type=float, default=5.0,
                   help="seconds one attempt may take, connect and answer (default %(default)s)")
    args = p.parse_args()
    result = asyncio.run(run(args))
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
