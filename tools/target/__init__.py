"""Host-side targets that boot Coronet images: the Target interface (base) and its
QEMU implementation (qemu), configured only from boards/<board>/board.json."""

from .base import (
    EXIT_PANIC,
    EXIT_PASS,
    EXIT_TEST_FAILURE,
    Console,
    ConsoleLine,
    Target,
    TargetError,
    TargetTimeout,
    describe_exit,
)
from .qemu import QemuTarget, decode_exit, default_build_dir, list_boards, load_board

__all__ = [
    "EXIT_PANIC",
    "EXIT_PASS",
    "EXIT_TEST_FAILURE",
    "Console",
    "ConsoleLine",
    "QemuTarget",
    "Target",
    "TargetError",
    "TargetTimeout",
    "decode_exit",
    "default_build_dir",
    "describe_exit",
    "list_boards",
    "load_board",
]
