#!/usr/bin/env python3
"""Boots a built image interactively (tools/run) or halted under gdb (tools/debug), with
QEMU's command line taken from board.json through QemuTarget, never written by hand.

Usage: python3 -m target.run (with tools/ on PYTHONPATH) or python3 tools/target/run.py.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
if __package__ in (None, ""):  # run as a script: make `target` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from target.base import TargetError  # noqa: E402
from target.qemu import QemuTarget, list_boards, load_board  # noqa: E402

DEFAULT_BOARD = "qemu-x86_64"
# host port -> guest port: HTTP, Redis, echo, iperf3.
DEFAULT_FORWARDS = [(8080, 80), (6379, 6379), (7007, 7), (5201, 5201)]


def parse_forward(text: str) -> tuple[int, int]:
    try:
        host, guest = (int(x) for x in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HOST:GUEST port numbers, got {text!r}")
    return host, guest


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="run.py",
        description="Boot a Coronet image on a board (QEMU), interactively or under gdb.")
    p.add_argument("--list", action="store_true", help="list boards with their summary and exit")
    p.add_argument("--board", default=DEFAULT_BOARD, help="board name (default %(default)s)")
    p.add_argument("--image", default="coronet", help="image name or path (default %(default)s)")
    p.add_argument("--append", default="", metavar="CMDLINE", help="kernel command line")
    p.add_argument("--build-dir", default=None,
                   help="top-level build dir (default: $CORONET_BUILD_DIR or <repo>/build)")
    p.add_argument("--memory", default="128M", help="guest RAM (default %(default)s)")
    p.add_argument("--net", choices=["user", "none"], default="user",
                   help="network mode (default user, with the forwards below)")
    p.add_argument("--hostfwd", type=parse_forward, action="append", metavar="HOST:GUEST",
                   help="forward 127.0.0.1:HOST to guest port GUEST (repeatable; replaces the "
                        "defaults " + ", ".join(f"{h}:{g}" for h, g in DEFAULT_FORWARDS) + ")")
    p.add_argument("--dry-run", action="store_true", help="print QEMU's argv instead of running it")
    d = p.add_argument_group("debugging (tools/debug)")
    d.add_argument("--debug", action="store_true",
                   help="start QEMU halted at entry with a gdb stub, then run gdb")
    d.add_argument("--gdb-port", type=int, default=1234, help="gdb stub port on 127.0.0.1 (default %(default)s)")
    d.add_argument("--no-gdb", action="store_true",
                   help="with --debug: print the gdb command and run the halted QEMU in the "
                        "foreground, serial on this terminal")
    d.add_argument("--break", dest="breaks", action="append", default=[], metavar="LOCATION",
                   help="with --debug: gdb sets a hardware breakpoint there (e.g. a symbol) and "
                        "continues; without it the CPU waits at its reset vector (firmware)")
    d.add_argument("--serial-log", default=None, metavar="FILE",
                   help="with --debug: where the serial console goes while gdb owns the terminal "
                        "(default: <image>.serial.log next to the image)")
    args = p.parse_args(argv)
    if args.net == "none":
        if args.hostfwd:
            p.error("--hostfwd needs --net user")
        args.hostfwd = []
    elif args.hostfwd is None:
        args.hostfwd = list(DEFAULT_FORWARDS)
    return args


def print_boards() -> None:
    boards = list_boards()
    width = max((len(b) for b in boards), default=0)
    for name in boards:
        board = load_board(name)
        print(f"{name:<{width}}  {board['arch']:<8} {board.get('summary', '')}")


def say(text: str) -> None:
    print(f"run: {text}", file=sys.stderr, flush=True)


def gdb_argv(target: QemuTarget, image: str, port: int, breaks: list[str]) -> list[str]:
    """gdb with the board's architecture, the image's symbols and the stub attached;
    with `breaks`, hardware breakpoints there and a first `continue`."""
    gdb = shutil.which("gdb-multiarch")
    if gdb is None and target.arch == "x86_64":
        gdb = shutil.which("gdb")
    if gdb is None:
        raise TargetError("gdb-multiarch not found (tools/deps installs it)")
    argv = [gdb, "-q", "-ex", f"set architecture {target.board['gdb_arch']}"]
    symbols = target.symbols_path(image)
    if symbols.is_file():
        argv += ["-ex", f"file {symbols}"]
    else:
        say(f"warning: no symbols at {symbols}")
    argv += ["-ex", f"target remote 127.0.0.1:{port}"]
    if breaks:
        # Hardware breakpoints: they hold before the MMU is on and wherever the image
        # was loaded, and need no write into guest memory.
        for location in breaks:
            argv += ["-ex", f"hbreak {location}"]
        argv += ["-ex", "continue"]
    return argv


def wait_for_listen(port: int, proc: subprocess.Popen, timeout: float = 10.0) -> bool:
    """Wait until something listens on 127.0.0.1/0.0.0.0:`port` (read from /proc/net/tcp,
    since a test connection would take the gdb stub's only client slot)."""
    want = f":{port:04X}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with open("/proc/net/tcp") as f:
                next(f)
                for row in f:
                    fields = row.split()
                    if fields[1].endswith(want) and fields[3] == "0A":
                        return True
        except OSError:
            return True  # cannot tell; let gdb find out
        time.sleep(0.05)
    return False


def run_interactive(target: QemuTarget, args: argparse.Namespace) -> int:
    """exec QEMU with the serial console on this terminal; Ctrl-C ends QEMU."""
    argv = target.qemu_argv(args.image, args.append)
    if args.dry_run:
        print(shlex.join(argv))
        return 0
    say(f"{target.name}: {target.image_path(args.image)}" + (f" [{args.append}]" if args.append else ""))
    for host, guest in target.hostfwd:
        say(f"forward 127.0.0.1:{host} -> guest :{guest}"
            + (f"  (dashboard: http://127.0.0.1:{host}/dashboard)" if guest == 80 and args.image == "coronet" else "")
            + (f"  (iperf3 -c 127.0.0.1 -p {host})" if guest == 5201 and args.image == "coronet" else ""))
    say("serial console on this terminal; Ctrl-C quits QEMU")
    os.execvp(argv[0], argv)
    return 127  # not reached


def run_debug(target: QemuTarget, args: argparse.Namespace) -> int:
    """QEMU halted at the entry point with a gdb stub; gdb in front, QEMU killed after."""
    stub = ["-gdb", f"tcp:127.0.0.1:{args.gdb_port}", "-S"]
    gdb = gdb_argv(target, args.image, args.gdb_port, args.breaks)
    for host, guest in target.hostfwd:
        say(f"forward 127.0.0.1:{host} -> guest :{guest}")

    if args.no_gdb:
        argv = target.qemu_argv(args.image, args.append) + stub
        if args.dry_run:
            print(shlex.join(argv))
            print(shlex.join(gdb))
            return 0
        say(f"QEMU halted at the CPU's reset vector, gdb stub on 127.0.0.1:{args.gdb_port}; "
            "serial on this terminal, Ctrl-C quits")
        say(f"attach with:\n  {shlex.join(gdb)}")
        os.execvp(argv[0], argv)
        return 127

    log = Path(args.serial_log) if args.serial_log else target.image_path(args.image).with_suffix(".serial.log")
    argv = target.qemu_argv(args.image, args.append) + stub
    if args.dry_run:
        print(shlex.join(argv) + f" >{shlex.quote(str(log))} 2>&1")
        print(shlex.join(gdb))
        return 0
    log.parent.mkdir(parents=True, exist_ok=True)
    say(f"serial console and QEMU messages -> {log}  (watch: tail -f {shlex.quote(str(log))})")
    if not args.breaks:
        say("CPU halted at its reset vector (firmware first): e.g. `hbreak <entry symbol>` "
            "then `continue`, or pass --break SYMBOL")
    with open(log, "wb") as out:
        # Own session: Ctrl-C in gdb interrupts the guest through the stub, not QEMU.
        qemu = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                start_new_session=True)
    try:
        if not wait_for_listen(args.gdb_port, qemu):
            say(f"QEMU did not open the gdb stub (status {qemu.poll()}); its output:")
            sys.stderr.write(log.read_text(errors="replace")[-4000:])
            return 1
        # gdb owns the terminal: ignore Ctrl-C here with a handler (not SIG_IGN, which
        # gdb would inherit).
        signal.signal(signal.SIGINT, lambda *_: None)
        status = subprocess.call(gdb)
    finally:
        if qemu.poll() is None:
            try:
                os.killpg(qemu.pid, signal.SIGTERM)
                qemu.wait(2)
            except subprocess.TimeoutExpired:
                os.killpg(qemu.pid, signal.SIGKILL)
                qemu.wait()
            except ProcessLookupError:
                pass
        say(f"QEMU stopped; serial log: {log}")
    return status


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.list:
        print_boards()
        return 0
    try:
        target = QemuTarget(args.board, image_name=args.image, build_dir=args.build_dir,
                            memory=args.memory, cmdline=args.append, net=args.net,
                            hostfwd=args.hostfwd)
        image = target.image_path(args.image)
        if not image.is_file() and not args.dry_run:
            raise TargetError(f"image not found: {image}")
        return run_debug(target, args) if args.debug else run_interactive(target, args)
    except TargetError as e:
        say(f"error: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
