#!/usr/bin/env python3
"""Boot-time benchmark (tools/bench boot): boots each board's image N times and reports
QEMU start -> first serial byte, QEMU start -> boot banner, and the guest-reported boot time."""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
from pathlib import Path
from typing import Optional

# Keep the source tree free of __pycache__ (CTest runs this from the build).
sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import build_path  # noqa: E402
from harness.report import build_type, qemu_version, spread, utc_now  # noqa: E402
from target import QemuTarget, TargetError, default_build_dir, list_boards  # noqa: E402

# The kernel prints e.g. "coronet 0.1.0 on qemu-x86_64: booted in 1234 us": any line with
# "booted in" counts; the number and unit, when present, are the guest's own figure.
BANNER = r"booted in\s*(?:([0-9]+(?:\.[0-9]+)?)\s*(ns|us|µs|ms|s)\b)?"
UNIT_MS = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "ms": 1.0, "s": 1e3}

COLUMNS = [
    ("first_byte_ms", "QEMU start → first serial byte"),
    ("banner_ms", "QEMU start → banner"),
    ("guest_ms", "guest-reported boot"),
]


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="tools/bench boot",
        description="Measure boot time per board (wall clock from QEMU's start, monotonic).",
        epilog="Times: 'first serial byte' is QEMU start-up plus firmware plus the kernel's "
               "first output; 'banner' is when the whole boot banner line had arrived; "
               "'guest-reported' is the figure the kernel prints in the banner.")
    p.add_argument("--runs", type=int, default=7, help="measured boots per board (default %(default)s)")
    p.add_argument("--warmup", type=int, default=1,
                   help="boots per board run first and not counted (default %(default)s)")
    p.add_argument("--boards", nargs="+", default=None, metavar="BOARD",
                   help=f"boards to measure (default: all: {' '.join(list_boards())})")
    p.add_argument("--image", default="coronet", help="image name (default %(default)s)")
    p.add_argument("--build-dir", default=None,
                   help="top-level build dir, relative to the repository or absolute (default: "
                        "$CORONET_BUILD_DIR or <repo>/build; use build-release for Release figures)")
    p.add_argument("--memory", default="128M", help="guest RAM (default %(default)s)")
    p.add_argument("--cmdline", default="", help="kernel command line")
    p.add_argument("--banner", default=BANNER, metavar="REGEX",
                   help="console line that ends a boot; groups 1-2, if any, are the guest's "
                        "number and unit (default: a line containing 'booted in')")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per boot (default %(default)s)")
    p.add_argument("--json", metavar="FILE", help="also write all samples and summaries as JSON")
    p.add_argument("--verbose", action="store_true", help="echo guest consoles")
    args = p.parse_args(argv)
    if args.runs < 1:
        p.error("--runs must be at least 1")
    try:
        args.banner_re = re.compile(args.banner)
    except re.error as e:
        p.error(f"bad --banner: {e}")
    return args


def guest_ms(match: re.Match[str]) -> Optional[float]:
    """The guest's own boot time from the banner match, in ms, if it printed one."""
    if match.re.groups < 2 or match.group(1) is None:
        return None
    return float(match.group(1)) * UNIT_MS.get(match.group(2), float("nan"))


def boot_once(args: argparse.Namespace, board: str) -> dict:
    """One boot: the three times in ms (guest_ms may be None); QEMU is killed after the
    banner. Raises TargetError (with the console tail) if the banner never comes."""
    echo = (lambda line: print(f"  | {line}", flush=True)) if args.verbose else None
    target = QemuTarget(board, image_name=args.image, build_dir=args.build_dir,
                        memory=args.memory, cmdline=args.cmdline, echo=echo)
    try:
        target.boot()
        try:
            line, match = target.expect_line(args.banner_re, args.timeout)
        except TargetError as e:
            target.kill()
            tail = " / ".join(target.console.tail(5))
            err = target.qemu_stderr.strip().splitlines()
            raise TargetError(f"{e} (QEMU status {target.qemu_returncode}"
                              + (f", stderr: {err[-1]}" if err else "")
                              + f"; console tail: {tail or '(none)'})") from None
        target.kill()
        first = target.console.first_byte_time
        return {
            "first_byte_ms": (first - target.started_at) * 1e3,
            "banner_ms": (line.time - target.started_at) * 1e3,
            "guest_ms": guest_ms(match),
        }
    finally:
        target.kill()


def fmt(summary: dict) -> str:
    """'median (min–max)', with more decimals for sub-10 ms figures."""
    if summary["median"] is None:
        return "–"
    digits = 1 if summary["max"] >= 10 else 3
    return f"{summary['median']:.{digits}f} ({summary['min']:.{digits}f}–{summary['max']:.{digits}f})"


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    boards = args.boards or list_boards()
    build_dir = build_path(args.build_dir) if args.build_dir else default_build_dir()
    args.build_dir = build_dir
    results: dict[str, dict] = {}
    versions: dict[str, str] = {}
    failed_any = False

    for board in boards:
        try:
            probe = QemuTarget(board, image_name=args.image, build_dir=build_dir)
        except TargetError as e:
            print(f"bench boot: {e}", file=sys.stderr)
            return 2
        image = probe.image_path()
        binary = probe.qemu_argv()[0]
        versions.setdefault(binary, qemu_version(binary))
        entry = {"image": str(image), "argv": probe.qemu_argv(), "runs": [], "failures": []}
        results[board] = entry
        if not image.is_file():
            entry["skipped"] = f"no image at {image}"
            print(f"bench boot: {board}: skipped, no image at {image}", file=sys.stderr)
            continue
        print(f"bench boot: {board}: {args.warmup} warm-up + {args.runs} runs of {image}",
              file=sys.stderr, flush=True)
        for i in range(args.warmup + args.runs):
            counted = i >= args.warmup
            try:
                sample = boot_once(args, board)
            except TargetError as e:
                if counted:
                    entry["failures"].append(str(e))
                    failed_any = True
                print(f"  run {i + 1}: FAILED: {e}", file=sys.stderr, flush=True)
                continue
            if counted:
                entry["runs"].append(sample)
            g = sample["guest_ms"]
            print(f"  run {i + 1}{'' if counted else ' (warm-up)'}: first byte "
                  f"{sample['first_byte_ms']:.1f} ms, banner {sample['banner_ms']:.1f} ms, guest "
                  + (f"{g:.3f} ms" if g is not None else "–"), file=sys.stderr, flush=True)
        entry["summary"] = {key: spread(r[key] for r in entry["runs"]) for key, _ in COLUMNS}

    now = utc_now()
    print()
    print(f"Boot time, {args.runs} runs per board (+{args.warmup} warm-up), median (min–max) in ms; "
          f"image `{args.image}`, build type {build_type(build_dir)}, "
          f"{'; '.join(sorted(set(versions.values())))}, TCG, {now}")
    print()
    header = ["board", "ok/runs"] + [title for _, title in COLUMNS]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(["---"] * 2 + ["---:"] * len(COLUMNS)) + "|")
    for board, entry in results.items():
        if "skipped" in entry:
            print(f"| {board} | – | " + " | ".join(["no image"] * len(COLUMNS)) + " |")
            continue
        cells = [fmt(entry["summary"][key]) for key, _ in COLUMNS]
        print(f"| {board} | {len(entry['runs'])}/{args.runs} | " + " | ".join(cells) + " |")

    if args.json:
        doc = {
            "date": now,
            "host": {"machine": platform.machine(), "node": platform.node(),
                     "python": platform.python_version()},
            "qemu": versions,
            "build_dir": str(build_dir),
            "build_type": build_type(build_dir),
            "image": args.image,
            "cmdline": args.cmdline,
            "memory": args.memory,
            "runs": args.runs,
            "warmup": args.warmup,
            "banner_regex": args.banner,
            "units": "ms",
            "boards": results,
        }
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n")
        print(f"\nbench boot: wrote {args.json}", file=sys.stderr)
    return 1 if failed_any else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
