"""The appliance image (`coronet`) as a QEMU target with a network: over tap in a network
namespace with a static address, or over QEMU user networking with DHCP and a forwarded
port. appliance_target() is the one place its QEMU target is made; Appliance boots it for a
test and says where its app is reached."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

from target import QemuTarget, TargetError

from . import module_command
from .clock_clients import CLOCK_DHCP_OPTIONS, CLOCK_OPTIONS, CLOCK_QEMU_ARGS
from .impair import Impairment, ImpairedNamespace
from .keepalive_clients import KEEPALIVE_OPTIONS
from .netns import GUEST_ADDRESS, HOST_ADDRESS, PREFIX, Namespace
from .proxy_clients import BALANCE_OPTIONS, PROXY_OPTIONS
from .qmp import link_flap, qmp_args, set_link

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
    # On tap: no static address; the clients start a DHCP server and wait for the lease.
    dhcp: bool = False


APPS = {
    "echo": App(7, r"echo: listening on tcp port 7\b", "harness.echo_clients"),
    "http": App(80, r"http: listening on tcp port 80\b", "harness.http_clients"),
    # The web server again, driven by very many connections at once (issue 14's clients).
    "connections": App(80, r"http: listening on tcp port 80\b", "harness.many_connections"),
    # The WebSocket endpoints of the web server (/ws/echo, /ws/status, /ws/chat).
    "websocket": App(80, r"http: listening on tcp port 80\b", "harness.ws_clients"),
    # The web server's reverse proxy, to upstream servers the clients start (issue 15's).
    "proxy": App(80, r"http: listening on tcp port 80\b", "harness.proxy_clients", PROXY_OPTIONS),
    # The same with least connections and passive health only.
    "proxy_balance": App(80, r"http: listening on tcp port 80\b", "harness.proxy_clients",
                         f"{PROXY_OPTIONS} {BALANCE_OPTIONS}"),
    "redis": App(6379, r"redis: listening on tcp port 6379\b", "harness.redis_clients"),
    # The iperf3 server, driven by Debian's iperf3 client.
    "iperf3": App(5201, r"iperf3: listening on tcp port 5201\b", "harness.iperf3_clients"),
    # The Redis server with a short TCP keep-alive, and clients that vanish (issue 16's).
    "keepalive": App(6379, r"redis: listening on tcp port 6379\b", "harness.keepalive_clients",
                     KEEPALIVE_OPTIONS),
    # The wall clock set over NTP by chronyd in the namespace, from an RTC left in 2001.
    "clock": App(80, r"http: listening on tcp port 80\b", "harness.clock_clients", CLOCK_OPTIONS,
                 CLOCK_QEMU_ARGS),
    # The same with nothing on the command line: address, router, DNS and NTP servers from the
    # DHCP server the clients start (dnsmasq), a proxy to an upstream named through that DNS.
    "clock_dhcp": App(80, r"http: listening on tcp port 80\b", "harness.clock_clients",
                      CLOCK_DHCP_OPTIONS, CLOCK_QEMU_ARGS, dhcp=True),
}

# The console line saying the address is configured, per network.
ADDRESS_LINE = {
    "tap": rf"ipv4 {re.escape(GUEST_ADDRESS)} .*\(static\)",
    "user": r"ipv4 \S+ .*\(dhcp\)",
}


def appliance_target(board: str, net: str, *, port: Optional[int] = None, netns: Optional[str] = None,
                     build_dir=None, memory: str = "256M", append: str = "",
                     echo: Optional[Callable[[str], None]] = None,
                     extra_args: Sequence[str] = (), tap_options: Sequence[str] = (),
                     dhcp: bool = False) -> QemuTarget:
    """The appliance on `board` with its NIC on `net`. 'tap': the tap device in namespace
    `netns`, static GUEST_ADDRESS unless `dhcp` (clients reach guest ports as they are);
    'user': DHCP from QEMU, guest `port` forwarded from a free port on 127.0.0.1
    (target.port(port)). `append` is more kernel command line, `extra_args` more QEMU options,
    `tap_options` more options of the tap netdev."""
    if net == "tap":
        if not netns:
            raise TargetError("net='tap' needs the network namespace holding the tap device")
        static = "" if dhcp else f"ip={GUEST_ADDRESS}/{PREFIX} gw={HOST_ADDRESS}"
        cmdline = f"{static} {append}".strip()
        return QemuTarget(board, IMAGE, build_dir=build_dir, memory=memory, cmdline=cmdline, net="tap",
                          netns=netns, echo=echo, extra_args=extra_args, tap_options=tap_options)
    if net == "user":
        return QemuTarget(board, IMAGE, build_dir=build_dir, memory=memory, cmdline=append, net="user",
                          hostfwd=[(0, port)] if port else [], echo=echo, extra_args=extra_args)
    raise TargetError(f"no network {net!r} for the appliance (tap or user)")


def appliance_image(board: str, build_dir=None) -> Path:
    """Where the appliance image of `board` is built."""
    return QemuTarget(board, IMAGE, build_dir=build_dir).image_path()


def wait_ready(target: QemuTarget, app: str, net: str, timeout: float) -> None:
    """Wait until `app` listens and the address on `net` is configured. Either may come
    first (a static address is set before the apps start). A tap app on DHCP has no address
    until its clients start the server: they wait for it."""
    waits = [APPS[app].listening]
    if not (net == "tap" and APPS[app].dhcp):
        waits.append(ADDRESS_LINE[net])
    for ready in waits:
        target.console.wait_for(ready, timeout, 0)


class Appliance:
    """The appliance booted on `board` and serving `app`, for a test: entering creates the
    namespace (tap), boots and waits until ready; leaving powers QEMU off, keeps the console
    transcript and removes the namespace. Clients reach the app at host:port, run behind
    `prefix` (inside the namespace on tap, nothing on user networking).

    With an `impairment` (tap only), the tap reaches the clients through harness.impair's
    relay (an ImpairedNamespace: `namespace.report()`, `namespace.set_impairment()`). With
    `monitor`, QEMU has a QMP socket and set_link()/link_flap() work."""

    def __init__(self, board: str, net: str, app: str, *, build_dir=None, memory: str = "256M",
                 append: str = "", echo: Optional[Callable[[str], None]] = None,
                 boot_timeout: float = 60, ipv6: bool = False, impairment: Optional[Impairment] = None,
                 monitor: bool = False):
        self.board, self.net, self.app = board, net, APPS[app]
        self._app_name = app
        append = f"{self.app.append} {append}".strip()
        self.qmp_path = (os.path.join(tempfile.gettempdir(), f"coronet-{os.getpid()}-{id(self):x}.qmp")
                         if monitor else None)
        extra_args = tuple(self.app.qemu_args) + tuple(qmp_args(self.qmp_path) if monitor else ())
        self._options = dict(build_dir=build_dir, memory=memory, append=append, echo=echo,
                             extra_args=extra_args)
        self.boot_timeout = boot_timeout
        if impairment is not None and net != "tap":
            raise TargetError("an impairment needs net='tap' (the relay sits behind the tap device)")
        self.namespace: Optional[Namespace] = None
        if impairment is not None:
            self.namespace = ImpairedNamespace(f"coronet-{os.getpid()}", impairment, ipv6=ipv6)
        elif net == "tap":
            self.namespace = Namespace(f"coronet-{os.getpid()}", ipv6=ipv6)
        self.target: Optional[QemuTarget] = None
        self.transcript = ""

    def __enter__(self) -> "Appliance":
        try:
            if self.namespace:
                self.namespace.__enter__()
            self.target = appliance_target(self.board, self.net, port=self.app.port,
                                           netns=self.namespace and self.namespace.name,
                                           tap_options=self.namespace.tap_options if self.namespace else (),
                                           dhcp=self.app.dhcp, **self._options)
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
        if self.qmp_path and os.path.exists(self.qmp_path):
            os.unlink(self.qmp_path)

    def set_link(self, up: bool) -> None:
        """The guest's link down or up, as a cable pulled or plugged (needs `monitor`)."""
        set_link(self._monitor(), self.target.netdev_id, up)

    def link_flap(self, seconds: float) -> tuple[float, float]:
        """The guest's link down for `seconds`, then up (needs `monitor`): when it went down
        and came back (time.monotonic())."""
        return link_flap(self._monitor(), self.target.netdev_id, seconds)

    def _monitor(self) -> str:
        if not self.qmp_path or not self.target:
            raise TargetError("no QMP monitor: Appliance(..., monitor=True), booted")
        return self.qmp_path

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
        return f"{match.group(1).lower()}%{self.namespace.host_device}"

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

