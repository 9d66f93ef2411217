"""QEMU as a Coronet target: builds the command line from boards/<board>/board.json only,
runs QEMU in its own process group with the guest serial console on a pipe, decodes exits."""

from __future__ import annotations

import ctypes
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

from .base import Console, Target, TargetError, TargetTimeout

ROOT = Path(__file__).resolve().parents[2]
BOARDS_DIR = ROOT / "boards"

# The argv placeholders board.json may use; anything else in braces is left alone, so a
# command line containing braces passes through untouched.
_PLACEHOLDERS = ("{memory}", "{image}", "{cmdline}", "{hostfwd}", "{tap}", "{tap_options}")

# QEMU reports its own failures (bad option, missing kernel, port in use) on stderr as
# "qemu-system-x86_64: ..." or "qemu: ..." and exits 1, which isa-debug-exit would also
# produce for guest code 0. Such a line tells the two apart.
_QEMU_ERROR = re.compile(r"^qemu(-system-[\w-]+)?: (?!.*\bwarning: )(?!terminating on signal)", re.M)


def default_build_dir() -> Path:
    """$CORONET_BUILD_DIR (relative paths are taken from the repository root) or <repo>/build."""
    env = os.environ.get("CORONET_BUILD_DIR")
    if env:
        path = Path(env)
        return path if path.is_absolute() else ROOT / path
    return ROOT / "build"


def list_boards() -> list[str]:
    """Names of all boards (folders under boards/ with a board.json), sorted."""
    return sorted(p.parent.name for p in BOARDS_DIR.glob("*/board.json"))


def load_board(name: str) -> dict:
    """Parse boards/<name>/board.json; TargetError names the known boards if absent."""
    path = BOARDS_DIR / name / "board.json"
    if not path.is_file():
        raise TargetError(f"unknown board {name!r}; known: {', '.join(list_boards()) or 'none'}")
    with path.open() as f:
        board = json.load(f)
    for key in ("name", "arch", "image_suffix", "symbols_suffix", "exit", "qemu", "net"):
        if key not in board:
            raise TargetError(f"{path}: missing field {key!r}")
    return board


def hostfwd_option(hostfwd: Iterable[tuple[int, int]]) -> str:
    """',hostfwd=tcp:127.0.0.1:H-:G' for each (host, guest) pair, for the {hostfwd} slot."""
    return "".join(f",hostfwd=tcp:127.0.0.1:{int(h)}-:{int(g)}" for h, g in hostfwd)


def suboptions(options: Iterable[str]) -> str:
    """',a,b' for options ('a', 'b') appended to a QEMU option's value (the {tap_options} slot)."""
    return "".join(f",{option}" for option in options)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (the kernel's pick), for forwards
    that must not collide when tests run in parallel."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def decode_exit(method: str, returncode: Optional[int], stderr: str = "") -> Optional[int]:
    """Turn QEMU's exit status into the guest's exit code, or None if the guest gave none.

    isa-debug-exit: QEMU exits with (v << 1) | 1 for guest value v; 0 is a normal quit or
    a reset/triple fault under -no-reboot. semihosting: SYS_EXIT's code is the status
    itself (low 8 bits). Killed by a signal, or a QEMU error on stderr: None.
    """
    if returncode is None or returncode < 0:
        return None
    if returncode == 1 and _QEMU_ERROR.search(stderr):
        return None
    if method == "isa-debug-exit":
        return (returncode - 1) >> 1 if returncode & 1 else None
    if method == "semihosting":
        return returncode
    raise TargetError(f"unknown exit method {method!r} in board.json")


def _die_with_parent() -> None:
    """preexec_fn: have the kernel SIGKILL QEMU if the Python process that spawned it dies
    (e.g. CTest kills the test on timeout), so no QEMU is left behind."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


class QemuTarget(Target):
    """A QEMU machine described by boards/<board_name>/board.json.

    The guest serial console is QEMU's stdio (`-serial stdio`): guest output arrives on
    QEMU's stdout pipe (read by a thread into `console`), write() goes to its stdin pipe,
    QEMU's own messages go to a separate stderr pipe (`qemu_stderr`). QEMU runs in a new
    session (its own process group) and is killed as a group by power_off(), by leaving a
    `with` block, and by the kernel if this Python process dies.

    Images: `<build_dir>/<arch>/boards/<board>/<image_name><image_suffix>`; an image given
    as a path (containing '/' or ending in the suffix) is used as is.
    """

    def __init__(
        self,
        board_name: str,
        image_name: str = "coronet",
        build_dir: Optional[os.PathLike | str] = None,
        memory: str = "128M",
        cmdline: str = "",
        net: str = "none",
        hostfwd: Sequence[tuple[int, int]] = (),
        extra_args: Sequence[str] = (),
        echo: Optional[Callable[[str], None]] = None,
        tap: str = "tap0",
        netns: Optional[str] = None,
        tap_options: Sequence[str] = (),
    ):
        """`net` is a key of board.json's "net" ("none" or "user"); `hostfwd` lists
        (host_port, guest_port) TCP forwards on 127.0.0.1 (user networking only; host
        port 0 picks a free port now, see ports());
        `extra_args` are appended to QEMU's argv; `echo` gets each console line as it
        arrives (e.g. print, to stream a test's console into its log). With net='tap', QEMU
        attaches to the existing tap device `tap`; `netns` runs QEMU inside that network
        namespace (`ip netns exec`), where the test created the tap device; `tap_options`
        are more options of the tap netdev (e.g. "vnet_hdr=off"), filled into board.json's
        {tap_options} slot."""
        super().__init__()
        self.board = load_board(board_name)
        self.name = self.board["name"]
        self.arch = self.board["arch"]
        self.image_name = image_name
        self.build_dir = Path(build_dir) if build_dir is not None else default_build_dir()
        self.memory = memory
        self.cmdline = cmdline
        if net not in self.board["net"]:
            raise TargetError(f"{self.name}: no network mode {net!r} "
                              f"(board.json has {', '.join(self.board['net'])})")
        if hostfwd and net != "user":
            raise TargetError("hostfwd needs net='user'")
        self.net = net
        self.hostfwd = [(int(h) or free_port(), int(g)) for h, g in hostfwd]
        self.extra_args = list(extra_args)
        self.echo = echo
        self.tap = tap
        self.netns = netns
        self.tap_options = list(tap_options)
        if self.tap_options and net != "tap":
            raise TargetError("tap_options need net='tap'")

        self._proc: Optional[subprocess.Popen[bytes]] = None
        self._console = Console(echo)
        self._readers: list[threading.Thread] = []
        self._stderr = bytearray()
        self._started_at: Optional[float] = None
        self._stopped_by_us = False
        self._image: Optional[str] = None
        self._boot_cmdline: Optional[str] = None
        self.argv: list[str] = []
        """The argv of the current (or last) boot."""

    # -- paths and command line -------------------------------------------------

    def image_path(self, image: Optional[str] = None) -> Path:
        """Where the image `image` (default: image_name) of this board is built."""
        image = image or self.image_name
        suffix = self.board["image_suffix"]
        if "/" in image or image.endswith(suffix):
            return Path(image).resolve()
        return self.build_dir / self.arch / "boards" / self.name / f"{image}{suffix}"

    def symbols_path(self, image: Optional[str] = None) -> Path:
        """The ELF with the image's symbols (for gdb): image name + symbols_suffix."""
        path = self.image_path(image)
        stem = path.name[: -len(self.board["image_suffix"])] if path.name.endswith(
            self.board["image_suffix"]) else path.stem
        return path.with_name(stem + self.board["symbols_suffix"])

    def qemu_argv(
        self,
        image: Optional[str] = None,
        cmdline: Optional[str] = None,
        serial: Sequence[str] = ("-serial", "stdio"),
    ) -> list[str]:
        """The full QEMU argv: board.json's "qemu" list with placeholders filled, the
        network options for `net`, then `serial`, then extra_args."""
        values = {
            "{memory}": self.memory,
            "{image}": str(self.image_path(image)),
            "{cmdline}": self.cmdline if cmdline is None else cmdline,
            "{hostfwd}": hostfwd_option(self.hostfwd),
            "{tap}": self.tap,
            "{tap_options}": suboptions(self.tap_options),
        }

        def fill(arg: str) -> str:
            for key in _PLACEHOLDERS:
                if key in arg:
                    arg = arg.replace(key, values[key])
            return arg

        net = self.board["net"][self.net]
        if self.tap_options and not any("{tap_options}" in a for a in net):
            raise TargetError(f"{self.name}: board.json's tap network has no {{tap_options}} slot "
                              f"for {', '.join(self.tap_options)}")
        argv = [fill(a) for a in self.board["qemu"]]
        argv += [fill(a) for a in net]
        argv += list(serial)
        argv += self.extra_args
        if self.netns:
            argv = ["ip", "netns", "exec", self.netns] + argv
        return argv

    # -- Target interface ---------------------------------------------------------

    def boot(self, image: Optional[str] = None, cmdline: Optional[str] = None) -> None:
        """Start QEMU; see Target.boot. Call from a thread that outlives the machine
        (the main thread, normally): QEMU is killed when the spawning thread exits."""
        if self.running:
            raise TargetError(f"{self.name}: already running (power_off() first)")
        path = self.image_path(image)
        if not path.is_file():
            raise TargetError(f"{self.name}: image not found: {path} (build it first: "
                              f"cmake --build {self.build_dir})")
        self._image = image
        self._boot_cmdline = cmdline
        self.argv = self.qemu_argv(image, cmdline)
        self._console = Console(self.echo)
        self._reset_expect_cursor()
        self._stderr = bytearray()
        self._stopped_by_us = False
        self._started_at = time.monotonic()
        try:
            self._proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                bufsize=0,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        except OSError as e:
            raise TargetError(f"{self.name}: cannot start {self.argv[0]}: {e}") from e
        console = self._console
        out = threading.Thread(target=self._drain, args=(self._proc.stdout, console.feed, console.close),
                               name=f"{self.name}-console", daemon=True)
        err = threading.Thread(target=self._drain, args=(self._proc.stderr, self._stderr.extend),
                               name=f"{self.name}-stderr", daemon=True)
        self._readers = [out, err]
        out.start()
        err.start()

    @staticmethod
    def _drain(pipe, take: Callable[[bytes], None], done: Callable[[], None] = lambda: None) -> None:
        """Reader thread: hand each chunk from `pipe` to `take` until end of file, then `done`."""
        fd = pipe.fileno()
        try:
            while data := os.read(fd, 65536):
                take(data)
        except OSError:
            pass
        finally:
            done()

    @property
    def console(self) -> Console:
        return self._console

    def write(self, data: bytes) -> None:
        if not self.running or self._proc is None or self._proc.stdin is None:
            raise TargetError(f"{self.name}: not running")
        try:
            self._proc.stdin.write(data)
            self._proc.stdin.flush()
        except (BrokenPipeError, ValueError) as e:
            raise TargetError(f"{self.name}: console input closed") from e

    def address(self) -> str:
        """127.0.0.1: user networking forwards chosen host ports there."""
        return "127.0.0.1"

    def ports(self) -> dict[int, int]:
        return {guest: host for host, guest in self.hostfwd}

    def reset(self) -> None:
        """Cold restart: QEMU is stopped and started again with the same image and
        command line (under -no-reboot a QEMU reset request would just quit)."""
        self.power_off()
        self.boot(self._image, self._boot_cmdline)

    def power_off(self, grace: float = 2.0) -> None:
        """SIGTERM QEMU's process group, SIGKILL it after `grace` seconds (at once if 0),
        reap it."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            self._stopped_by_us = True
            if grace > 0:
                self._signal_group(signal.SIGTERM)
                try:
                    proc.wait(grace)
                except subprocess.TimeoutExpired:
                    pass
        # Whatever is left in the group (QEMU never forks, but a wrapper might) goes too.
        self._signal_group(signal.SIGKILL)
        proc.wait()
        self._finish()

    def kill(self) -> None:
        """SIGKILL QEMU's process group at once (timeouts, benchmarks)."""
        self.power_off(grace=0)

    def _signal_group(self, sig: int) -> None:
        if self._proc is None:
            return
        try:
            os.killpg(self._proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _finish(self) -> None:
        """After QEMU is reaped: drain the readers so transcript and stderr are whole."""
        for t in self._readers:
            t.join(5.0)
        if self._proc and self._proc.stdin:
            try:
                self._proc.stdin.close()
            except OSError:
                pass
        for pipe in (self._proc.stdout, self._proc.stderr) if self._proc else ():
            if pipe:
                pipe.close()

    def wait(self, timeout: Optional[float] = None) -> Optional[int]:
        if self._proc is None:
            raise TargetError(f"{self.name}: never booted")
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise TargetTimeout(f"{self.name}: still running after {timeout:g} s") from None
        self._signal_group(signal.SIGKILL)
        self._finish()
        return self.exit_status

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def started_at(self) -> Optional[float]:
        return self._started_at

    @property
    def exit_status(self) -> Optional[int]:
        if self._proc is None or self._stopped_by_us or self._proc.poll() is None:
            return None
        return decode_exit(self.board["exit"], self._proc.returncode, self.qemu_stderr)

    # -- QEMU specifics --------------------------------------------------------------

    @property
    def pid(self) -> Optional[int]:
        """QEMU's pid (also its process group id), or None before boot."""
        return self._proc.pid if self._proc else None

    @property
    def netdev_id(self) -> Optional[str]:
        """The id board.json gives the guest NIC's netdev on this network (what QMP's
        set_link names), or None without one."""
        for arg in self.board["net"][self.net]:
            match = re.match(r"[\w-]+,(?:.*,)?id=([\w-]+)", arg)
            if match:
                return match.group(1)
        return None

    @property
    def qemu_returncode(self) -> Optional[int]:
        """QEMU's raw exit status (negative: killed by that signal), None while running."""
        return self._proc.poll() if self._proc else None

    @property
    def qemu_stderr(self) -> str:
        """What QEMU itself printed on stderr (errors, warnings), decoded."""
        return bytes(self._stderr).decode("utf-8", "replace")

    @property
    def stopped_by_us(self) -> bool:
        """True if the last boot ended by power_off()/kill() rather than by the guest."""
        return self._stopped_by_us

    def describe(self) -> str:
        """One line naming board, image and command line, for logs and verdicts."""
        image = self._image or self.image_name
        cmdline = self.cmdline if self._boot_cmdline is None else self._boot_cmdline
        return f"{self.name} {image}" + (f" [{cmdline}]" if cmdline else "")
