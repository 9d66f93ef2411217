#!/usr/bin/env python3
"""In-guest client test for CTest: creates a network namespace with a tap, starts the servers
the test talks to on the host side of it (harness.upstreams), boots the kernel-tests image on
the tap with `test=NAME` and the servers' addresses as boot options, and passes when the guest
exits 0 without a panic. Tests: net_connect (outbound TCP), net_dns (the resolver against
dnsmasq), net_http (the HTTP client against nginx and harness.http_upstream, and a handler
reading redis-server and nginx at once), net_redis, net_websocket."""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import verdict  # noqa: E402
from harness.netns import GUEST_ADDRESS, HOST_ADDRESS, PREFIX, TAP, Namespace  # noqa: E402
from harness.upstreams import UpstreamError, Upstreams  # noqa: E402
from target import QemuTarget, TargetError, TargetTimeout, describe_exit  # noqa: E402

ECHO_PORT = 7007
BLACKHOLE_PORT = 81
NOBODY = "10.77.0.99"  # on the tap's subnet; nothing answers ARP for it


HOST_LINK_LOCAL = "fe80::1"  # given to the tap (its own appears only once QEMU opens it)


def add_host_link_local(netns: str) -> str:
    """A fixed IPv6 link-local address on the host side of the tap, known before boot."""
    subprocess.run(["ip", "-n", netns, "addr", "add", f"{HOST_LINK_LOCAL}/64", "dev", TAP, "nodad"],
                   check=True)
    return HOST_LINK_LOCAL


def net_connect(ns: Namespace, upstreams: Upstreams, args: argparse.Namespace) -> list[str]:
    upstreams.echo(ECHO_PORT)
    upstreams.blackhole(BLACKHOLE_PORT)
    options = [f"connect.refused={HOST_ADDRESS}:9",
               f"connect.unreachable={NOBODY}:80",
               f"connect.blackhole={HOST_ADDRESS}:{BLACKHOLE_PORT}",
               f"connect.echo={HOST_ADDRESS}:{ECHO_PORT}",
               f"connect.count={args.count}",
               f"connect.short={args.short}"]
    if args.ipv6:
        host = add_host_link_local(ns.name)
        options += [f"connect.echo6=[{host}]:{ECHO_PORT}", f"connect.refused6=[{host}]:9",
                    f"connect.blackhole6=[{host}]:{BLACKHOLE_PORT}"]  # the filter is `inet`
    return options


SILENT = "10.77.0.3"  # a host-side address whose UDP is dropped: a DNS server that never answers
DNS_TTL = 2


def net_dns(ns: Namespace, upstreams: Upstreams, args: argparse.Namespace) -> list[str]:
    upstreams.dnsmasq(HOST_ADDRESS, [f"www.coronet.test,{HOST_ADDRESS},fd77::1",
                                     f"both.coronet.test,{HOST_ADDRESS},fd77::1",
                                     f"brief.coronet.test,10.77.0.5,{DNS_TTL}",
                                     f"failover.coronet.test,{HOST_ADDRESS},fd77::1"])
    upstreams.add_address(f"{SILENT}/{PREFIX}", TAP)
    upstreams.drop_udp(SILENT, 53)
    # The silent server first: the guest's first lookup must pass over it to dnsmasq.
    return [f"dns={SILENT},{HOST_ADDRESS}", "host=static.coronet=10.1.2.3",
            "dns.name=www.coronet.test", f"dns.a={HOST_ADDRESS}", "dns.aaaa=fd77::1",
            "dns.both=both.coronet.test", "dns.missing=missing.coronet.test",
            "dns.static=static.coronet", "dns.static_address=10.1.2.3",
            "dns.brief=brief.coronet.test", "dns.brief_address=10.77.0.5", f"dns.ttl={DNS_TTL}",
            f"dns.silent_server={SILENT}", f"dns.live_server={HOST_ADDRESS}",
            "dns.failover=failover.coronet.test", "dns.unanswered=unanswered.coronet.test"]


def net_dns_after(upstreams: Upstreams) -> list[str]:
    """The TTL seen from the server's side: two queries for the brief name, not three."""
    asked = upstreams.queries("brief.coronet.test")
    return [] if asked == 2 else [f"dnsmasq saw {asked} queries for brief.coronet.test, not 2"]


NGINX_PORT, PYTHON_PORT, PRICES_PORT = 8081, 8083, 8080
# Under /gzip/ nginx compresses whatever it serves (a client saying Accept-Encoding: gzip gets
# it chunked: the length is not known in advance); /python/upload passes a request body on to
# the Python upstream, which answers with its SHA-256, so a chunked upload to nginx can be
# checked at the far end.
NGINX_LOCATIONS = ("location /gzip/ { gzip on; gzip_types *; gzip_min_length 0; } "
                   "location = /python/upload { client_max_body_size 0;"
                   f" proxy_pass http://{HOST_ADDRESS}:{PYTHON_PORT}/upload; }} ")


def net_http(ns: Namespace, upstreams: Upstreams, args: argparse.Namespace) -> list[str]:
    root = upstreams.workdir / "www"
    root.mkdir()
    (root / "small.txt").write_bytes(b"coronet\n")
    big = os.urandom(10 << 20)
    (root / "big.bin").write_bytes(big)
    (root / "gzip").mkdir()
    text = "".join(f"{line:05} {os.urandom(24).hex()}\n" for line in range(4000)).encode()
    (root / "gzip" / "text.txt").write_bytes(text)
    (root / "price").mkdir()  # the README's handler: a price from nginx, a count from Redis
    (root / "price" / "42.json").write_bytes(b'{"sku": 42, "cents": 1999}\n')
    upstreams.nginx("nginx", [f"{HOST_ADDRESS}:{NGINX_PORT}", f"{HOST_ADDRESS}:{PRICES_PORT}"],
                    root, NGINX_LOCATIONS)
    upstreams.http_upstream("python", HOST_ADDRESS, PYTHON_PORT, "")
    upstreams.redis(REDIS_PORT)
    upstreams.blackhole(BLACKHOLE_PORT)
    from harness.http_upstream import chunked_body
    return ["host=nginx.coronet=" + HOST_ADDRESS, f"http.nginx=nginx.coronet:{NGINX_PORT}",
            f"http.python={HOST_ADDRESS}:{PYTHON_PORT}",
            f"http.blackhole={HOST_ADDRESS}:{BLACKHOLE_PORT}",
            f"http.big_sha256={hashlib.sha256(big).hexdigest()}",
            f"http.chunked_sha256={hashlib.sha256(chunked_body()).hexdigest()}",
            f"http.gzip_sha256={hashlib.sha256(text).hexdigest()}",
            f"host=cache.internal={HOST_ADDRESS}", f"host=prices.internal={HOST_ADDRESS}"]


def net_http_after(upstreams: Upstreams) -> list[str]:
    """Keep-alive from nginx's side: one connection carried the twenty small requests."""
    log = upstreams.access_log("nginx")
    most = max((int(fields[2]) for fields in log), default=0)
    return [] if most >= 20 else [f"nginx saw at most {most} requests on one connection, not 20"]


REDIS_PORT = 6379


def net_redis(ns: Namespace, upstreams: Upstreams, args: argparse.Namespace) -> list[str]:
    upstreams.redis(REDIS_PORT)
    return [f"redis.server={HOST_ADDRESS}:{REDIS_PORT}", f"host=redis.coronet={HOST_ADDRESS}",
            f"redis.name=redis.coronet:{REDIS_PORT}", f"redis.refused={HOST_ADDRESS}:9"]


WS_NODE_PORT, WS_PYTHON_PORT, WS_PLAIN_HTTP_PORT = 9101, 9102, 8084


def net_websocket(ns: Namespace, upstreams: Upstreams, args: argparse.Namespace) -> list[str]:
    """The WebSocket client against Node's ws and python3-websockets (echo servers), a plain
    HTTP server that refuses the upgrade, and a closed port."""
    upstreams.ws_echo_node(HOST_ADDRESS, WS_NODE_PORT)
    upstreams.ws_echo_python(HOST_ADDRESS, WS_PYTHON_PORT)
    upstreams.http_upstream("plain-http", HOST_ADDRESS, WS_PLAIN_HTTP_PORT, "")
    return [f"host=ws.coronet={HOST_ADDRESS}", f"ws.node={HOST_ADDRESS}:{WS_NODE_PORT}",
            f"ws.python=ws.coronet:{WS_PYTHON_PORT}",
            f"ws.http={HOST_ADDRESS}:{WS_PLAIN_HTTP_PORT}", f"ws.refused={HOST_ADDRESS}:9"]


TESTS = {"net_connect": net_connect, "net_dns": net_dns, "net_http": net_http,
         "net_redis": net_redis, "net_websocket": net_websocket}
AFTER = {"net_dns": net_dns_after, "net_http": net_http_after}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--board", required=True)
    p.add_argument("--test", required=True, choices=sorted(TESTS))
    p.add_argument("--build-dir", default=None)
    p.add_argument("--memory", default="256M")
    p.add_argument("--timeout", type=float, default=300)
    p.add_argument("--count", type=int, default=1000, help="connections at once (net_connect)")
    p.add_argument("--short", type=int, default=0,
                   help="short connections one after another, the guest closing first (net_connect)")
    p.add_argument("--ipv6", action="store_true", help="also over IPv6 link-local addresses")
    p.add_argument("--append", default="", help="more kernel command line")
    args = p.parse_args()

    def stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, stop)

    what = f"{args.board} {args.test}"
    echo = lambda line: print(f"guest| {line}", flush=True)  # noqa: E731
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="coronet-client-") as workdir, \
            Namespace(f"coronet-{os.getpid()}", ipv6=args.ipv6) as ns, \
            Upstreams(ns.name, Path(workdir)) as upstreams:
        try:
            options = TESTS[args.test](ns, upstreams, args)
            cmdline = " ".join([f"test={args.test}", f"ip={GUEST_ADDRESS}/{PREFIX}",
                                f"gw={HOST_ADDRESS}", *options, args.append]).strip()
            target = QemuTarget(args.board, "kernel-tests", build_dir=args.build_dir,
                                memory=args.memory, cmdline=cmdline, net="tap", netns=ns.name,
                                echo=echo)
            with target:
                target.boot()
                try:
                    status = target.wait(args.timeout)
                except TargetTimeout:
                    target.kill()
                    return verdict(what, [f"no verdict after {args.timeout:g} s"])
            if status != 0:
                problems.append(f"guest exit {describe_exit(status)}")
            if "PANIC" in target.console.text():
                problems.append("the guest panicked")
            if args.test in AFTER:
                problems += AFTER[args.test](upstreams)
        except (TargetError, UpstreamError, subprocess.CalledProcessError) as e:
            problems.append(str(e))
    return verdict(what, problems)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(1)
