"""The reverse proxy's tests (the appliance booted with http.proxy options, see
cmake/guest_tests.cmake): real upstream servers started here, inside the test's namespace on
the host side of the tap (two nginx, harness.http_upstream, dnsmasq), and curl, ab and wrk
through the appliance at HOST:PORT. Each scenario raises AssertionError on failure and prints
one line per check.

The appliance is expected to proxy (PROXY_OPTIONS below; the test's --append may change the
options every prefix shares, e.g. BALANCE_OPTIONS for the least, passive and gone scenarios):
  /up    -> nginx-a 10.77.0.1:8081, nginx-b 10.77.0.1:8082 (round robin)
  /py    -> harness.http_upstream 10.77.0.1:8083 and :8084
  /dead  -> 10.77.0.1:9 and :10, where nothing listens
  /named -> upstream.coronet.test:8081, resolved through dnsmasq at 10.77.0.1
  /bare  -> nginx-a, without the prefix (;strip)
  /fast  -> harness.http_upstream :8083, without the prefix, its own 500 ms timeout
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from .http_clients import check, status_json
from .loadgen import run_ab, run_wrk
from .netns import GUEST_ADDRESS, HOST_ADDRESS
from .upstreams import Upstreams
from .ws_clients import RawSocket, node_library
from .ws_conformance import GUID

HEALTH_PATH = "/up/index.html"
TUNNEL_TIMEOUT = 2.0  # /idle's: a tunnel idle this long is closed
PROXY_OPTIONS = (f"http.proxy=/up={HOST_ADDRESS}:8081,{HOST_ADDRESS}:8082 "
                 f"http.proxy=/py={HOST_ADDRESS}:8083,{HOST_ADDRESS}:8084;max_fails=1000 "
                 f"http.proxy=/dead={HOST_ADDRESS}:9,{HOST_ADDRESS}:10 "
                 f"http.proxy=/named=upstream.coronet.test:8081 dns={HOST_ADDRESS} "
                 f"http.proxy=/bare={HOST_ADDRESS}:8081;strip "
                 f"http.proxy=/fast={HOST_ADDRESS}:8083;strip;timeout_ms=500 "
                 f"http.proxy=/self={GUEST_ADDRESS}:80;strip;health=off "
                 f"http.proxy=/idle={GUEST_ADDRESS}:80;strip;health=off;"
                 f"tunnel_timeout_ms={int(TUNNEL_TIMEOUT * 1000)} "
                 f"http.proxy_timeout_ms=2000 http.proxy_health={HEALTH_PATH} "
                 "http.proxy_health_interval_ms=500")
# What the least, passive and gone scenarios boot with on top: fewest requests in flight, no
# active health checks (so only passive health takes an upstream out), out for 3 s, and time
# for a request held by a slow upstream.
FAIL_TIMEOUT = 3.0
BALANCE_OPTIONS = ("http.proxy_balance=least_conn http.proxy_health= "
                   f"http.proxy_fail_timeout_ms={int(FAIL_TIMEOUT * 1000)} "
                   "http.proxy_timeout_ms=10000")
INDEX = b"hello from an nginx upstream\n"
NAMED = b"reached by name\n"
LOAD_PATH = "/up/load.txt"  # what the load scenarios ask for


class Setup:
    """The upstream servers and the files nginx serves, for the whole run."""

    def __init__(self, workdir: Path, big_mib: int):
        self.workdir = workdir
        self.root = workdir / "www"
        (self.root / "up").mkdir(parents=True)
        (self.root / "up" / "index.html").write_bytes(INDEX)
        (self.root / "named").write_bytes(NAMED)
        (self.root / LOAD_PATH.lstrip("/")).write_bytes(INDEX)
        self.big = self.root / "up" / "big.bin"
        digest = hashlib.sha256()
        with open(self.big, "wb") as f:
            for _ in range(big_mib):
                block = os.urandom(1 << 20)
                digest.update(block)
                f.write(block)
        self.big_sha256 = digest.hexdigest()
        self.upstreams = Upstreams(None, workdir / "servers")

    def start_nginx(self, name: str, port: int) -> None:
        self.upstreams.nginx(name, [f"{HOST_ADDRESS}:{port}"], self.root)

    def __enter__(self) -> "Setup":
        self.upstreams.__enter__()
        self.start_nginx("nginx-a", 8081)
        self.start_nginx("nginx-b", 8082)
        self.upstreams.http_upstream("python-a", HOST_ADDRESS, 8083, "/py")
        self.upstreams.http_upstream("python-b", HOST_ADDRESS, 8084, "/py")
        self.upstreams.dnsmasq(HOST_ADDRESS, [f"upstream.coronet.test,{HOST_ADDRESS}"])
        return self

    def __exit__(self, *exc: object) -> None:
        self.upstreams.__exit__(*exc)

    def served(self) -> Counter:
        """Requests for LOAD_PATH each nginx has logged, by port (health checks left out)."""
        return Counter(fields[0] for name in ("nginx-a", "nginx-b")
                       for fields in self.upstreams.access_log(name) if fields[4] == LOAD_PATH)

    def served_since(self, before: Counter, requests: int, timeout: float = 2.0) -> Counter:
        """What the upstreams served since `before`, once their logs hold at least the
        `requests` a client has seen answered (nginx logs a request after it has sent the
        response, so its line can come after the client has the answer) or `timeout` passed."""
        deadline = time.monotonic() + timeout
        while True:
            since = self.served() - before
            if sum(since.values()) >= requests or time.monotonic() > deadline:
                return since
            time.sleep(0.02)


def curl(*args: str, data: bytes | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(["curl", "-sS", "--max-time", str(timeout), *args], input=data,
                          capture_output=True, timeout=timeout + 10)


def url(host: str, port: int, path: str) -> str:
    return f"http://{host}:{port}{path}"


def proxies(host: str, port: int) -> dict:
    return {p["prefix"]: p for p in status_json(host, port).get("proxies", [])}


def basic(setup: Setup, host: str, port: int) -> None:
    r = curl(url(host, port, "/up/index.html"), url(host, port, "/up/index.html"),
             url(host, port, "/up/index.html"), url(host, port, "/up/index.html"))
    check(r.returncode == 0 and r.stdout == INDEX * 4, "GET through the proxy, four times", r.stderr)
    log = [f for name in ("nginx-a", "nginx-b") for f in setup.upstreams.access_log(name)]
    check(max(int(f[2]) for f in log) >= 2, "upstream connections kept alive and reused (nginx's log)",
          log)
    r = curl("-i", url(host, port, "/up/index.html"))
    head = r.stdout.split(b"\r\n\r\n")[0].decode().lower()
    check("server: coronet" in head and "content-length: %d" % len(INDEX) in head and
          "etag:" in head, "the response head relayed (nginx's fields, our Server)", head)
    r = curl("-I", url(host, port, "/up/index.html"))
    check(r.returncode == 0 and b"Content-Length: %d" % len(INDEX) in r.stdout, "HEAD: length, no body",
          r.stdout)
    r = curl("-o", "/dev/null", "-w", "%{http_code}", url(host, port, "/up/missing"))
    check(r.stdout == b"404", "an upstream 404 relayed", r.stdout)
    r = curl("-H", "X-Forwarded-For: 192.0.2.7", "-H", "X-Custom: kept",
             url(host, port, "/py/whoami?x=1"))
    check(r.stdout.startswith(b"{"), "the Python upstream answers through the proxy", r.stdout + r.stderr)
    seen = json.loads(r.stdout)["headers"]
    check(seen.get("x-forwarded-for") == f"192.0.2.7, {HOST_ADDRESS}" and
          seen.get("forwarded") == f"for={HOST_ADDRESS};proto=http" and
          seen.get("x-custom") == "kept" and seen.get("x-forwarded-proto") == "http",
          "the upstream sees who asked (X-Forwarded-For appended, Forwarded)", seen)
    check(seen.get("host", "").startswith(host), "the client's Host passed on", seen)
    r = curl(url(host, port, "/py/chunked"))
    from .http_upstream import chunked_body
    check(r.stdout == chunked_body(), "a chunked upstream body relayed intact", r.stdout[:200])
    body = os.urandom(300_000)
    for framing in ([], ["-H", "Transfer-Encoding: chunked"]):
        r = curl("--data-binary", "@-", *framing, url(host, port, "/py/upload"), data=body)
        got = json.loads(r.stdout or b"{}")
        check(got.get("sha256") == hashlib.sha256(body).hexdigest(),
              f"a 300 KB upload ({'chunked' if framing else 'Content-Length'}) arrives intact", got)
    r = curl(url(host, port, "/named"))
    check(r.stdout == NAMED, "an upstream given by name, resolved through DNS, answers", r.stdout)


def upstream_status(host: str, port: int, prefix: str) -> dict[str, dict]:
    return {u["name"]: u for u in proxies(host, port)[prefix]["upstreams"]}


def spread(setup: Setup, host: str, port: int, requests: int = 4000, concurrency: int = 20) -> None:
    before, counted = setup.served(), upstream_status(host, port, "/up")
    ab = run_ab(url(host, port, LOAD_PATH), requests, concurrency)
    detail = ab.get("output", ab.get("error", ""))[-600:]
    check(ab.get("complete") == requests and ab["failed_requests"] == 0 and ab["non_2xx"] == 0,
          f"ab -k -c {concurrency} -n {requests} through the proxy: 0 failed", detail)
    served = setup.served_since(before, requests)
    a, b = served["8081"], served["8082"]
    check(a + b == requests and abs(a - b) <= requests * 0.1, "spread evenly over both upstreams",
          served)
    print(f"ab through the proxy: {ab['rps']} requests/s; nginx-a {a}, nginx-b {b}", flush=True)
    # What the dashboard's upstreams card shows agrees with what the upstreams saw. An upstream
    # may hold one connection beyond the load's: the active health check's, taken while all of
    # the load's requests were on that upstream.
    most = concurrency + 1
    for name, now in upstream_status(host, port, "/up").items():
        was = counted[name]
        answered = served[name.rsplit(":", 1)[1]]
        new_connections = now["connects"] - was["connects"]
        check(now["requests"] - was["requests"] == answered and now["failures"] == was["failures"],
              f"/status {name}: {answered} requests counted, no failures", (was, now))
        check(0 < new_connections <= most and
              now["reuses"] - was["reuses"] >= answered - new_connections,
              f"/status {name}: {new_connections} connections opened, the rest reused", (was, now))
        check(now["in_flight"] == 0 and now["idle"] <= now["open"] <= most and
              0 < now["latency_avg_us"] <= now["latency_max_us"],
              f"/status {name}: nothing in flight, {now['idle']} of {now['open']} connections idle, "
              f"{now['latency_avg_us']} us to the response head on average", now)


def failover(setup: Setup, host: str, port: int, seconds: int = 8) -> None:
    result: dict = {}
    load = threading.Thread(target=lambda: result.update(
        run_wrk(url(host, port, LOAD_PATH), 2, 20, seconds)))
    load.start()
    time.sleep(seconds / 3)
    setup.upstreams.stop("nginx-b")
    killed_at = sum(setup.served().values())
    load.join()
    errors = result.get("non_2xx", 0) + sum(result.get("socket_errors", {}).values())
    check(result.get("requests", 0) > 0, "wrk ran through the proxy", result.get("output", ""))
    # What was in flight to it goes to the other upstream; only a response the kill cut short
    # after its head had gone to the client cannot be (at most one or two, in a rare run).
    check(errors <= 2, f"killing one upstream mid-run: {errors} errors (requests in flight to it "
          "retried on the other)", result.get("output", ""))
    served = setup.served()
    check(sum(served.values()) > killed_at, "the other upstream took the traffic", served)
    time.sleep(1.5)  # two health checks
    up = {name: u["up"] for name, u in upstream_status(host, port, "/up").items()}
    check(up == {f"{HOST_ADDRESS}:8081": True, f"{HOST_ADDRESS}:8082": False},
          "/status: the killed upstream down, the other up", up)
    setup.start_nginx("nginx-b", 8082)
    time.sleep(1.5)
    up = {name: u["up"] for name, u in upstream_status(host, port, "/up").items()}
    check(all(up.values()), "back up once it answers its health check again", up)
    before = setup.served()
    r = curl(*[url(host, port, LOAD_PATH)] * 10)
    served = setup.served_since(before, 10)
    check(r.stdout == INDEX * 10 and served["8082"] > 0, "and given traffic again", served)


def down(setup: Setup, host: str, port: int) -> None:
    start = time.monotonic()
    r = curl("-o", "/dev/null", "-w", "%{http_code}", url(host, port, "/dead/x"))
    check(r.stdout == b"502", "no upstream listening: 502", r.stdout)
    check(time.monotonic() - start < 5, "answered at once, not at a timeout")
    check(proxies(host, port)["/dead"]["no_upstream"] >= 1, "/status counts it")


def slow(setup: Setup, host: str, port: int) -> None:
    start = time.monotonic()
    r = curl("-o", "/dev/null", "-w", "%{http_code}", url(host, port, "/py/slow?ms=6000"))
    took = time.monotonic() - start
    check(r.stdout == b"504" and 1.5 < took < 5, f"an upstream slower than 2 s: 504 after {took:.1f} s",
          r.stdout)
    r = curl(url(host, port, "/py/slow?ms=100"))
    check(r.stdout == b"slow\n", "a prompt one still answers", r.stdout)


def retry(setup: Setup, host: str, port: int) -> None:
    """An upstream that closes the connection on a request without answering (/py/drop, on
    8083 alone): a POST is not sent again (502), a GET goes to the other upstream, as nginx's
    proxy_next_upstream does by default. /py's ;max_fails=1000 keeps 8083 in however often it
    drops, so round robin picks it for some of the GETs, each of which it fails once."""
    dropped = url(host, port, "/py/drop?port=8083")
    failures = upstream_status(host, port, "/py")[f"{HOST_ADDRESS}:8083"]["failures"]
    codes = []
    for _ in range(2):  # round robin: one of two lands on 8083
        codes.append(curl("-o", "/dev/null", "-w", "%{http_code}", "--data", "once", dropped).stdout)
        if codes[-1] != b"200":
            break
    check(codes[-1] == b"502", "a POST the upstream dropped is not sent again: 502", codes)
    answers = whoami_answers(curl(*[dropped] * 4), 4)
    now = upstream_status(host, port, "/py")[f"{HOST_ADDRESS}:8083"]["failures"]
    check(all(a["port"] == 8084 and a["method"] == "GET" for a in answers) and now - failures >= 2,
          "four GETs, each dropped by 8083 whenever it was picked, all answered by 8084 "
          f"(8083's failures {failures} -> {now})", answers)


def whoami_ports(host: str, port: int, count: int) -> Counter:
    """Which of /py's two upstreams answered each of `count` GET /py/whoami (one curl, one
    keep-alive connection)."""
    return Counter(answer["port"] for answer in
                   whoami_answers(curl(*[url(host, port, "/py/whoami")] * count), count))


def whoami_answers(r: subprocess.CompletedProcess, count: int) -> list[dict]:
    """The Python upstream's JSON answers in one curl's output: `count` of them, or fail."""
    text, decoder, answers, at = r.stdout.decode(errors="replace"), json.JSONDecoder(), [], 0
    while at < len(text):
        try:
            answer, at = decoder.raw_decode(text, at)
        except ValueError:
            break
        answers.append(answer)
    check(len(answers) == count and at == len(text), f"{count} JSON answers from the Python upstream",
          r.stdout + r.stderr)
    return answers


def least(setup: Setup, host: str, port: int) -> None:
    """http.proxy_balance=least_conn: while one upstream holds a slow request, new requests go
    to the other; once it is back, both take turns again."""
    slow_done: dict = {}
    held = threading.Thread(target=lambda: slow_done.update(
        r=curl(url(host, port, "/py/slow?ms=5000"))))
    held.start()
    deadline = time.monotonic() + 3
    while sum(u["in_flight"] for u in upstream_status(host, port, "/py").values()) == 0:
        check(time.monotonic() < deadline, "the slow request reaches an upstream")
        time.sleep(0.05)
    busy = [name for name, u in upstream_status(host, port, "/py").items() if u["in_flight"]]
    ports = whoami_ports(host, port, 10)
    still_held = held.is_alive()
    held.join()
    check(slow_done["r"].stdout == b"slow\n", "the slow request answered", slow_done["r"].stdout)
    check(still_held and len(ports) == 1 and f"{HOST_ADDRESS}:{next(iter(ports))}" not in busy,
          f"while {busy[0]} holds a request, all 10 others go to the other upstream", ports)
    ports = whoami_ports(host, port, 10)
    check(ports[8083] == 5 and ports[8084] == 5, "both idle again: they take turns", ports)


def passive(setup: Setup, host: str, port: int) -> None:
    """No active health checks: an upstream that stops answering is found by the traffic
    itself, left out for http.proxy_fail_timeout_ms, then tried again."""
    before = setup.served()
    curl(*[url(host, port, LOAD_PATH)] * 10)  # pooled connections to both
    before += setup.served_since(before, 10)
    setup.upstreams.stop("nginx-b")
    r = curl(*[url(host, port, LOAD_PATH)] * 20)
    check(r.returncode == 0 and r.stdout == INDEX * 20,
          "nginx-b killed: all 20 requests still answered, by nginx-a", r.stderr)
    served = setup.served_since(before, 20)
    check(served == Counter({"8081": 20}), "nginx-a served them, each once",
          (served, setup.upstreams.access_log("nginx-a")[-25:]))
    state = upstream_status(host, port, "/up")
    b = state[f"{HOST_ADDRESS}:8082"]
    check(not b["up"] and 1 <= b["failures"] <= 2 and state[f"{HOST_ADDRESS}:8081"]["up"],
          f"/status: nginx-b down after {b['failures']} failure(s), not tried for every second "
          "request", state)
    setup.start_nginx("nginx-b", 8082)
    time.sleep(FAIL_TIMEOUT + 0.5)
    before = setup.served()
    r = curl(*[url(host, port, LOAD_PATH)] * 10)
    served = setup.served_since(before, 10)
    check(r.stdout == INDEX * 10 and served["8082"] > 0,
          f"after {FAIL_TIMEOUT:.0f} s nginx-b is tried again and given traffic", served)
    check(upstream_status(host, port, "/up")[f"{HOST_ADDRESS}:8082"]["up"], "/status: nginx-b up")


def gone(setup: Setup, host: str, port: int) -> None:
    """Both upstreams killed while the proxy holds pooled connections to them: 502 at once;
    they are found again once they are back."""
    curl(*[url(host, port, LOAD_PATH)] * 10)
    held = sum(u["idle"] for u in upstream_status(host, port, "/up").values())
    check(held > 0, f"{held} pooled connections to the upstreams")
    setup.upstreams.stop("nginx-a")
    setup.upstreams.stop("nginx-b")
    before = proxies(host, port)["/up"]["no_upstream"]
    for i in range(3):
        start = time.monotonic()
        r = curl("-o", "/dev/null", "-w", "%{http_code}", url(host, port, LOAD_PATH))
        took = time.monotonic() - start
        check(r.stdout == b"502" and took < 5, f"both upstreams gone, request {i + 1}: 502 after "
              f"{took:.2f} s", r.stdout + r.stderr)
    check(proxies(host, port)["/up"]["no_upstream"] > before, "/status counts requests no upstream took")
    setup.start_nginx("nginx-a", 8081)
    setup.start_nginx("nginx-b", 8082)
    deadline = time.monotonic() + FAIL_TIMEOUT + 5
    while (r := curl(url(host, port, LOAD_PATH))).stdout != INDEX:
        check(time.monotonic() < deadline, "served again once the upstreams are back", r.stdout)
        time.sleep(0.2)
    check(True, "served again once the upstreams are back")


def strip(setup: Setup, host: str, port: int) -> None:
    """Per-prefix options: `strip` (the upstream sees the path without the prefix, and its
    redirects are mapped back under it) and a prefix's own timeout beside the shared one."""
    def uri_seen(target: str) -> str:  # the last path nginx-a logged, its health checks aside
        curl("-o", "/dev/null", url(host, port, target))
        return [f[4] for f in setup.upstreams.access_log("nginx-a") if f[4] != HEALTH_PATH][-1]

    r = curl(url(host, port, "/bare/up/index.html"))
    check(r.stdout == INDEX, "/bare/up/index.html: nginx's /up/index.html", r.stdout)
    seen = {target: uri_seen(target) for target in ("/bare/named", "/bare", "/bare/", "/bare?x=1")}
    check(seen == {"/bare/named": "/named", "/bare": "/", "/bare/": "/", "/bare?x=1": "/"},
          "nginx sees the paths without the prefix", seen)
    r = curl(url(host, port, "/fast/py/whoami"))
    check(r.stdout.startswith(b"{") and json.loads(r.stdout)["port"] == 8083,
          "/fast/py/whoami reaches the Python upstream as /py/whoami", r.stdout)
    def location(prefix: str, to: str) -> str:  # what the client sees of the upstream's 302
        r = curl("-o", "/dev/null", "-w", "%{http_code} %header{location}",
                 url(host, port, f"{prefix}/redirect?to={quote(to, safe='')}"))
        code, _, where = r.stdout.decode().partition(" ")
        check(code == "302", f"{prefix}/redirect to {to}: 302", r.stdout + r.stderr)
        return where
    own = f"http://{host}:{port}"  # the Host curl sends the proxy
    sent = {"/py/whoami": "/fast/py/whoami",  # a path from the upstream's root
            "{self}/py/whoami": "/fast/py/whoami",  # the upstream's own origin
            f"{own}/py/whoami": f"{own}/fast/py/whoami",  # built from the forwarded Host
            "whoami": "whoami", "https://example.org/x": "https://example.org/x"}
    seen = {to: location("/fast/py", to) for to in sent}
    check(seen == sent, "the upstream's redirects are mapped back under the stripped prefix", seen)
    check(location("/py", "{self}/py/whoami") == "/py/whoami",
          "without strip, the upstream's own origin becomes a path on the proxy")
    r = curl("-L", url(host, port, f"/fast/py/redirect?to={quote('{self}/py/whoami', safe='')}"))
    check(r.stdout.startswith(b"{") and json.loads(r.stdout)["port"] == 8083,
          "curl -L follows the redirect through the proxy to /fast/py/whoami", r.stdout + r.stderr)
    start = time.monotonic()
    r = curl("-o", "/dev/null", "-w", "%{http_code}", url(host, port, "/fast/py/slow?ms=1500"))
    took = time.monotonic() - start
    check(r.stdout == b"504" and 0.4 < took < 1.4,
          f"the prefix's own timeout_ms=500: 504 after {took:.2f} s (the shared one is 2 s)",
          r.stdout)


def websocket(setup: Setup, host: str, port: int) -> None:
    """WebSocket upgrades through the proxy: /self is the guest's own server behind ;strip, so
    Node's ws client runs its whole matrix (messages up to 16 MiB, permessage-deflate, a
    subprotocol, the chat room between two clients) through tunnels to /ws/echo and /ws/chat;
    /idle is the same server with a short tunnel timeout."""
    def counts() -> tuple[int, int]:
        status = status_json(host, port)
        tunnels = next(p["tunnels"] for p in status["proxies"] if p["prefix"] == "/self")
        return tunnels, status["websocket"]["total"]
    tunnels, sessions = counts()
    node_library(host, port, "/self")
    now_tunnels, now_sessions = counts()
    check(now_tunnels - tunnels > 0 and now_tunnels - tunnels == now_sessions - sessions,
          f"each of ws's {now_tunnels - tunnels} connections was a tunnel to a WebSocket session "
          "behind the proxy", (tunnels, now_tunnels, sessions, now_sessions))

    # One tunnel by hand: open, it holds no slot of the upstream's pool; the client's end (FIN)
    # goes through, and the session behind the proxy ends with it.
    def self_upstream() -> dict:
        return next(p for p in status_json(host, port)["proxies"] if p["prefix"] == "/self")["upstreams"][0]
    ws = upgrade(host, port, "/self")
    with ws.sock:
        check(echoed(ws, b"through the tunnel"), "a frame echoed")
        upstream = self_upstream()
        check(upstream["open"] == 0 and status_json(host, port)["websocket"]["open"] >= 1,
              "while it lasts, the tunnel holds a session behind the proxy and no pool slot", upstream)
        ws.sock.shutdown(socket.SHUT_WR)
        check(sessions_end(host, port), "the client's end reaches the session behind the proxy, which ends")

    # /idle closes a tunnel nothing has crossed for TUNNEL_TIMEOUT, not one in use.
    ws = upgrade(host, port, "/idle")
    with ws.sock as sock:
        busy_until, echoes, alive = time.monotonic() + 2 * TUNNEL_TIMEOUT, 0, True
        while alive:
            quiet = time.monotonic()  # the last frame's bytes cross after this
            alive = echoed(ws, b"still here")
            echoes += alive
            if time.monotonic() >= busy_until:
                break
            time.sleep(TUNNEL_TIMEOUT / 5)
        check(alive, f"a tunnel in use for {2 * TUNNEL_TIMEOUT:g} s stays open "
              f"({echoes} frames echoed, {TUNNEL_TIMEOUT / 5:g} s apart)")
        sock.settimeout(TUNNEL_TIMEOUT + 10)
        try:
            ended = sock.recv(4096)
        except ConnectionResetError:
            ended = b""
        except TimeoutError:
            ended = None
        idle = time.monotonic() - quiet
        check(ended == b"" and TUNNEL_TIMEOUT * 0.98 <= idle < TUNNEL_TIMEOUT + 5,
              f"left idle, the tunnel is closed after {idle:.1f} s (tunnel_timeout_ms="
              f"{int(TUNNEL_TIMEOUT * 1000)})", ended)
    check(sessions_end(host, port), "and the session behind it ends")


def sessions_end(host: str, port: int, seconds: float = 10) -> bool:
    """Whether the guest's WebSocket sessions all end within `seconds`."""
    deadline = time.monotonic() + seconds
    while status_json(host, port)["websocket"]["open"] > 0:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def upgrade(host: str, port: int, prefix: str) -> RawSocket:
    """/ws/echo under `prefix` as a WebSocket, its 101 checked."""
    ws = RawSocket(host, port, f"{prefix}/ws/echo")
    accept = base64.b64encode(hashlib.sha1(ws.key.encode() + GUID).digest()).decode()
    check(ws.status_line.startswith("HTTP/1.1 101 ") and accept in ws.head,
          f"101 with the endpoint's Sec-WebSocket-Accept, through {prefix}", ws.head)
    return ws


def echoed(ws: RawSocket, payload: bytes) -> bool:
    """Whether a text frame of `payload` comes back the same (False if the connection ends)."""
    try:
        ws.send_frame(1, payload)
        return ws.read_frame() == (1, payload)
    except OSError:  # ConnectionError among them
        return False


MEMORY = ("heap_used_bytes", "used_bytes")  # the heap's use; every page not free, stacks too


def memory_used(host: str, port: int) -> list[int]:
    memory = status_json(host, port)["memory"]
    return [memory[key] for key in MEMORY]


def watch_memory(host: str, port: int, stop: threading.Event, peak: list[int]) -> None:
    while not stop.is_set():
        try:
            peak[:] = map(max, peak, memory_used(host, port))
        except Exception:  # noqa: BLE001 - a missed sample is no failure
            pass
        stop.wait(0.5)


def big(setup: Setup, host: str, port: int) -> None:
    size = setup.big.stat().st_size
    baseline = memory_used(host, port)
    peak, stop = list(baseline), threading.Event()
    watcher = threading.Thread(target=watch_memory, args=(host, port, stop, peak))
    watcher.start()
    try:
        start = time.monotonic()
        down = subprocess.run(f"curl -sS --max-time 600 {url(host, port, '/up/big.bin')} | sha256sum",
                              shell=True, capture_output=True, text=True, timeout=700)
        took_down = time.monotonic() - start
        start = time.monotonic()
        r = curl("--data-binary", f"@{setup.big}", url(host, port, "/py/upload"), timeout=600)
        took_up = time.monotonic() - start
    finally:
        stop.set()
        watcher.join()
    check(down.stdout.split()[0] == setup.big_sha256,
          f"{size >> 20} MiB downloaded through the proxy intact ({size / took_down / 1e6:.1f} MB/s)",
          down.stderr)
    got = json.loads(r.stdout or b"{}")
    check(got.get("sha256") == setup.big_sha256 and got.get("length") == size,
          f"{size >> 20} MiB uploaded through the proxy intact ({size / took_up / 1e6:.1f} MB/s)", got)
    # Bodies are relayed a buffer at a time: 200 MiB through it grow nothing by whole bodies.
    for key, before, most in zip(MEMORY, baseline, peak):
        growth = most - before
        check(growth < 2 << 20, f"memory flat meanwhile: {key} grew by at most {growth >> 10} KiB",
              growth)


def wait_up(host: str, port: int, prefixes: tuple[str, ...] = ("/up", "/py", "/named"),
            timeout: float = 20) -> None:
    """The appliance booted before the upstreams here started: its health checks took them
    down. Each is back once a check finds it answering."""
    deadline = time.monotonic() + timeout
    while True:
        state = {u["name"]: u["up"] for prefix in prefixes
                 for u in proxies(host, port)[prefix]["upstreams"]}
        if all(state.values()):
            break
        if time.monotonic() > deadline:
            check(False, "the upstreams come up once their health checks pass", state)
        time.sleep(0.2)
    check(True, f"every upstream up ({len(state)})")


SCENARIOS = {"basic": basic, "spread": spread, "failover": failover, "down": down, "slow": slow,
             "big": big, "least": least, "passive": passive, "gone": gone, "strip": strip,
             "websocket": websocket, "retry": retry}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, default=80)
    p.add_argument("--big-mib", type=int, default=100, help="size of the big transfer, for 'big'")
    p.add_argument("scenario", nargs="+", choices=sorted(SCENARIOS))
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="coronet-proxy-") as workdir, \
            Setup(Path(workdir), args.big_mib if "big" in args.scenario else 1) as setup:
        wait_up(args.host, args.port)
        for name in args.scenario:
            print(f"== {name}", flush=True)
            SCENARIOS[name](setup, args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
