#!/usr/bin/env python3
"""Network test for CTest: boots the appliance image with a network, waits for its address
and the app under test, then runs a client scenario against it (harness.echo_clients for the
echo app on port 7, harness.http_clients for the web server on port 80) and checks the
appliance is still serving and never panicked.

Networks: `user` is QEMU user networking with a forwarded port (DHCP from QEMU); `tap` is a
tap device in a network namespace this test creates (static address, real L2 path, no host
side listen backlog: the one for load and concurrency).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import verdict  # noqa: E402
from harness.appliance import APPS, Appliance  # noqa: E402
from target import TargetError  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--board", required=True)
    p.add_argument("--net", choices=["user", "tap"], default="user")
    p.add_argument("--client", choices=sorted(APPS), default="echo", help="which app to test")
    p.add_argument("--scenario", required=True, help="the client module's scenario and its options")
    p.add_argument("--build-dir", default=None)
    p.add_argument("--memory", default="256M")
    p.add_argument("--boot-timeout", type=float, default=60)
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--append", default="", help="more kernel command line")
    p.add_argument("--ipv6", action="store_true",
                   help="IPv6 on the tap too: the client also gets --host6 with the guest's link-local address")
    p.add_argument("--expect", action="append", default=[], metavar="REGEX",
                   help="a console line that must appear (checked after the scenario)")
    args = p.parse_args()

    what = f"{args.board} {args.net} {args.scenario}"
    echo = lambda line: print(f"guest| {line}", flush=True)  # noqa: E731
    appliance = Appliance(args.board, args.net, args.client, build_dir=args.build_dir, memory=args.memory,
                          append=args.append, echo=echo, boot_timeout=args.boot_timeout, ipv6=args.ipv6)
    try:
        with appliance:
            more = ["--host6", appliance.link_local()] if args.ipv6 else []
            client = appliance.client_command(*more, *args.scenario.split())
            print(f"net_test: {' '.join(client)}", flush=True)
            result = subprocess.run(client, timeout=args.timeout)
            missing = []
            for rx in args.expect:
                try:
                    appliance.target.console.wait_for(rx, 10, 0)
                except TargetError:
                    missing.append(rx)
    except (TargetError, subprocess.TimeoutExpired, subprocess.CalledProcessError) as e:
        return verdict(what, [str(e)])
    problems = ["the guest panicked"] if appliance.panicked else []
    if missing:
        problems.append(f"not on the console: {missing}")
    if result.returncode != 0:
        problems.append("client failed")
    return verdict(what, problems)


if __name__ == "__main__":
    sys.exit(main())
