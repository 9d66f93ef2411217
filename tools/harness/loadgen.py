"""The HTTP load generators, ab and wrk, run and read: requests per second, latency, and
everything that makes a run not count (failed or non-2xx requests, socket errors, a tool
that did not finish). Used by the http_load test and tools/bench http alike."""

from __future__ import annotations

import re
import subprocess
from typing import Optional, Sequence

from . import TOOLS

PIPELINE_LUA = TOOLS / "wrk" / "pipeline.lua"
WRK_TIMEOUT = "10s"  # wrk counts slower answers as "timeout" errors (its default is 2 s)


def grab(pattern: str, text: str, cast=float, default=None):
    """Group 1 of the first line of `text` matching `pattern`, cast, or `default`."""
    m = re.search(pattern, text, re.M)
    return cast(m.group(1)) if m else default


def _run(prefix: Sequence[str], argv: list[str], timeout: float) -> Optional[subprocess.CompletedProcess]:
    try:
        return subprocess.run([*prefix, *argv], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def _unfinished(tool: str, argv: list[str], timeout: float) -> dict:
    error = f"{tool} did not finish in {timeout:g} s"
    return {"tool": tool, "argv": argv, "error": error, "failed": True, "problems": [error]}


def _verdict(res: dict, problems: list[str]) -> dict:
    res["failed"] = bool(problems)
    res["problems"] = problems
    return res


def run_ab(url: str, requests: int, concurrency: int, prefix: Sequence[str] = ()) -> dict:
    """`ab -k` (behind `prefix`, e.g. `ip netns exec NS`): requests/s, failed, non-2xx and
    keep-alive counts; `failed` says whether the run counts, `problems` why not."""
    argv = ["ab", "-k", "-q", "-s", "30", "-c", str(concurrency), "-n", str(requests), url]
    timeout = 600
    r = _run(prefix, argv, timeout)
    if r is None:
        return _unfinished("ab", argv, timeout)
    out = r.stdout + r.stderr
    res = {
        "tool": "ab", "argv": argv, "exit": r.returncode, "output": out,
        "complete": grab(r"^Complete requests:\s+(\d+)", out, int, 0),
        "failed_requests": grab(r"^Failed requests:\s+(\d+)", out, int, 0),
        "non_2xx": grab(r"^Non-2xx responses:\s+(\d+)", out, int, 0),
        "keepalive": grab(r"^Keep-Alive requests:\s+(\d+)", out, int, 0),
        "seconds": grab(r"^Time taken for tests:\s+([\d.]+)", out),
        "rps": grab(r"^Requests per second:\s+([\d.]+)", out),
        "mean_ms": grab(r"^Time per request:\s+([\d.]+) \[ms\] \(mean\)$", out),
    }
    problems = []
    if r.returncode != 0:
        problems.append(f"ab exited {r.returncode}: {(r.stderr.strip().splitlines() or ['?'])[-1]}")
    if res["complete"] != requests:
        problems.append(f"{res['complete']}/{requests} requests completed")
    if res["failed_requests"]:
        problems.append(f"{res['failed_requests']} failed requests")
    if res["non_2xx"]:
        problems.append(f"{res['non_2xx']} non-2xx responses")
    if res["rps"] is None:
        problems.append("no requests/s in ab's output")
    return _verdict(res, problems)


def latency_ms(text: str) -> Optional[float]:
    """wrk's '1.23ms' / '456.78us' / '1.2s' in milliseconds."""
    m = re.match(r"([\d.]+)(us|ms|s)$", text)
    if not m:
        return None
    return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]


def run_wrk(url: str, threads: int, connections: int, seconds: float, pipeline: int = 0,
            prefix: Sequence[str] = ()) -> dict:
    """`wrk`, with `pipeline` requests per write through tools/wrk/pipeline.lua if non-zero
    (behind `prefix`): requests/s, latency, socket errors and non-2xx counts."""
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", WRK_TIMEOUT, "--latency"]
    if pipeline:
        argv += ["-s", str(PIPELINE_LUA), url, "--", str(pipeline)]
    else:
        argv += [url]
    timeout = seconds + 120
    r = _run(prefix, argv, timeout)
    if r is None:
        return _unfinished("wrk", argv, timeout)
    out = r.stdout + r.stderr
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res = {
        "tool": "wrk", "argv": argv, "exit": r.returncode, "output": out, "pipeline": pipeline,
        "requests": grab(r"^\s*(\d+) requests in ", out, int, 0),
        "rps": grab(r"^Requests/sec:\s+([\d.]+)", out),
        "non_2xx": grab(r"Non-2xx or 3xx responses:\s+(\d+)", out, int, 0),
        "socket_errors": dict(zip(("connect", "read", "write", "timeout"),
                                  map(int, errors.groups()))) if errors else {},
    }
    if not pipeline:  # with pipelining wrk's latency figures are not per request
        res["latency_avg_ms"] = latency_ms(grab(r"^\s+Latency\s+(\S+)", out, str, ""))
        res["latency_p50_ms"] = latency_ms(grab(r"^\s+50%\s+(\S+)", out, str, ""))
        res["latency_p99_ms"] = latency_ms(grab(r"^\s+99%\s+(\S+)", out, str, ""))
    problems = []
    if r.returncode != 0:
        problems.append(f"wrk exited {r.returncode}: {out.strip()[-200:]}")
    if res["rps"] is None or not res["requests"]:
        problems.append("no requests completed")
    if res["non_2xx"]:
        problems.append(f"{res['non_2xx']} non-2xx responses")
    bad = {k: v for k, v in res["socket_errors"].items() if v}
    if bad:
        problems.append("socket errors " + ", ".join(f"{k} {v}" for k, v in bad.items()))
    return _verdict(res, problems)
