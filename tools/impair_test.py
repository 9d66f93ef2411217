#!/usr/bin/env python3
"""Impairment test for CTest (issue 16): boots the appliance image on a tap whose frames pass
through harness.impair's relay, which drops, delays and reorders them in both directions (and
duplicates some, or the link goes down for a while), then checks with real clients that what
comes back is what was sent. The impairment and the relay's counters are printed with every
result, so a reader sees the loss really happened.

Scenarios (one boot each; every wait has a deadline):
  echo       --mib MiB through the TCP echo port (7), sent and read at once; SHA-256 both ways
  post       a --mib MiB HTTP POST to /echo; the body comes back intact (SHA-256)
  ab         ab -k -c 50 -n --requests against GET /: all complete, none failed
  many       --connections connections open at once (harness.many_connections hold), each
             answered on opening and once more when all are open
  duplicate  --duplicate of the frames also sent twice: the echo stream, then ab
  flap       an echo stream of --mib MiB with the guest's link down for --flap seconds in its
             middle (QMP set_link): it completes intact, with no missed-interrupt warning
"""
from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import module_command, verdict  # noqa: E402
from harness.appliance import APPS, Appliance  # noqa: E402
from harness import impair  # noqa: E402
from harness.impair import Impairment, RelayError, format_report  # noqa: E402
from harness.loadgen import run_ab  # noqa: E402
from harness.qmp import QmpError  # noqa: E402
from target import TargetError  # noqa: E402

MIB = 1 << 20
LOST_INTERRUPT = "work waited without an interrupt"  # drivers/virtio/virtio_net.cpp's warning
SERVING_TIMEOUT = 60.0                               # GET / on a fresh connection afterwards


class Failure(Exception):
    """A check failed: the scenario's problem, in words."""


def say(text: str) -> None:
    print(text, flush=True)


def run_client(appliance: Appliance, argv: list[str], timeout: float, what: str) -> None:
    """A client behind the appliance's prefix, its output passed through; Failure if it fails
    or outlives `timeout`."""
    say(f"impair_test: {' '.join(argv)}")
    try:
        result = subprocess.run(appliance.prefix + argv, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failure(f"{what}: not done in {timeout:g} s") from None
    if result.returncode != 0:
        raise Failure(f"{what}: client failed")


def echo_stream(appliance: Appliance, mib: int, timeout: float) -> None:
    """`mib` MiB through the echo port, written and read concurrently, SHA-256 compared."""
    start = time.monotonic()
    run_client(appliance, module_command("harness.echo_clients", "--host", appliance.host, "--port",
                                         str(APPS["echo"].port), "basic", "--big", str(mib * MIB)),
               timeout, f"echo stream of {mib} MiB")
    say(f"echo: {mib} MiB came back intact in {time.monotonic() - start:.1f} s")


def post(appliance: Appliance, mib: int, timeout: float) -> None:
    """A `mib` MiB POST to /echo: status 200 and the same bytes back (harness.http_clients
    big_post, which says when the body was sent and the answer came)."""
    start = time.monotonic()
    run_client(appliance, module_command("harness.http_clients", "--host", appliance.host, "--port",
                                         str(APPS["http"].port), "--post-bytes", str(mib * MIB), "big_post"),
               timeout, f"POST of {mib} MiB")
    say(f"post: {mib} MiB POSTed to /echo and back intact in {time.monotonic() - start:.1f} s")


def ab(appliance: Appliance, requests: int, concurrency: int = 50) -> None:
    """ab -k -c `concurrency` -n `requests` against GET /: every request complete, none failed."""
    res = run_ab(appliance.url("/"), requests, concurrency, prefix=appliance.prefix)
    say(f"impair_test: {' '.join(res['argv'])}")
    if res["failed"]:
        say(res.get("output", res.get("error", ""))[-1500:])
        raise Failure(f"ab -k -c {concurrency} -n {requests}: " + "; ".join(res["problems"]))
    say(f"ab: {res['complete']} of {requests} complete, {res['failed_requests']} failed, "
        f"{res['keepalive']} kept alive, {res['rps']} requests/s, mean {res['mean_ms']} ms per request "
        f"(at {concurrency} at once), {res['seconds']} s")


def many(appliance: Appliance, connections: int, timeout: float) -> None:
    """`connections` open at once, each answered as it opens and again once all are open."""
    start = time.monotonic()
    run_client(appliance, module_command("harness.many_connections", "--host", appliance.host, "--port",
                                         str(APPS["http"].port), "hold", "--count", str(connections),
                                         "--first-request", "--connect-timeout", "60",
                                         "--request-timeout", "60"),
               timeout, f"{connections} connections")
    say(f"many: {connections} connections each answered in {time.monotonic() - start:.1f} s in all")


def flap(appliance: Appliance, mib: int, seconds: float, timeout: float) -> None:
    """An echo stream with the link down for `seconds` once a quarter of it came back."""
    argv = module_command("harness.echo_clients", "--host", appliance.host, "--port", str(APPS["echo"].port),
                          "basic", "--big", str(mib * MIB))
    say(f"impair_test: {' '.join(argv)}")
    start = time.monotonic()
    client = subprocess.Popen(appliance.prefix + argv)
    try:
        deadline = start + timeout / 2
        while appliance.namespace.report()["to_host"]["bytes"] < mib * MIB // 4:
            if client.poll() is not None:
                raise Failure(f"the echo stream ended (exit {client.returncode}) before the link went down")
            if time.monotonic() > deadline:
                raise Failure(f"a quarter of {mib} MiB not echoed in {timeout / 2:g} s")
            time.sleep(0.2)
        appliance.set_link(False)
        down = time.monotonic()
        try:
            at_down = appliance.namespace.report()
            time.sleep(seconds)
            at_up = appliance.namespace.report()
        finally:
            appliance.set_link(True)
        up = time.monotonic()
        # QEMU may still hand over what its queue held when the link went: a few frames at most.
        sent = at_up["to_host"]["frames"] - at_down["to_host"]["frames"]
        say(f"flap: link down {up - down:.1f} s, {down - start:.1f} s into the stream "
            f"(guest->host {at_down['to_host']['bytes'] / 1e6:.1f} MB by then); the guest sent "
            f"{sent} frames while it was down")
        if sent > 16:
            raise Failure(f"the guest sent {sent} frames with its link down: set_link did not take")
        if client.poll() is not None:
            raise Failure("the echo stream ended while the link was down: the flap did not hit a transfer")
        say("flap: after the link came back, " + resumed(appliance, at_up, client, up))
        try:
            client.wait(max(1.0, start + timeout - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise Failure(f"the echo stream not done {timeout:g} s after it began") from None
        if client.returncode != 0:
            raise Failure("the echo stream failed after the flap")
        say(f"flap: {mib} MiB came back intact in {time.monotonic() - start:.1f} s, "
            f"{time.monotonic() - up:.1f} s of it after the link came back")
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()
    text = appliance.target.console.text()
    if LOST_INTERRUPT in text:
        raise Failure(f"the guest's lost-interrupt check fired: {LOST_INTERRUPT!r} on the console")


def resumed(appliance: Appliance, before: dict, client: subprocess.Popen, up: float,
            limit: float = 120.0) -> str:
    """How soon after the link came back (at `up`) the guest sent again and the echo stream
    got going (64 KiB more echoed), from the relay's counters; watched for `limit` seconds."""
    first = going = None
    while time.monotonic() - up < limit and client.poll() is None and going is None:
        now = appliance.namespace.report()["to_host"]
        if first is None and now["frames"] > before["to_host"]["frames"]:
            first = time.monotonic() - up
        if now["bytes"] - before["to_host"]["bytes"] >= 64 * 1024:
            going = time.monotonic() - up
        time.sleep(0.1)
    if going is None:
        return f"the guest's first frame at {first:.1f} s" if first is not None else "nothing from the guest yet"
    return f"the guest's first frame at {first:.1f} s, 64 KiB more echoed at {going:.1f} s"


def still_serving(appliance: Appliance) -> None:
    """GET / on a fresh connection (curl retries a refused or lost connect meanwhile)."""
    argv = ["curl", "--silent", "--show-error", "--max-time", f"{SERVING_TIMEOUT:g}", "--retry", "5",
            "--retry-all-errors", f"http://{appliance.host}:{APPS['http'].port}/"]
    r = subprocess.run(appliance.prefix + argv, capture_output=True, timeout=SERVING_TIMEOUT * 2)
    if r.returncode != 0 or r.stdout != b"Hello, world!\n":
        raise Failure(f"not serving GET / afterwards: {r.stderr.decode(errors='replace').strip()[-200:]}")
    say("ok: still serving GET /")


def check_relay(report: dict, impairment: Impairment) -> list[str]:
    """Whether the relay did what it was asked, both ways (with enough frames to tell)."""
    problems = []
    for lane, direction in (("to_host", impairment.to_host), ("to_guest", impairment.to_guest)):
        c = report[lane]
        if c["oversize"]:
            problems.append(f"relay {lane}: {c['oversize']} frames over the MTU (largest {c['largest']} B): "
                            "an offload is on")
        if c["frames"] < 1000:
            continue
        for wanted, counter in ((direction.drop, "dropped"), (direction.reorder, "overtaken"),
                                (direction.duplicate, "duplicated")):
            if wanted and not c[counter]:
                problems.append(f"relay {lane}: none {counter} of {c['frames']} frames")
    return problems


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--board", required=True)
    p.add_argument("--scenario", required=True, choices=["echo", "post", "ab", "many", "duplicate", "flap"])
    p.add_argument("--build-dir", default=None)
    p.add_argument("--memory", default="256M")
    p.add_argument("--timeout", type=float, default=480, help="seconds for the scenario's clients")
    p.add_argument("--mib", type=int, default=64, help="MiB streamed or POSTed")
    p.add_argument("--requests", type=int, default=5000, help="ab requests")
    p.add_argument("--connections", type=int, default=1000, help="connections at once (many)")
    p.add_argument("--flap", type=float, default=5.0, help="seconds the link stays down (flap)")
    impair.add_arguments(p)
    p.add_argument("--duplicate", type=float, default=0.01, help="probability a frame is sent twice (duplicate)")
    return p.parse_args()


def main() -> int:
    args = parse_args()

    def stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, stop)

    impairment = impair.from_arguments(args, args.duplicate if args.scenario == "duplicate" else 0.0)
    app = {"echo": "echo", "flap": "echo", "post": "http", "ab": "http", "many": "connections",
           "duplicate": "http"}[args.scenario]
    append = {"post": f"http.max_body={args.mib * MIB}",
              # the first connections idle while the rest open, slowed by the loss
              "many": "http.idle_timeout_ms=600000"}.get(args.scenario, "")
    what = f"{args.board} impair {args.scenario}"
    say(f"impairment: {impairment.describe()}")
    say("impairment: " + json.dumps(impairment.as_dict()))
    echo = lambda line: print(f"guest| {line}", flush=True)  # noqa: E731
    appliance = Appliance(args.board, "tap", app, build_dir=args.build_dir, memory=args.memory, append=append,
                          echo=echo, impairment=impairment, monitor=args.scenario == "flap")
    problems: list[str] = []
    report = None
    start = time.monotonic()
    try:
        with appliance:
            appliance.target.console.wait_for(APPS["echo"].listening, 30, 0)  # both servers up
            say(f"impair_test: booted in {time.monotonic() - start:.1f} s")
            try:
                if args.scenario == "echo":
                    echo_stream(appliance, args.mib, args.timeout)
                elif args.scenario == "post":
                    post(appliance, args.mib, args.timeout)
                elif args.scenario == "ab":
                    ab(appliance, args.requests)
                elif args.scenario == "many":
                    many(appliance, args.connections, args.timeout)
                elif args.scenario == "duplicate":
                    echo_stream(appliance, args.mib, args.timeout)
                    ab(appliance, args.requests)
                else:
                    flap(appliance, args.mib, args.flap, args.timeout)
                still_serving(appliance)
            except Failure as e:
                problems.append(str(e))
            report = appliance.namespace.report()
    except (TargetError, RelayError, QmpError, OSError, subprocess.SubprocessError) as e:
        problems.append(f"{type(e).__name__}: {e}")
    except KeyboardInterrupt as e:
        problems.append(f"interrupted ({e})")
    report = report or appliance.namespace.final
    if report:
        say(format_report(report))
        say("relay: " + json.dumps(report))
        problems += check_relay(report, impairment)
    else:
        problems.append("no report from the relay")
    if appliance.panicked:
        problems.append("the guest panicked")
    missed = appliance.transcript.count(LOST_INTERRUPT)
    say(f"impair_test: {missed} lost-interrupt warnings on the console; {time.monotonic() - start:.1f} s in all")
    return verdict(what, problems)


if __name__ == "__main__":
    sys.exit(main())
