#!/usr/bin/env python3
"""Dashboard test for CTest: boots the appliance image, opens /dashboard in headless Chromium
and checks, in real time, that the page shows live numbers, first as /ws/status pushes them,
then (with ?transport=polling) from GET /status polls; saves a screenshot of each as the test's
artifacts (<build>/artifacts/dashboard-<board>.png and dashboard-<board>-polling.png).

Chromium is driven over the DevTools protocol on a pipe (harness.browser). The page runs at normal speed: its one-second polls are real polls, and the appliance's uptime
must advance between two readings as the wall clock does.

Networks: `tap` (default) puts QEMU's tap device and Chromium in a network namespace of their
own; `user` forwards a host port with QEMU user networking, whose listen backlog of 1 can make
a browser's burst of parallel connections wait. `--url` skips booting and tests a page that is
already served (a development server, a board on the network).
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import json
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Callable, Optional

sys.dont_write_bytecode = True
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import verdict  # noqa: E402
from harness.browser import CHROMIUM, WINDOW, Browser, BrowserError  # noqa: E402
from harness.appliance import Appliance  # noqa: E402
from harness.netns import HOST_ADDRESS  # noqa: E402
from target import TargetError, default_build_dir  # noqa: E402

MIN_SAMPLES = 5          # successful polls the page must have made before the checks
SAMPLE_WAIT_S = 30.0     # how long the page may take to get there
UPTIME_GAP_S = 2.0       # wall time between the two readings whose uptimes are compared
UPTIME_TOLERANCE_S = 2.0
MIN_SCREENSHOT_BYTES = 20_000
# A proxied prefix for the upstreams card, to an address where nothing listens.
PROXY = ("/backend", f"{HOST_ADDRESS}:9")


class CheckFailed(BrowserError):
    """A check on the page failed; the message says which and what was seen."""


# -- What the page shows -----------------------------------------------------------------------

# Every live element's text and raw value (data-value), plus the page's own counters.
READ_PAGE = """JSON.stringify((() => {
  const ids = ["uptime", "requests", "requests-rate", "connections-open", "connections-total",
               "coroutines-alive", "coroutines-spawned", "coroutine-switches", "memory-used",
               "memory-total", "memory-free", "updated", "board", "version", "server-time",
               "net-rx-bytes-rate", "net-tx-bytes-rate", "stack-pcbs", "connections-limit",
               "stack-missed-interrupts", "stack-connection-buffers", "connection-bytes",
               "stack-pages", "ws-open", "ws-messages-out", "outbound-attempts"];
  const fields = {};
  for (const id of ids) {
    const e = document.getElementById(id);
    fields[id] = e ? {text: e.textContent.trim(), value: e.dataset.value ?? null} : null;
  }
  return {samples: Number(document.body.dataset.samples || 0), state: document.body.dataset.state,
          transport: document.body.dataset.transport,
          connection: (document.getElementById("connection-state") || {}).textContent,
          netRows: document.querySelectorAll("#net-rows tr[id^='net-']").length,
          upstreamRows: Array.from(document.querySelectorAll("#upstream-rows tr:not(.empty)"),
                                   (tr) => Array.from(tr.cells, (td) => td.textContent.trim())),
          sparkPath: (document.querySelector("#requests-spark .line") || {getAttribute: () => ""}).getAttribute("d"),
          fields};
})())"""


def read_page(browser: Browser) -> dict:
    return json.loads(browser.evaluate(READ_PAGE))


def number(page: dict, field: str) -> float:
    """The raw number behind a field, which must be shown and numeric."""
    entry = page["fields"].get(field)
    if entry is None:
        raise CheckFailed(f"#{field} is not on the page")
    try:
        return float(entry["value"])
    except (TypeError, ValueError):
        raise CheckFailed(f"#{field} has no number (text {entry['text']!r}, data-value {entry['value']!r})")


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)
    print(f"  ok: {message}", flush=True)


def wait_for_samples(browser: Browser, count: int, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        page = read_page(browser)
        if page["samples"] >= count:
            return page
        if time.monotonic() > deadline:
            raise CheckFailed(f"the page made {page['samples']} successful polls in {timeout:g} s "
                              f"(wanted {count}); it says: {page['connection']!r}")
        browser.pump(0.25)


def page_problems(browser: Browser, origin: str) -> list[str]:
    """JavaScript exceptions, same-origin responses with an error status, failed requests."""
    problems = []
    for event in browser.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text")
            problems.append(f"JavaScript exception: {text}")
        elif method == "Network.responseReceived":
            response = params.get("response", {})
            url = response.get("url", "")
            if url.startswith(origin) and response.get("status", 0) >= 400 and not url.endswith("/favicon.ico"):
                problems.append(f"{url}: HTTP {response.get('status')}")
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            problems.append(f"request {params.get('requestId')} failed: {params.get('errorText')}")
    return problems


def check_png(path: Path) -> None:
    """The screenshot is a PNG of the window's size with something drawn in it: a blank page
    compresses to a few KB and decodes to a handful of distinct byte values."""
    data = path.read_bytes()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is a PNG")
    width, height = struct.unpack(">II", data[16:24])
    check((width, height) == WINDOW, f"{path.name} is {width}x{height}")
    check(len(data) >= MIN_SCREENSHOT_BYTES, f"{path.name} has {len(data)} bytes (at least {MIN_SCREENSHOT_BYTES})")
    idat, offset = b"", 8
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if kind == b"IDAT":
            idat += data[offset + 8:offset + 8 + length]
        offset += 12 + length
    distinct = len(set(zlib.decompress(idat)))
    check(distinct >= 32, f"{path.name} is not blank ({distinct} distinct byte values in its pixels)")


def run_checks(browser: Browser, url: str, board: Optional[str], screenshot: Path, transport: str,
               upstream: Optional[list[str]] = None) -> None:
    """The page at `url` fed by `transport` ("websocket": /ws/status; "polling": GET /status).
    `upstream`: the first cells (prefix, name, state) of the upstreams card's one row."""
    origin = re.match(r"https?://[^/]+", url).group(0)
    browser.attach_page()
    browser.events.clear()  # this page's load event and problems, not the previous page's
    navigation = browser.call("Page.navigate", {"url": url})
    if navigation.get("errorText"):
        raise CheckFailed(f"{url}: {navigation['errorText']}")
    browser.wait_for_event("Page.loadEventFired", SAMPLE_WAIT_S)

    first = wait_for_samples(browser, 1, SAMPLE_WAIT_S)
    first_at = time.monotonic()
    uptime_first = number(first, "uptime")
    browser.pump(UPTIME_GAP_S)
    page = wait_for_samples(browser, max(MIN_SAMPLES, first["samples"] + 2), SAMPLE_WAIT_S)
    gap_s = time.monotonic() - first_at
    print(f"dashboard_test: after {page['samples']} polls: {json.dumps(page['fields'])}", flush=True)

    # The artifact first, so that a failing check below still leaves a picture of the page.
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    shot = browser.call("Page.captureScreenshot", {"format": "png"})
    screenshot.write_bytes(base64.b64decode(shot["data"]))
    print(f"dashboard_test: screenshot {screenshot}", flush=True)

    check(page["state"] == "live", f"the page says it is live (state {page['state']!r}: {page['connection']!r})")
    samples = page["samples"]
    uptime = number(page, "uptime")
    check(uptime > 0 and re.fullmatch(r"(\d+d )?(\d+h )?(\d+m )?\d+s", page["fields"]["uptime"]["text"]) is not None,
          f"uptime {page['fields']['uptime']['text']!r} ({uptime:.0f} ms)")
    # The page shows the appliance's time, not its own: the uptime moved on with the wall clock
    # (each reading is up to one poll interval plus a round trip old, hence the tolerance).
    advanced_s = (uptime - uptime_first) / 1000
    check(abs(advanced_s - gap_s) <= UPTIME_TOLERANCE_S,
          f"uptime advanced {advanced_s:.1f} s in {gap_s:.1f} s of wall time between two readings")
    check(page["transport"] == transport, f"the page is fed by {transport} (it says {page['transport']!r})")
    if transport == "polling":
        requests = number(page, "requests")
        check(requests >= samples, f"requests {requests:.0f} >= the page's own {samples} successful polls")
        check(requests > number(first, "requests"), "the request count grew between readings")
        rate = number(page, "requests-rate")
        check(rate > 0, f"a request rate is shown ({page['fields']['requests-rate']['text']}/s)")
    else:
        check(number(page, "ws-open") >= 1, f"open WebSocket connections {page['fields']['ws-open']['text']}")
        check(number(page, "ws-messages-out") > number(first, "ws-messages-out"),
              "WebSocket messages sent grew between readings")
    check(number(page, "connections-open") >= 0, f"open connections {page['fields']['connections-open']['text']}")
    check(number(page, "coroutines-alive") >= 1, f"coroutines alive {page['fields']['coroutines-alive']['text']}")
    used, total = number(page, "memory-used"), number(page, "memory-total")
    check(0 < used <= total, f"memory used {page['fields']['memory-used']['text']} of {page['fields']['memory-total']['text']}")
    check(number(page, "updated") > 0, f"last update shown ({page['fields']['updated']['text']})")
    pcbs, limit = number(page, "stack-pcbs"), number(page, "connections-limit")
    check(1 <= pcbs <= limit, f"TCP connections in the stack {pcbs:.0f}, limit {limit:.0f} (the page's own at least)")
    per = number(page, "connection-bytes")
    check(0 < per < 64 * 1024, f"bytes per open connection {page['fields']['connection-bytes']['text']}")
    check(number(page, "outbound-attempts") >= 0,
          f"the upstreams card shows outbound connects ({page['fields']['outbound-attempts']['text']})")
    check(number(page, "stack-pages") >= 1, f"stack pages mapped {page['fields']['stack-pages']['text']}")
    check(number(page, "stack-missed-interrupts") >= 0,
          f"missed interrupts shown ({page['fields']['stack-missed-interrupts']['text']})")
    # The page's own poll holds at most an input and an output buffer while it is served.
    held = number(page, "stack-connection-buffers")
    check(0 <= held <= 2 * 4096, f"connection buffers held {page['fields']['stack-connection-buffers']['text']}")
    check(page["netRows"] >= 1, f"{page['netRows']} network interface row(s)")
    if upstream:
        rows = page["upstreamRows"]
        check(len(rows) == 1 and rows[0][:len(upstream)] == upstream and rows[0][6] == "1" and
              rows[0][8] == "—",
              f"the upstreams card's row: {rows[0] if rows else 'none'} (down after its one failure, "
              "no latency without an answer)")
    check((page["sparkPath"] or "").startswith("M"), "the requests sparkline is drawn")
    if board:
        check(page["fields"]["board"]["text"] == board, f"board {page['fields']['board']['text']!r}")
    check_png(screenshot)

    problems = page_problems(browser, origin)
    check(not problems, "no JavaScript errors and no failed requests" + (f": {problems}" if problems else ""))


# -- Main ----------------------------------------------------------------------------------------


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--board", help="board to boot (and whose name the page must show)")
    p.add_argument("--build-dir", default=None, help="top-level build dir (default: <repo>/build)")
    p.add_argument("--net", choices=["tap", "user"], default="tap")
    p.add_argument("--memory", default="256M")
    p.add_argument("--boot-timeout", type=float, default=60)
    p.add_argument("--url", help="test this dashboard URL instead of booting an image")
    p.add_argument("--screenshot", type=Path, help="where to save the screenshot "
                   "(default: <build>/artifacts/dashboard-<board>.png)")
    args = p.parse_args()
    if not args.url and not args.board:
        p.error("--board is needed unless --url is given")
    if not shutil.which(CHROMIUM):
        print(f"FAIL: {CHROMIUM} not found (tools/deps installs it)", flush=True)
        return 1

    build_dir = Path(args.build_dir) if args.build_dir else default_build_dir()
    name = args.board or "url"
    screenshot = args.screenshot or build_dir / "artifacts" / f"dashboard-{name}.png"
    work = Path(tempfile.mkdtemp(prefix=f"dashboard-{name}-", dir=build_dir if build_dir.is_dir() else None))
    what = f"{name} {args.url or args.net}"

    def stop(signum, _frame):  # CTest's timeout: leave through the cleanup below
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, stop)

    echo: Callable[[str], None] = lambda line: print(f"guest| {line}", flush=True)  # noqa: E731
    appliance = None if args.url else Appliance(args.board, args.net, "http", build_dir=build_dir,
                                                memory=args.memory, echo=echo, boot_timeout=args.boot_timeout,
                                                append=f"http.proxy={PROXY[0]}={PROXY[1]} "
                                                       "http.proxy_fail_timeout_ms=600000")
    try:
        with appliance or contextlib.nullcontext():
            url = args.url or appliance.url("/dashboard")
            upstream = None
            if appliance:  # one request the upstream fails: the card's row shows it down
                answer = subprocess.run(appliance.prefix + ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                                            appliance.url(f"{PROXY[0]}/x")],
                                        capture_output=True, text=True, timeout=30).stdout
                check(answer == "502", f"{PROXY[0]}/x answered {answer} (nothing listens at {PROXY[1]})")
                upstream = [PROXY[0], PROXY[1], "down"]
            print(f"dashboard_test: opening {url}", flush=True)
            browser = Browser(work / "profile", netns=appliance and appliance.netns, log=work / "chromium.log")
            try:
                run_checks(browser, url, args.board, screenshot, "websocket", upstream)
                polling = screenshot.with_name(f"{screenshot.stem}-polling{screenshot.suffix}")
                run_checks(browser, f"{url}?transport=polling", args.board, polling, "polling", upstream)
            finally:
                browser.close()
    except (CheckFailed, TargetError, OSError, subprocess.CalledProcessError) as e:
        if (work / "chromium.log").is_file():
            tail = (work / "chromium.log").read_text(errors="replace").splitlines()[-15:]
            print("---- chromium log (tail) ----\n" + "\n".join(tail), flush=True)
        return verdict(what, [str(e)])
    except KeyboardInterrupt as e:
        return verdict(what, [f"interrupted ({e})"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return verdict(what, ["the guest panicked"] if appliance and appliance.panicked else [])


if __name__ == "__main__":
    sys.exit(main())
