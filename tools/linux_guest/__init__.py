"""The Linux baseline guest (Debian 12 kernel, busybox, nginx, redis-server, iperf3, inetd) for
benchmarks against Coronet: build with tools/linux_guest/build, boot with linux_target()."""

from .guest import (
    CONSOLE,
    READY,
    artifacts,
    board_qemu_args,
    kernel_cmdline,
    linux_target,
    manifest_path,
    ready_seconds,
    stale_inputs,
)

__all__ = [
    "CONSOLE",
    "READY",
    "artifacts",
    "board_qemu_args",
    "kernel_cmdline",
    "linux_target",
    "manifest_path",
    "ready_seconds",
    "stale_inputs",
]
