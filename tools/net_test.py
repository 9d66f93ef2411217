#!/usr/bin/env python3
"""Network test for CTest: boots the appliance image with a network, waits for its address
and the app under test, then runs a client scenario against it (tools/echo_clients.py for the
echo app on port 7, tools/http_clients.py for the web server on port 80) and checks the
appliance is still serving and never panicked.

Networks: `user` is QEMU user networking with a forwarded port (DHCP from QEMU); `tap` is a
tap device in a network namespace this test creates (static address, real L2 path, no host
side listen backlog: the one for load and concurrency).
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Optional

sys.dont_write_bytecode = True
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from target import QemuTarget, TargetError  # noqa: E402

GUEST_ADDRESS = "10.77.0.2"
HOST_ADDRESS = "10.77.0.1"
PREFIX = 24

# Client script, guest port, and the console line saying the app listens.
CLIENTS = {
    "echo": ("echo_clients.py", 7, r"echo: listening on tcp port 7"),
    "http": ("http_clients.py", 80, r"http: listening on tcp port 80"),
}


def run(*argv: str) -> None:
    subprocess.run(argv, check=True)


class Namespace:
    """A network namespace holding one tap device; removed on exit."""

    def __init__(self, name: str):
        self.name = name

    def __enter__(self) -> "Namespace":
        subprocess.run(["ip", "netns", "del", self.name], stderr=subprocess.DEVNULL)
        run("ip", "netns", "add", self.name)
        run("ip", "-n", self.name, "link", "set", "lo", "up")
        run("ip", "-n", self.name, "tuntap", "add", "dev", "tap0", "mode", "tap")
        run("ip", "-n", self.name, "addr", "add", f"{HOST_ADDRESS}/{PREFIX}", "dev", "tap0")
        run("ip", "-n", self.name, "link", "set", "tap0", "up")
        return self

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["ip", "netns", "del", self.name], stderr=subprocess.DEVNULL)


def appliance_target(board: str, net: str, port: int, namespace: Optional[Namespace], *,
                     build_dir=None, memory: str = "256M", append: str = "",
                     echo=None) -> tuple[QemuTarget, str]:
    """The appliance on `board` with its NIC on `net`: over tap (in `namespace`) with the static
    address the clients use, over user networking with DHCP and guest `port` forwarded. Also
    returns the console line that says the address is configured."""
    if net == "tap":
        target = QemuTarget(board, "coronet", build_dir=build_dir, memory=memory,
                            cmdline=f"ip={GUEST_ADDRESS}/{PREFIX} gw={HOST_ADDRESS} {append}".strip(), net="tap",
                            netns=namespace.name, echo=echo)
        return target, rf"ipv4 {re.escape(GUEST_ADDRESS)} .*\(static\)"
    target = QemuTarget(board, "coronet", build_dir=build_dir, memory=memory, cmdline=append, net="user",
                        hostfwd=[(0, port)], echo=echo)
    return target, r"ipv4 \S+ .*\(dhcp\)"


def wait_ready(target: QemuTarget, listening: str, address_line: str, timeout: float) -> None:
    # Either may come first (a static address is set before the apps start).
    for ready in (listening, address_line):
        target.console.wait_for(ready, timeout, 0)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--board", required=True)
    p.add_argument("--net", choices=["user", "tap"], default="user")
    p.add_argument("--client", choices=sorted(CLIENTS), default="echo", help="which app to test")
    p.add_argument("--scenario", required=True, help="the client script's scenario and its options")
    p.add_argument("--build-dir", default=None)
    p.add_argument("--memory", default="256M")
    p.add_argument("--boot-timeout", type=float, default=60)
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--append", default="", help="more kernel command line")
    p.add_argument("--expect", action="append", default=[], metavar="REGEX",
                   help="a console line that must appear (checked after the scenario)")
    args = p.parse_args()

    script, port, listening = CLIENTS[args.client]
    echo = lambda line: print(f"guest| {line}", flush=True)  # noqa: E731
    namespace = None
    try:
        if args.net == "tap":
            namespace = Namespace(f"coronet-{os.getpid()}").__enter__()
        target, address_line = appliance_target(args.board, args.net, port, namespace, build_dir=args.build_dir,
                                                memory=args.memory, append=args.append, echo=echo)
        with target:
            target.boot()
            wait_ready(target, listening, address_line, args.boot_timeout)
            if args.net == "tap":
                client = ["ip", "netns", "exec", namespace.name, sys.executable, str(HERE / script),
                          "--host", GUEST_ADDRESS, "--port", str(port)]
            else:
                client = [sys.executable, str(HERE / script), "--host", "127.0.0.1",
                          "--port", str(target.port(port))]
            client += args.scenario.split()
            print(f"net_test: {' '.join(client)}", flush=True)
            result = subprocess.run(client, timeout=args.timeout)
            missing = []
            for rx in args.expect:
                try:
                    target.console.wait_for(rx, 10, 0)
                except TargetError:
                    missing.append(rx)
            transcript = target.console.text()
            target.power_off()
    except (TargetError, subprocess.TimeoutExpired, subprocess.CalledProcessError) as e:
        print(f"FAIL {args.board} {args.net} {args.scenario}: {e}", flush=True)
        return 1
    finally:
        if namespace:
            namespace.__exit__(None, None, None)
    if "PANIC" in transcript:
        print(f"FAIL {args.board} {args.net} {args.scenario}: the guest panicked", flush=True)
        return 1
    if missing:
        print(f"FAIL {args.board} {args.net} {args.scenario}: not on the console: {missing}", flush=True)
        return 1
    if result.returncode != 0:
        print(f"FAIL {args.board} {args.net} {args.scenario}: client failed", flush=True)
        return 1
    print(f"PASS {args.board} {args.net} {args.scenario}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
