"""The load generators, ab and wrk (HTTP) and redis-benchmark, run and read: requests per
second, latency, and everything that makes a run not count (failed or non-2xx requests,
socket errors, error replies, a tool that did not finish). Used by the http_load test and
tools/bench http and redis alike."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import time
from typing import Callable, Optional, Sequence

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


# redis-benchmark 7.0's --csv columns after the test name, as they appear in its header.
REDIS_BENCHMARK_COLUMNS = {"rps": "rps", "avg_latency_ms": "avg_ms", "min_latency_ms": "min_ms",
                           "p50_latency_ms": "p50_ms", "p95_latency_ms": "p95_ms", "p99_latency_ms": "p99_ms",
                           "max_latency_ms": "max_ms"}


def _run_while(prefix: Sequence[str], argv: list[str], timeout: float,
               alive: Callable[[], bool]) -> tuple[Optional[subprocess.CompletedProcess], bool]:
    """_run that also ends the tool when `alive()` turns false (a guest that stopped): the
    result (None if ended early or timed out) and whether `alive` ended it."""
    proc = subprocess.Popen([*prefix, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                out, err = proc.communicate(timeout=0.5)
                return subprocess.CompletedProcess(argv, proc.returncode, out, err), False
            except subprocess.TimeoutExpired:
                if not alive():
                    return None, True
                if time.monotonic() > deadline:
                    return None, False
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def run_redis_benchmark(host: str, port: int, test: str, requests: int, clients: int = 50, pipeline: int = 1,
                        data_size: int = 3, keyspace: int = 0, prefix: Sequence[str] = (),
                        timeout: Optional[float] = None, alive: Optional[Callable[[], bool]] = None) -> dict:
    """`redis-benchmark --csv` running one test (a `-t` name: set, lrange_100, ...) behind
    `prefix`: requests/s and redis-benchmark 7's latency columns (avg, min, p50, p95, p99, max
    in ms; with `pipeline` > 1 a request's latency is its batch's). `keyspace` is -r (0: none).
    `unsupported` is set when the server answered "unknown command": then the run does not
    count, and it is no failure either (a command the server does not have yet). Otherwise
    `failed` and `problems` as for ab and wrk: redis-benchmark 7 stops at the first error reply
    and exits 1 (`Error from server: ...`); no row for the test, or not finishing, fail too.
    `alive` (e.g. a target's running state) is polled meanwhile: the run ends when it turns
    false, rather than waiting out `timeout` (default 120 s + 10 ms per request)."""
    argv = ["redis-benchmark", "-h", host, "-p", str(port), "-c", str(clients), "-n", str(requests),
            "-d", str(data_size), "-t", test, "--csv"]
    if keyspace:
        argv += ["-r", str(keyspace)]
    if pipeline > 1:
        argv += ["-P", str(pipeline)]
    timeout = timeout or 120 + requests / 100
    r, stopped = _run_while(prefix, argv, timeout, alive) if alive else (_run(prefix, argv, timeout), False)
    if r is None:
        res = _unfinished("redis-benchmark", argv, timeout)
        if stopped:
            res["error"] = "the guest stopped"
            res["problems"] = [res["error"]]
        res.update(test=test, pipeline=pipeline, unsupported=False)
        return res
    out = r.stdout + r.stderr
    res: dict = {"tool": "redis-benchmark", "argv": argv, "exit": r.returncode, "test": test,
                 "pipeline": pipeline, "requests": requests, "unsupported": False}
    for row in csv.DictReader(io.StringIO(r.stdout)):
        name = (row.get("test") or "").split(" (")[0].lower()
        if name == test.lower() and "needed to" not in row["test"]:  # not LRANGE's LPUSH fill
            for column, key in REDIS_BENCHMARK_COLUMNS.items():
                try:
                    res[key] = float(row[column])
                except (KeyError, TypeError, ValueError):
                    res[key] = None
    errors = [line.strip() for line in out.splitlines()
              if re.search(r"Error from server|^ERR |^Error:|\berror\b", line, re.I)]
    problems = []
    if any(re.search(r"unknown command", e, re.I) for e in errors):
        res["unsupported"] = True
        res["output"] = out[-2000:]
        problems.append("the server does not know the command: " + errors[0][:200])
        return _verdict(res, problems)
    if r.returncode != 0:
        problems.append(f"redis-benchmark exited {r.returncode}: "
                        + ((errors or out.strip().splitlines() or ["?"])[-1])[:300])
    elif errors:
        problems.append("error replies: " + "; ".join(errors[:3])[:300])
    if not res.get("rps"):
        problems.append(f"no rate for {test} in redis-benchmark's output")
        res["output"] = out[-2000:]
    return _verdict(res, problems)
