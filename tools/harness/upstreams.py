"""Servers on the host side of the tap, inside the test's network namespace, for the guest's
outbound connections to reach: an echo server, a filter that drops SYNs to a port (a
blackhole), and (for the client and proxy tests) Debian's nginx, redis-server, dnsmasq and
chrony. Every process is stopped, and its log kept, when the block ends; nothing listens
outside the namespace."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Optional, Sequence

from . import module_command
from .netns import netns_prefix


class UpstreamError(RuntimeError):
    pass


class Upstreams:
    """Use as a context manager inside an entered Namespace: `with Upstreams(ns.name, dir)`;
    netns None runs the servers in the caller's own namespace (a client module already
    running inside the test's)."""

    def __init__(self, netns: Optional[str], workdir: Path):
        self.netns = netns
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._processes: list[tuple[str, subprocess.Popen]] = []
        self._prefix = netns_prefix(netns) if netns else []

    def __enter__(self) -> "Upstreams":
        return self

    def __exit__(self, *exc: object) -> None:
        for _, process in reversed(self._processes):
            if process.poll() is None:
                process.terminate()
        for name, process in self._processes:
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def start(self, name: str, argv: Sequence[str], ready: Optional[str] = None,
              port: Optional[int] = None, timeout: float = 15) -> subprocess.Popen:
        """Start `argv` in the namespace, its output in <workdir>/<name>.log; wait until it
        prints a line containing `ready`, or until TCP `port` listens."""
        log = open(self.workdir / f"{name}.log", "w+")
        process = subprocess.Popen(self._prefix + list(argv), stdout=log,
                                   stderr=subprocess.STDOUT, text=True)
        self._processes.append((name, process))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise UpstreamError(f"{name} exited with {process.returncode}: {self.log(name)}")
            if ready and ready in self.log(name):
                return process
            if port and self._listening(port):
                return process
            time.sleep(0.05)
        raise UpstreamError(f"{name} not ready after {timeout:g} s: {self.log(name)}")

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")

    def _listening(self, port: int) -> bool:
        out = subprocess.run(self._prefix + ["ss", "-Htln", f"sport = :{port}"],
                             capture_output=True, text=True).stdout
        return bool(out.strip())

    def echo(self, port: int) -> None:
        """harness.tcp_echo_server on every address, IPv4 and IPv6."""
        self.start(f"echo-{port}", module_command("harness.tcp_echo_server", "--port", str(port)),
                   ready="ready")

    def blackhole(self, port: int) -> None:
        """SYNs to `port` are dropped without an answer (nftables), so a connection there
        neither succeeds nor is refused."""
        rules = ("table inet coronet_blackhole {\n"
                 " chain input { type filter hook input priority 0;"
                 f" tcp dport {port} drop; }}\n}}\n")
        subprocess.run(self._prefix + ["nft", "-f", "-"], input=rules, text=True,
                       check=True)

    def dnsmasq(self, address: str, records: Sequence[str], lease: Optional[str] = None,
                dhcp_options: Sequence[str] = ()) -> None:
        """Debian's dnsmasq answering on `address`:53 from `records` alone (dnsmasq
        --host-record values: "name,ipv4,ipv6[,ttl]", 300 s when no TTL is given); every other
        name under coronet.test is NXDOMAIN. Each query is logged (see queries()). With
        `lease`, also a DHCP server handing out that one address (an hour's lease, itself as
        the DNS server) with `dhcp_options` (--dhcp-option values, e.g. "option:router,ADDR")."""
        argv = ["dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--user=root",
                "--pid-file=", f"--listen-address={address}", "--bind-interfaces",
                "--local=/coronet.test/", "--local-ttl=300", "--log-queries", "--log-facility=-"]
        argv += [f"--host-record={record}" for record in records]
        if lease:
            argv += [f"--dhcp-range={lease},{lease},1h", "--dhcp-authoritative", "--log-dhcp",
                     f"--dhcp-leasefile={self.workdir / 'dnsmasq.leases'}"]
            argv += [f"--dhcp-option={option}" for option in dhcp_options]
        self.start("dnsmasq", argv, ready="started")

    def queries(self, name: str) -> int:
        """How many queries for `name` dnsmasq has seen."""
        return sum(1 for line in self.log("dnsmasq").splitlines()
                   if "query[" in line and f"] {name} from" in line)

    def add_address(self, address: str, device: str) -> None:
        """A further host-side address on `device` (e.g. a server that will not answer)."""
        subprocess.run(self._prefix + ["ip", "addr", "add", address, "dev", device],
                       check=True)

    def drop_udp(self, address: str, port: int) -> None:
        """UDP to address:port is dropped without an answer (nftables): a silent server."""
        rules = ("table inet coronet_silent {\n"
                 " chain input { type filter hook input priority 0;"
                 f" ip daddr {address} udp dport {port} drop; }}\n}}\n")
        subprocess.run(self._prefix + ["nft", "-f", "-"], input=rules, text=True,
                       check=True)

    def redis(self, port: int = 6379) -> None:
        """Debian's redis-server on every address, without persistence."""
        self.start(f"redis-{port}", ["redis-server", "--port", str(port), "--bind", "0.0.0.0 ::",
                                     "--protected-mode", "no", "--save", "", "--appendonly", "no",
                                     "--dir", str(self.workdir)], port=port)

    def nginx(self, name: str, listen: Sequence[str], root: Path, locations: str = "") -> None:
        """Debian's nginx serving the files under `root` on each `listen` address:port, with
        keep-alive kept long and an access log naming each request's connection and its
        number on it ($connection, $connection_requests: keep-alive reuse is visible).
        `locations`: more location blocks for every server (e.g. gzip or proxy_pass under a
        path of their own); without them each server has only the files."""
        temp = self.workdir / f"{name}-temp"
        temp.mkdir(exist_ok=True)
        servers = "".join(f"  server {{ listen {address}; root {root};"
                          f" location / {{ try_files $uri $uri/ =404; }} {locations}}}\n"
                          for address in listen)
        config = self.workdir / f"{name}.conf"
        config.write_text(
            "daemon off;\nmaster_process off;\n"  # one process: killing it kills the server
            f"pid {self.workdir / name}.pid;\nerror_log {self.workdir / name}-error.log;\n"
            "events { worker_connections 8192; }\n"
            "http {\n"
            "  log_format reuse '$server_port $connection $connection_requests $request_method $uri $status';\n"
            f"  access_log {self.workdir / name}-access.log reuse;\n"
            f"  client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy;\n"
            f"  fastcgi_temp_path {temp}/fastcgi; uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi;\n"
            "  keepalive_requests 1000000; keepalive_timeout 300s; sendfile on;\n"
            "  default_type application/octet-stream;\n"
            f"{servers}}}\n")
        port = int(listen[0].rsplit(":", 1)[1])
        self.start(name, ["nginx", "-c", str(config), "-e", str(self.workdir / f"{name}-error.log")],
                   port=port)

    def access_log(self, name: str) -> list[list[str]]:
        """nginx `name`'s access log so far, one list of fields per request."""
        path = self.workdir / f"{name}-access.log"
        return [line.split() for line in path.read_text().splitlines()] if path.exists() else []

    def stop(self, name: str) -> None:
        """Stop one server now (SIGKILL: a server that dies, not one that shuts down)."""
        for started, process in self._processes:
            if started == name and process.poll() is None:
                process.kill()
                process.wait()

    def http_upstream(self, name: str, address: str, port: int, prefix: str) -> None:
        """harness.http_upstream on address:port, its paths under `prefix`."""
        self.start(name, module_command("harness.http_upstream", "--address", address,
                                        "--port", str(port), "--prefix", prefix), ready="ready")

    def ws_echo_node(self, address: str, port: int) -> None:
        """tools/harness/ws_echo_server.js (Node's ws, permessage-deflate on) on address:port,
        with the npm packages tools/deps installed."""
        import os
        from . import ROOT
        modules = Path(os.environ.get("CORONET_CACHE", ROOT / ".cache")) / "node" / "node_modules"
        script = Path(__file__).resolve().parent / "ws_echo_server.js"
        self.start(f"ws-node-{port}", ["env", f"NODE_PATH={modules}", "node", str(script),
                                       str(port), address], ready="listening")

    def ws_echo_python(self, address: str, port: int) -> None:
        """harness.ws_python_echo (python3-websockets, under Debian's Python) on address:port."""
        self.start(f"ws-python-{port}",
                   module_command("harness.ws_python_echo", "--host", address, "--port", str(port),
                                  python="/usr/bin/python3"), ready="ready")

    def chrony(self, address: str, port: int = 123) -> None:
        """Debian's chronyd serving the host's own clock (`local stratum 8`) over NTP on
        address:port to anyone, without touching the host clock (-x), as root (no user switch),
        with no command socket; its pid and drift files in the workdir."""
        config = self.workdir / "chrony.conf"
        config.write_text(f"local stratum 8\nallow all\nbindaddress {address}\nport {port}\n"
                          f"cmdport 0\npidfile {self.workdir / 'chronyd.pid'}\n"
                          f"driftfile {self.workdir / 'chrony.drift'}\n")
        self.start("chronyd", ["chronyd", "-d", "-x", "-u", "root", "-f", str(config)],
                   ready="chronyd version")
        deadline = time.monotonic() + 10
        while not subprocess.run(self._prefix + ["ss", "-Huln", f"sport = :{port}"],
                                 capture_output=True, text=True).stdout.strip():
            if time.monotonic() > deadline:
                raise UpstreamError(f"chronyd not listening on udp port {port}: {self.log('chronyd')}")
            time.sleep(0.05)
