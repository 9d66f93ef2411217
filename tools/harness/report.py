"""What every benchmark report states about how it was measured (build type, QEMU version,
host CPU, load, date) and the arithmetic its tables share (spread of samples, ratios)."""

from __future__ import annotations

import datetime
import os
import platform
import shutil
import signal
import statistics
import subprocess
from pathlib import Path
from typing import Callable, Iterable, Optional


def build_type(build_dir: Path) -> str:
    """CMAKE_BUILD_TYPE from the build's cache, or '?'."""
    try:
        for line in (Path(build_dir) / "CMakeCache.txt").read_text().splitlines():
            if line.startswith("CMAKE_BUILD_TYPE:"):
                return line.split("=", 1)[1] or "?"
    except OSError:
        pass
    return "?"


def qemu_version(binary: str) -> str:
    """The first line of `binary --version`, or 'unknown'."""
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
        return out.stdout.splitlines()[0].strip()
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unknown"


def cpu_model() -> str:
    """The host CPU's model name."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def load_average() -> Optional[tuple[float, float, float]]:
    try:
        return os.getloadavg()
    except OSError:
        return None


def utc_now() -> str:
    """The date and time for a report, UTC, to the second."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def spread(values: Iterable[Optional[float]]) -> dict:
    """Median, min and max of the samples that are not None, and how many there were
    (all None when there were none)."""
    xs = [v for v in values if v is not None]
    if not xs:
        return {"median": None, "min": None, "max": None, "n": 0}
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    """a / b, or None when either is missing or b is not positive."""
    if a is None or b is None or b <= 0:
        return None
    return a / b


def preflight(tools: Iterable[str], say: Callable[[str], None]) -> bool:
    """Whether a benchmark can run here: as root (it makes a network namespace and a tap) and
    with every tool on PATH. Says what is missing."""
    if os.geteuid() != 0:
        say("needs root (network namespace and tap device)")
        return False
    for tool in tools:
        if not shutil.which(tool):
            say(f"{tool} not found (tools/deps installs it)")
            return False
    return True


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def stop_on_sigterm() -> None:
    """SIGTERM unwinds like ^C, so that guests are powered off and namespaces removed."""
    signal.signal(signal.SIGTERM, _interrupt)
