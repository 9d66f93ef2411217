"""A network namespace holding one tap device for QEMU, with the host side's address on it:
the real L2 path tests and benchmarks use, with no route out of the namespace."""

from __future__ import annotations

import subprocess
from typing import Callable, Sequence

GUEST_ADDRESS = "10.77.0.2"
HOST_ADDRESS = "10.77.0.1"
PREFIX = 24
TAP = "tap0"


def netns_prefix(name: str) -> list[str]:
    """The argv prefix that runs a command inside namespace `name`."""
    return ["ip", "netns", "exec", name]


def netns_run(name: str, argv: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Run `argv` inside namespace `name`, capturing its output as text."""
    return subprocess.run(netns_prefix(name) + argv, capture_output=True, text=True, timeout=timeout)


def _ip(*argv: str) -> None:
    subprocess.run(["ip", *argv], check=True)


def device_with_address(address: str) -> str:
    """The device holding IPv4 `address` in this process's namespace: where clients add
    their source addresses (the tap of a Namespace, the host veth of an ImpairedNamespace)."""
    out = subprocess.run(["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        fields = line.split()
        if len(fields) > 3 and fields[2] == "inet" and fields[3].split("/")[0] == address:
            return fields[1]
    raise LookupError(f"no device holds {address} here")


class Namespace:
    """Namespace `name` with tap device `tap0` up at HOST_ADDRESS/PREFIX; created on
    entering (replacing a stale one of the same name), removed on leaving.

    IPv6 is off on the tap unless asked for: otherwise its link-local address arrives a second
    or two after QEMU brings the carrier up, and a browser in the namespace takes that for a
    network change and fails its requests in flight (net::ERR_NETWORK_CHANGED)."""

    host_device = TAP
    """Where HOST_ADDRESS is: the host side of the guest's link."""
    tap_options: tuple[str, ...] = ()
    """More options of QEMU's tap netdev that this namespace needs (QemuTarget tap_options)."""

    def __init__(self, name: str, ipv6: bool = False):
        self.name = name
        self.ipv6 = ipv6

    @property
    def prefix(self) -> list[str]:
        return netns_prefix(self.name)

    def __enter__(self) -> "Namespace":
        self.remove()
        _ip("netns", "add", self.name)
        _ip("-n", self.name, "link", "set", "lo", "up")
        _ip("-n", self.name, "tuntap", "add", "dev", TAP, "mode", "tap")
        if not self.ipv6:
            subprocess.run(self.prefix + ["tee", f"/proc/sys/net/ipv6/conf/{TAP}/disable_ipv6"],
                           input=b"1", stdout=subprocess.DEVNULL, check=True)
        _ip("-n", self.name, "addr", "add", f"{HOST_ADDRESS}/{PREFIX}", "dev", TAP)
        _ip("-n", self.name, "link", "set", TAP, "up")
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def remove(self) -> None:
        """Delete the namespace (and its tap device) if it exists."""
        subprocess.run(["ip", "netns", "del", self.name], stderr=subprocess.DEVNULL)


def measure_in_namespace(name: str, measure: Callable[[str], None], say: Callable[[str], None],
                         sysctls: Sequence[str] = ()) -> bool:
    """For a benchmark: runs `measure(namespace)` in a fresh namespace `name`, deleted however
    the run ends. ARP towards the guest retries every 20 ms there (while a guest boots, ARP for
    its address goes unanswered, and with the default 1 s between tries its first response
    could wait up to a second after it is up); `sysctls` ("key=value") are set too. Ctrl-C
    ends the measuring early: then it says so and returns True, and the caller reports what
    was measured."""
    ns = Namespace(name)
    try:
        ns.__enter__()
        for setting in (f"net.ipv4.neigh.{TAP}.retrans_time_ms=20", *sysctls):
            netns_run(name, ["sysctl", "-q", "-w", setting], 10)
        measure(name)
    except KeyboardInterrupt:
        say("interrupted: reporting what was measured")
        return True
    finally:
        ns.__exit__(None, None, None)
    return False
