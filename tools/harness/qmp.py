"""QEMU's QMP monitor on a unix socket: what the host can see of a guest that stops serving,
and what a test does to its machine from outside (a link taken down and back up); the guest
sees only what real hardware would show it."""

from __future__ import annotations

import json
import socket
import time


def qmp_args(path: str) -> list[str]:
    """QEMU options for a QMP monitor listening on unix socket `path` (not waiting for it)."""
    return ["-qmp", f"unix:{path},server=on,wait=off"]


class QmpError(Exception):
    """QEMU answered a command with an error (its class and description)."""


class Monitor:
    """One QMP session: connected, greeted and in command mode on entering; closed on leaving.
    QEMU serves one session at a time on a socket, so each use opens its own."""

    def __init__(self, path: str, timeout: float = 5.0):
        self.path, self.timeout = path, timeout
        self._sock: socket.socket | None = None
        self._file = None

    def __enter__(self) -> "Monitor":
        self._sock = socket.socket(socket.AF_UNIX)
        try:
            self._sock.settimeout(self.timeout)
            self._sock.connect(self.path)
            self._file = self._sock.makefile("rw")
            self._read()  # the greeting
            self.call("qmp_capabilities")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._file:
            self._file.close()
            self._file = None
        if self._sock:
            self._sock.close()
            self._sock = None

    def _read(self) -> dict:
        line = self._file.readline()
        if not line:
            raise ConnectionError(f"QMP socket {self.path} closed")
        return json.loads(line)

    def call(self, command: str, **arguments: object) -> object:
        """Run `command` and return its result; QmpError if QEMU refuses it. Events that
        arrive meanwhile are skipped."""
        self._file.write(json.dumps({"execute": command, "arguments": arguments}) + "\n")
        self._file.flush()
        while True:
            reply = self._read()
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                error = reply["error"]
                raise QmpError(f"{command}: {error.get('class')}: {error.get('desc')}")


def set_link(path: str, name: str, up: bool) -> None:
    """Link state of QEMU net client `name` (a netdev id such as board.json's n0, or a NIC's
    device id), through the QMP socket at `path`. On a netdev, QEMU 7.2 takes its NIC peer
    down too and tells the guest (virtio-net's status field and a configuration interrupt);
    frames either way are dropped while down."""
    with Monitor(path) as monitor:
        monitor.call("set_link", name=name, up=up)


def link_flap(path: str, name: str, seconds: float) -> tuple[float, float]:
    """`name`'s link down for `seconds`, then up again (up even if the wait is interrupted):
    the monotonic times it went down and came back."""
    set_link(path, name, False)
    down = time.monotonic()
    try:
        time.sleep(seconds)
    finally:
        set_link(path, name, True)
    return down, time.monotonic()


def virtio_queues(path: str) -> dict:
    """QEMU's view of every virtio queue (indices, in use, last signalled), through the QMP
    socket at `path`: tells a guest waiting for a notification QEMU already sent from QEMU
    waiting for a kick the guest never gave. Errors are reported under "error"."""
    result: dict = {}
    try:
        with Monitor(path) as monitor:
            def query(cmd: str, **arguments: object) -> object:
                try:
                    return monitor.call(cmd, **arguments)
                except QmpError:
                    return None

            for dev in query("x-query-virtio") or []:
                status = query("x-query-virtio-status", path=dev["path"])
                queues = status.get("num-vqs", 0) if isinstance(status, dict) else 0
                for q in range(queues):
                    qs = query("x-query-virtio-queue-status", path=dev["path"], queue=q)
                    if isinstance(qs, dict):
                        result[f"{dev['name']} {dev['path']} queue {q}"] = {
                            k: qs.get(k) for k in ("last-avail-idx", "shadow-avail-idx", "used-idx",
                                                   "signalled-used", "signalled-used-valid", "inuse")}
    except (OSError, ValueError, KeyError, TypeError) as e:
        result["error"] = f"{type(e).__name__}: {e}"
    return result
