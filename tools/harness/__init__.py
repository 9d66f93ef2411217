"""What Coronet's test and benchmark entry points share: the network namespace with a tap
device (netns) or with a relay behind it that impairs the link (impair), the appliance booted
on a board (appliance), the clients that drive it (echo_clients, http_clients, echo_bench,
probe, loadgen), QEMU's monitor (qmp), the two guests an A/B benchmark boots (guests), and the
benchmarks' report helpers and chart (report, chart).

Entry points put tools/ on sys.path and import from here. Modules that run as a separate
process (a client inside `ip netns exec`, the chart under Debian's Python) are started with
module_command(), never from a program held in a string.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parent.parent
ROOT = TOOLS.parent


def module_command(module: str, *args: str, python: str = sys.executable) -> list[str]:
    """argv that runs `python -m module args` with tools/ importable. The search path
    travels in the argv itself (through env), so it still holds behind a prefix such as
    `ip netns exec NS`; -B keeps __pycache__ out of the source tree."""
    path = os.pathsep.join(filter(None, [str(TOOLS), os.environ.get("PYTHONPATH")]))
    return ["env", f"PYTHONPATH={path}", python, "-B", "-m", module, *args]


def build_path(text: str) -> Path:
    """A build directory named on a command line: relative paths are from the repository."""
    path = Path(text)
    return path if path.is_absolute() else ROOT / path


def verdict(what: str, problems: list[str]) -> int:
    """Print a test's last line, `PASS what` or `FAIL what: problems`, and return its exit
    status (0 or 1)."""
    if problems:
        print(f"FAIL {what}: " + "; ".join(problems), flush=True)
        return 1
    print(f"PASS {what}", flush=True)
    return 0
