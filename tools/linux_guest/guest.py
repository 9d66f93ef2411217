"""The Linux baseline guest (built by tools/linux_guest/build) as a QemuTarget: the same
board.json machine and network device as Coronet, with Debian's kernel as the image, the
initramfs as -initrd and a Linux command line carrying Coronet's ip=/gw= words.

Two initramfs images: initrd.img serves HTTP (nginx :80) and Redis (redis-server :6379);
initrd-ws.img (websocket=True) also WebSocket, /ws/echo and /ws/chat on node ws :8081 and
beast ws :8082, at the cost of Node.js's 90 MB in RAM and seconds of boot."""

from __future__ import annotations

import ctypes
import mmap
import platform
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Optional, Sequence

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from target import QemuTarget, TargetError, load_board  # noqa: E402

CACHE = ROOT / ".cache" / "linux-guest"

# The console each arch's boards give the guest: COM1 on x86 (q35, microvm), the PL011 on
# virt.
CONSOLE = {"x86_64": "ttyS0", "aarch64": "ttyAMA0"}

# /init prints this once all its servers listen (nginx :80, redis-server :6379 and, in
# initrd-ws.img, the WebSocket baselines node ws :8081 and beast ws :8082); the number is
# /proc/uptime.
READY = r"linux-guest: ready in ([0-9.]+) s"
# /init prints this (before READY, which it does not match) once nginx and redis-server
# listen, before it starts the WebSocket servers; the number is /proc/uptime.
HTTP_REDIS_UP = r"linux-guest: nginx :80 and redis-server :6379 listen at ([0-9.]+) s"
# The WebSocket servers' ports (initrd-ws.img); each serves /ws/echo and /ws/chat.
WS_PORTS = {"node": 8081, "beast": 8082}

# `quiet`: kernel messages cost serial exits under TCG and are not what is measured.
# panic=-1 reboots at once on a panic, and the boards' -no-reboot turns that into QEMU
# exiting, as Coronet's panic does.
BASE_CMDLINE = "quiet panic=-1"
# For initrd-ws.img: its 110 MB (unpacked) would otherwise go into a tmpfs capped at half the
# RAM, and unpacking fails ("Initramfs unpacking failed: write error", no nginx) at -m 256M
# although the files fit; ramfs has no cap, so the smallest -m that serves is what the guest
# needs. initrd.img keeps the kernel's default (tmpfs), as it was measured.
WEBSOCKET_CMDLINE = "rootfstype=ramfs"


def artifacts(arch: str, websocket: bool = False) -> tuple[Path, Path]:
    """(vmlinuz, initramfs) of `arch` (x86_64 or aarch64), built or not: initrd.img (nginx,
    redis-server), or with websocket=True initrd-ws.img (and the WebSocket servers)."""
    return CACHE / arch / "vmlinuz", CACHE / arch / ("initrd-ws.img" if websocket else "initrd.img")


def manifest_path(arch: str) -> Path:
    return CACHE / arch / "manifest.json"


# What tools/linux_guest/build packs into the initramfs from this folder (and the build itself).
INPUTS = ("build", "init", "nginx.conf", "redis.conf", "inetd.conf", "udhcpc.script", "ws_server.js",
          "beast_ws_server.cpp")


def stale_inputs(arch: str) -> list[str]:
    """This folder's files changed since `arch`'s guest was last built, by name (all of them
    when it has not been). The build rewrites manifest.json every time, but the initrd only
    when its contents change, so the manifest's time is the build's."""
    manifest = manifest_path(arch)
    if not manifest.is_file() or not all(p.is_file() for p in (*artifacts(arch), *artifacts(arch, True))):
        return list(INPUTS)
    built = manifest.stat().st_mtime
    return [name for name in INPUTS if (HERE / name).is_file() and (HERE / name).stat().st_mtime > built]


def machine(board: dict) -> str:
    """The -M/-machine value of a board's QEMU command line, e.g. "microvm,acpi=off,rtc=on"."""
    argv = board["qemu"]
    return ",".join(argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("-M", "-machine"))


def is_microvm(board: dict) -> bool:
    return machine(board).split(",")[0] == "microvm"


def board_qemu_args(board: dict) -> list[str]:
    """QEMU options the Linux guest needs on top of the board's own.

    microvm: Coronet boots it with acpi=off, where QEMU describes the virtio-mmio devices
    only on the kernel command line (virtio_mmio.device=..., the Firecracker scheme).
    Debian's kernel is built without CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES, so it cannot take
    them from there; with ACPI on, QEMU lists the same devices in the DSDT (LNRO0005), which
    Debian's virtio_mmio module reads. The devices, their addresses and interrupts are the
    same; only how the guest learns of them differs. A later -machine merges into the
    board's.
    """
    if is_microvm(board) and "acpi=off" in machine(board):
        return ["-machine", "acpi=on"]
    return []


def host_tsc_khz() -> Optional[int]:
    """The host's TSC rate in kHz, measured (RDTSC through a 10-byte machine-code thunk,
    against CLOCK_MONOTONIC_RAW), or None off x86-64. Under TCG a guest's RDTSC returns the
    host's TSC, so this is the guest's TSC rate as well."""
    if platform.machine() != "x86_64":
        return None
    # rdtsc; shl rdx, 32; or rax, rdx; ret
    code = bytes([0x0F, 0x31, 0x48, 0xC1, 0xE2, 0x20, 0x48, 0x09, 0xD0, 0xC3])
    try:
        buf = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    except OSError:
        return None
    buf.write(code)
    rdtsc = ctypes.CFUNCTYPE(ctypes.c_uint64)(ctypes.addressof(ctypes.c_char.from_buffer(buf)))
    rates = []
    for _ in range(3):
        t0, c0 = time.clock_gettime_ns(time.CLOCK_MONOTONIC_RAW), rdtsc()
        time.sleep(0.05)
        t1, c1 = time.clock_gettime_ns(time.CLOCK_MONOTONIC_RAW), rdtsc()
        rates.append((c1 - c0) * 1e6 / (t1 - t0))
    del rdtsc
    return int(round(statistics.median(rates)))


def board_cmdline(board: dict) -> str:
    """Kernel command line words the Linux guest needs on `board`.

    microvm has neither HPET nor an ACPI PM timer, so Linux can calibrate the TSC only
    against the PIT, and under TCG that fails on a busy or slow host (each PIT read is an
    exit; Linux gives up when the reads are too slow or uneven), after which the boot hangs
    in the next calibration most of the time (seen here: 4 boots of 5). tsc_early_khz= is
    Linux's own switch for an unreliable calibration; the value is the host's TSC rate,
    which is what the guest's TSC runs at under TCG. q35 has an HPET and needs nothing.
    """
    if is_microvm(board):
        khz = host_tsc_khz()
        if khz:
            return f"tsc_early_khz={khz}"
    return ""


def kernel_cmdline(arch: str, ip: Optional[str] = None, gw: Optional[str] = None, append: str = "") -> str:
    """console=, quiet, panic=-1, then Coronet's ip=a.b.c.d/prefix gw=a.b.c.d (no ip: DHCP)."""
    words = [f"console={CONSOLE[arch]}", BASE_CMDLINE]
    if ip:
        words.append(f"ip={ip}")
    if gw:
        words.append(f"gw={gw}")
    if append:
        words.append(append)
    return " ".join(words)


def linux_target(
    board_name: str,
    memory: str = "256M",
    net: str = "tap",
    netns: Optional[str] = None,
    tap: str = "tap0",
    ip: Optional[str] = None,
    gw: Optional[str] = None,
    append: str = "",
    hostfwd: Sequence[tuple[int, int]] = (),
    extra_args: Sequence[str] = (),
    echo: Optional[Callable[[str], None]] = None,
    websocket: bool = False,
    tap_options: Sequence[str] = (),
) -> QemuTarget:
    """A QemuTarget that boots the Linux guest on `board_name`; arguments as QemuTarget's,
    plus ip/gw (static address as on Coronet's command line), `append` (more command line)
    and `websocket` (True: initrd-ws.img, with the WebSocket servers on WS_PORTS); behind an
    impairing relay, pass the namespace's tap_options (harness.impair). TargetError
    if the guest has not been built (tools/linux_guest/build)."""
    board = load_board(board_name)
    vmlinuz, initrd = artifacts(board["arch"], websocket)
    for path in (vmlinuz, initrd):
        if not path.is_file():
            raise TargetError(f"Linux guest not built: {path} missing "
                              f"(run tools/linux_guest/build --arch {board['arch']})")
    return QemuTarget(
        board_name,
        str(vmlinuz),  # a path: QemuTarget uses it as is
        memory=memory,
        cmdline=kernel_cmdline(board["arch"], ip, gw, " ".join(filter(None, [
            board_cmdline(board), WEBSOCKET_CMDLINE if websocket else "", append]))),
        net=net,
        hostfwd=hostfwd,
        extra_args=["-initrd", str(initrd)] + board_qemu_args(board) + list(extra_args),
        echo=echo,
        tap=tap,
        netns=netns,
        tap_options=tap_options,
    )


def ready_seconds(line: str) -> Optional[float]:
    """The guest's uptime from its ready line, or None if `line` is not it."""
    m = re.search(READY, line)
    return float(m.group(1)) if m else None
