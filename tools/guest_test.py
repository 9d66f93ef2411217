#!/usr/bin/env python3
"""Runs one in-guest test for CTest: boots an image on a board, streams its console to
stdout, and passes if the guest's exit code and console transcript are as expected."""

from __future__ import annotations

import argparse
import re
import shlex
import signal
import sys
import time
from pathlib import Path

# Keep the source tree free of __pycache__ (CTest runs this from the build).
sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

from target import (  # noqa: E402
    QemuTarget,
    TargetError,
    TargetTimeout,
    describe_exit,
    list_boards,
)

TAIL_LINES = 40


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Boot a Coronet image and check its exit code and console output.",
        epilog="Exit status: 0 pass, 1 fail (including timeout and missing image).",
    )
    p.add_argument("--board", required=True, help=f"board name ({', '.join(list_boards())})")
    p.add_argument("--image", default="kernel-tests",
                   help="image name under the board's build folder, or a path (default: %(default)s)")
    p.add_argument("--cmdline", default="", help="kernel command line, e.g. 'test=timer'")
    p.add_argument("--expect-exit", type=int, default=0, metavar="CODE",
                   help="required guest exit code (0 pass, 1 test failure, 3 panic; default 0)")
    p.add_argument("--expect", action="append", default=[], metavar="REGEX",
                   help="must match the transcript, after the previous --expect's match "
                        "(repeatable; Python re, ^/$ anchor at lines)")
    p.add_argument("--forbid", action="append", default=[], metavar="REGEX",
                   help="must match nowhere in the transcript (repeatable)")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds (default %(default)s)")
    p.add_argument("--build-dir", default=None,
                   help="top-level build dir (default: $CORONET_BUILD_DIR or <repo>/build)")
    p.add_argument("--memory", default="128M", help="guest RAM (default %(default)s)")
    p.add_argument("--net", default="none", choices=["none", "user"], help="network mode")
    p.add_argument("--hostfwd", action="append", default=[], metavar="HOST:GUEST",
                   help="TCP forward 127.0.0.1:HOST -> guest GUEST; HOST 0 picks a free "
                        "port (implies --net user)")
    p.add_argument("--stop-after", metavar="REGEX", default=None,
                   help="for images that serve forever: once a console line matches, power the "
                        "target off and judge the transcript (no guest exit code needed)")
    p.add_argument("--quiet", action="store_true",
                   help="do not echo the console; print its tail on failure instead")
    args = p.parse_args(argv)
    try:
        args.hostfwd = [tuple(int(x) for x in f.split(":")) for f in args.hostfwd]
        if any(len(f) != 2 for f in args.hostfwd):
            raise ValueError
    except ValueError:
        p.error("--hostfwd takes HOST:GUEST port numbers")
    if args.hostfwd:
        args.net = "user"
    for rx in args.expect + args.forbid:
        try:
            re.compile(rx)
        except re.error as e:
            p.error(f"bad regex {rx!r}: {e}")
    return args


def check_transcript(text: str, expect: list[str], forbid: list[str]) -> list[str]:
    """Problems with the transcript: --expect regexes not matched in order, --forbid ones
    matched. Each expect is searched from the end of the previous one's match."""
    problems = []
    pos = 0
    for rx in expect:
        m = re.compile(rx, re.M).search(text, pos)
        if not m:
            where = "" if pos == 0 else " after the previous --expect match"
            problems.append(f"--expect /{rx}/ not found{where}")
            continue
        pos = m.end()
    for rx in forbid:
        m = re.compile(rx, re.M).search(text)
        if m:
            line_no = text.count("\n", 0, m.start()) + 1
            line = text.splitlines()[line_no - 1] if text else ""
            problems.append(f"--forbid /{rx}/ matched console line {line_no}: {line!r}")
    return problems


def exit_problem(target: QemuTarget, status: int | None, expected: int) -> str:
    """Why the exit status is wrong, with QEMU's raw status and what it likely means."""
    got = f"guest exit {describe_exit(status)}" if status is not None else "no guest exit code"
    raw = target.qemu_returncode
    if status is None and raw == 0:
        why = ": reset, triple fault or plain quit"
    elif status is None and target.qemu_stderr.strip():
        why = ": QEMU error, see its stderr above"
    else:
        why = ""
    return f"{got}, expected {describe_exit(expected)} (QEMU status {raw}{why})"


def print_tail(target: QemuTarget, header: str) -> None:
    tail = target.console.tail(TAIL_LINES)
    print(f"---- {header}: last {len(tail)} console lines ----")
    for line in tail:
        print(line)
    print("---- end ----", flush=True)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    # CTest and shells stop us with SIGTERM (SIGINT already raises KeyboardInterrupt):
    # make it an exception so the `with` block below powers QEMU off on the way out.
    def stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, stop)

    echo = None if args.quiet else (lambda line: print(line, flush=True))
    try:
        target = QemuTarget(args.board, image_name=args.image, build_dir=args.build_dir,
                            memory=args.memory, cmdline=args.cmdline, net=args.net,
                            hostfwd=args.hostfwd, echo=echo)
    except TargetError as e:
        print(f"FAIL {args.board} {args.image}: {e}", flush=True)
        return 1

    what = target.describe()
    with target:
        try:
            print(f"guest_test: {shlex.join(target.qemu_argv())}", flush=True)
            target.boot()
        except TargetError as e:
            print(f"FAIL {what}: {e}", flush=True)
            return 1
        try:
            if args.stop_after:
                target.expect(args.stop_after, timeout=args.timeout)
                elapsed = time.monotonic() - target.started_at
                target.power_off()
                status = args.expect_exit  # the image runs until stopped: no status to judge
            else:
                status = target.wait(args.timeout)
                elapsed = time.monotonic() - target.started_at
        except TargetTimeout:
            target.kill()
            print_tail(target, "timeout")
            print(f"FAIL {what}: timeout after {args.timeout:g} s "
                  f"({len(target.transcript)} console lines)", flush=True)
            return 1
        except KeyboardInterrupt as e:
            target.kill()
            print(f"FAIL {what}: interrupted ({e})", flush=True)
            return 1
        except TargetError as e:  # the console closed before --stop-after matched
            target.kill()
            print_tail(target, "stopped early")
            print(f"FAIL {what}: {e}", flush=True)
            return 1

    problems = []
    if status != args.expect_exit:
        problems.append(exit_problem(target, status, args.expect_exit))
    problems += check_transcript(target.console.text(), args.expect, args.forbid)

    if problems:
        stderr = target.qemu_stderr.strip()
        if stderr:
            print("---- QEMU stderr ----\n" + stderr + "\n---- end ----")
        if args.quiet:
            print_tail(target, "failure")
        print(f"FAIL {what}: " + "; ".join(problems) + f" [{elapsed:.2f} s]", flush=True)
        return 1
    print(f"PASS {what}: guest exit {describe_exit(status)}"
          + (f", {len(args.expect)} expect(s) matched" if args.expect else "")
          + f" [{elapsed:.2f} s]", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(1)
