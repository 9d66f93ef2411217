"""QEMU's QMP monitor on a unix socket, for what the host can see of a guest that stops
serving; the guest never notices it."""

from __future__ import annotations

import json
import socket


def qmp_args(path: str) -> list[str]:
    """QEMU options for a QMP monitor listening on unix socket `path` (not waiting for it)."""
    return ["-qmp", f"unix:{path},server=on,wait=off"]


def virtio_queues(path: str) -> dict:
    """QEMU's view of every virtio queue (indices, in use, last signalled), through the QMP
    socket at `path`: tells a guest waiting for a notification QEMU already sent from QEMU
    waiting for a kick the guest never gave. Errors are reported under "error"."""
    result: dict = {}
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(path)
            f = s.makefile("rw")

            def call(cmd: str, **arguments) -> object:
                f.write(json.dumps({"execute": cmd, "arguments": arguments}) + "\n")
                f.flush()
                while True:
                    reply = json.loads(f.readline())
                    if "return" in reply or "error" in reply:
                        return reply.get("return", reply.get("error"))

            json.loads(f.readline())  # greeting
            call("qmp_capabilities")
            for dev in call("x-query-virtio") or []:
                status = call("x-query-virtio-status", path=dev["path"])
                queues = (status or {}).get("num-vqs", 0) if isinstance(status, dict) else 0
                for q in range(queues):
                    qs = call("x-query-virtio-queue-status", path=dev["path"], queue=q)
                    if isinstance(qs, dict):
                        result[f"{dev['name']} {dev['path']} queue {q}"] = {
                            k: qs.get(k) for k in ("last-avail-idx", "shadow-avail-idx", "used-idx",
                                                   "signalled-used", "signalled-used-valid", "inuse")}
    except (OSError, ValueError, KeyError, TypeError) as e:
        result["error"] = f"{type(e).__name__}: {e}"
    return result
