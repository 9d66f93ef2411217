"""The appliance image (`coronet`) as a QEMU target with a network: over tap in a network
namespace with a static address, or over QEMU user networking with DHCP and a forwarded
port. appliance_target() is the one place its QEMU target is made; Appliance boots it for a
test and says where its app is reached."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

from target import QemuTarget, TargetError

from . import module_command
from .clock_clients import CLOCK_OPTIONS, CLOCK_QEMU_ARGS
from .keepalive_clients import KEEPALIVE_OPTIONS
from .netns import GUEST_ADDRESS, HOST_ADDRESS, PREFIX, TAP, Namespace
from .proxy_clients import PROXY_OPTIONS

IMAGE = "coronet"


@dataclass(frozen=True)
class App:
    """One of the appliance's servers: its port, the console line saying it listens, the
    module with its test clients (run as `python3 -m`), and boot options (and QEMU options)
    its clients need."""

    port: int
    listening: str
    clients: str
    append: str = ""
    qemu_args: tuple[str, ...] = ()


APPS = {
    "echo": App(7, r"echo: listening on tcp port 7\b", "harness.echo_clients"),
    "http": App(80, r"http: listening on tcp port 80\b", "harness.http_clients"),
    # The web server again, driven by very many connections at once (issue 14's clients).
    "connections": App(80, r"http: listening on tcp port 80\b", "harness.many_connections"),
    # The WebSocket endpoints of the web server (/ws/echo, /ws/status, /ws/chat).
    "websocket": App(80, r"http: listening on tcp port 80\b", "harness.ws_clients"),
    # The web server's reverse proxy, to upstream servers the clients start (issue 15's).
    "proxy": App(80, r"http: listening on tcp port 80\b", "harness.proxy_clients", PROXY_OPTIONS),
    "redis": App(6379, r"redis: listening on tcp port 6379\b", "harness.redis_clients"),
    # The iperf3 server, driven by Debian's iperf3 client.
    "iperf3": App(5201, r"iperf3: listening on tcp port 5201\b", "harness.iperf3_clients"),
    # The Redis server with a short TCP keep-alive, and clients that vanish (issue 16's).
    "keepalive": App(6379, r"redis: listening on tcp port 6379\b", "harness.keepalive_clients",
                     KEEPALIVE_OPTIONS),
    # The wall clock set over NTP by chronyd in the namespace, from an RTC left in 2001.
    "clock": App(80, r"http: listening on tcp port 80\b", "harness.clock_clients", CLOCK_OPTIONS,
                 CLOCK_QEMU_ARGS),
}

# The console line saying the address is configured, per network.
ADDRESS_LINE = {
    "tap": rf"ipv4 {re.escape(GUEST_ADDRESS)} .*\(static\)",
    "user": r"ipv4 \S+ .*\(dhcp\)",
}


def appliance_target(board: str, net: str, *, port: Optional[int] = None, netns: Optional[str] = None,
                     build_dir=None, memory: str = "256M", append: str = "",
                     echo: Optional[Callable[[str], None]] = None,
                     extra_args: Sequence[str] = ()) -> QemuTarget:
    """The appliance on `board` with its NIC on `net`. 'tap': the tap device in namespace
    `netns`, static GUEST_ADDRESS (clients reach guest ports as they are); 'user': DHCP from
    QEMU, guest `port` forwarded from a free port on 127.0.0.1 (target.port(port)).
    `append` is more kernel command line, `extra_args` more QEMU options."""
    if net == "tap":
        if not netns:
            raise TargetError("net='tap' needs the network namespace holding the tap device")
        cmdline = f"ip={GUEST_ADDRESS}/{PREFIX} gw={HOST_ADDRESS} {append}".strip()
        return QemuTarget(board, IMAGE, build_dir=build_dir, memory=memory, cmdline=cmdline, net="tap",
                          netns=netns, echo=echo, extra_args=extra_args)
    if net == "user":
        return QemuTarget(board, IMAGE, build_dir=build_dir, memory=memory, cmdline=append, net="user",
                          hostfwd=[(0, port)] if port else [], echo=echo, extra_args=extra_args)
    raise TargetError(f"no network {net!r} for the appliance (tap or user)")


def appliance_image(board: str, build_dir=None) -> Path:
    """Where the appliance image of `board` is built."""
    return QemuTarget(board, IMAGE, build_dir=build_dir).image_path()


def wait_ready(target: QemuTarget, app: str, net: str, timeout: float) -> None:
    """Wait until `app` listens and the address on `net` is configured. Either may come
    first (a static address is set before the apps start)."""
    for ready in (APPS[app].listening, ADDRESS_LINE[net]):
        target.console.wait_for(ready, timeout, 0)


class Appliance:
    """The appliance booted on `board` and serving `app`, for a test: entering creates the
    namespace (tap), boots and waits until ready; leaving powers QEMU off, keeps the console
    transcript and removes the namespace. Clients reach the app at host:port, run behind
    `prefix` (inside the namespace on tap, nothing on user networking)."""

    def __init__(self, board: str, net: str, app: str, *, build_dir=None, memory: str = "256M",
                 append: str = "", echo: Optional[Callable[[str], None]] = None,
                 boot_timeout: float = 60, ipv6: bool = False):
        self.board, self.net, self.app = board, net, APPS[app]
        self._app_name = app
        append = f"{self.app.append} {append}".strip()
        self._options = dict(build_dir=build_dir, memory=memory, append=append, echo=echo,
                             extra_args=self.app.qemu_args)
        self.boot_timeout = boot_timeout
        self.namespace = Namespace(f"coronet-{os.getpid()}", ipv6=ipv6) if net == "tap" else None
        self.target: Optional[QemuTarget] = None
        self.transcript = ""

    def __enter__(self) -> "Appliance":
        try:
            if self.namespace:
                self.namespace.__enter__()
            self.target = appliance_target(self.board, self.net, port=self.app.port,
                                           netns=self.namespace and self.namespace.name, **self._options)
            self.target.boot()
            wait_ready(self.target, self._app_name, self.net, self.boot_timeout)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.target:
            self.transcript = self.target.console.text()
            self.target.power_off()
        if self.namespace:
            self.namespace.__exit__(None, None, None)

    @property
    def host(self) -> str:
        return GUEST_ADDRESS if self.net == "tap" else self.target.address()

    @property
    def port(self) -> int:
        return self.app.port if self.net == "tap" else self.target.port(self.app.port)

    @property
    def prefix(self) -> list[str]:
        return self.namespace.prefix if self.namespace else []

    @property
    def netns(self) -> Optional[str]:
        return self.namespace.name if self.namespace else None

    def link_local(self, timeout: float = 30) -> str:
        """The guest's IPv6 link-local address as the host reaches it over the tap
        (`fe80::...%tap0`), once the guest says it is valid (tap namespace with ipv6)."""
        _, _, match = self.target.console.wait_for(r"ipv6 (FE80::[0-9A-F:]+)", timeout, 0)
        return f"{match.group(1).lower()}%{TAP}"

    def url(self, path: str = "/") -> str:
        """http://host[:port]/path, without the port when it is 80 (as a browser writes it)."""
        port = "" if self.port == 80 else f":{self.port}"
        return f"http://{self.host}{port}{path}"

    def client_command(self, *args: str) -> list[str]:
        """argv running the app's client module against it, behind `prefix`."""
        return self.prefix + module_command(self.app.clients, "--host", self.host, "--port", str(self.port), *args)

    @property
    def panicked(self) -> bool:
        """Whether the guest panicked (the transcript so far, or all of it once stopped)."""
        text = self.target.console.text() if self.target and self.target.running else self.transcript
        return "PANIC" in text

