"""The interface every Coronet target implements (a QEMU machine today, a board on a
serial line and a network tomorrow), and the timestamped console transcript they share."""

from __future__ import annotations

import abc
import re
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterator, Optional, Pattern, Union

Regex = Union[str, Pattern[str]]

# Guest exit-code convention, shared by every target and every image.
EXIT_PASS = 0
EXIT_TEST_FAILURE = 1
EXIT_PANIC = 3

EXIT_NAMES = {EXIT_PASS: "pass", EXIT_TEST_FAILURE: "test failure", EXIT_PANIC: "panic"}


def describe_exit(code: Optional[int]) -> str:
    """Human-readable form of a decoded guest exit code (None: the guest gave none)."""
    if code is None:
        return "no guest exit code"
    name = EXIT_NAMES.get(code)
    return f"{code} ({name})" if name else str(code)


class TargetError(Exception):
    """A target could not do what was asked (no image, not running, console closed...)."""


class TargetTimeout(TargetError):
    """A wait on a target (expect, exit) ran out of time."""


@dataclass(frozen=True)
class ConsoleLine:
    """One console line, without its line ending.

    `time` is the monotonic clock (time.monotonic()) when the line's newline arrived;
    `first_byte_time` when its first byte did. Subtract the target's `started_at`
    to get times since power-on.
    """

    text: str
    time: float
    first_byte_time: float


class Console:
    """Turns a target's console byte stream into a thread-safe list of timestamped lines.

    A reader (usually a thread owned by the target) calls feed() with each chunk as it
    arrives and close() at end of stream. Any number of readers may wait on it. Lines end
    at '\\n'; a trailing '\\r' is dropped, bytes are decoded as UTF-8 with replacement.
    A line still missing its newline is only visible through `partial` until the stream
    closes, when it becomes a last line.
    """

    def __init__(self, echo: Optional[Callable[[str], None]] = None):
        """`echo`, if given, is called (on the reader thread) with each completed line."""
        self._echo = echo
        self._cond = threading.Condition()
        self._lines: list[ConsoleLine] = []
        self._pending = bytearray()
        self._pending_since: Optional[float] = None
        self._closed = False
        self.first_byte_time: Optional[float] = None
        """Monotonic time the first byte of the stream arrived, or None."""

    # -- producer side -------------------------------------------------------

    def feed(self, data: bytes, now: Optional[float] = None) -> None:
        """Append a chunk of console bytes received at monotonic time `now`."""
        if not data:
            return
        now = time.monotonic() if now is None else now
        completed: list[ConsoleLine] = []
        with self._cond:
            if self.first_byte_time is None:
                self.first_byte_time = now
            start = 0
            while True:
                nl = data.find(b"\n", start)
                if nl < 0:
                    break
                if self._pending_since is None:
                    self._pending_since = now
                self._pending += data[start:nl]
                completed.append(self._take_pending(now))
                start = nl + 1
            if start < len(data):
                if self._pending_since is None:
                    self._pending_since = now
                self._pending += data[start:]
            self._lines.extend(completed)
            if completed:
                self._cond.notify_all()
        self._emit(completed)

    def close(self, now: Optional[float] = None) -> None:
        """Mark end of stream; an unterminated last line becomes a line."""
        now = time.monotonic() if now is None else now
        completed: list[ConsoleLine] = []
        with self._cond:
            if self._closed:
                return
            if self._pending:
                completed.append(self._take_pending(now))
                self._lines.extend(completed)
            self._closed = True
            self._cond.notify_all()
        self._emit(completed)

    def _take_pending(self, now: float) -> ConsoleLine:
        raw = bytes(self._pending)
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        line = ConsoleLine(raw.decode("utf-8", "replace"), now, self._pending_since or now)
        self._pending.clear()
        self._pending_since = None
        return line

    def _emit(self, lines: list[ConsoleLine]) -> None:
        if self._echo:
            for line in lines:
                self._echo(line.text)

    # -- consumer side -------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once the stream has ended (the target stopped or was disconnected)."""
        with self._cond:
            return self._closed

    @property
    def lines(self) -> list[ConsoleLine]:
        """A snapshot of all completed lines so far."""
        with self._cond:
            return list(self._lines)

    @property
    def partial(self) -> str:
        """The current unterminated line (e.g. a prompt), decoded."""
        with self._cond:
            return bytes(self._pending).decode("utf-8", "replace")

    def text(self) -> str:
        """The whole transcript so far as one string, lines joined with '\\n'."""
        return "\n".join(line.text for line in self.lines)

    def tail(self, count: int = 40) -> list[str]:
        """The last `count` lines of text (plus the partial line, if any)."""
        with self._cond:
            out = [line.text for line in self._lines[-count:]]
            if self._pending:
                out.append(bytes(self._pending).decode("utf-8", "replace"))
        return out

    def wait_for(
        self, regex: Regex, timeout: Optional[float], start: int = 0
    ) -> tuple[int, ConsoleLine, re.Match[str]]:
        """Wait until a line at index >= `start` matches `regex` (re.search).

        Returns (index, line, match). Raises TargetTimeout after `timeout` seconds
        (None: wait forever) and TargetError if the stream closes first.
        """
        pattern = re.compile(regex) if isinstance(regex, str) else regex
        deadline = None if timeout is None else time.monotonic() + timeout
        index = start
        with self._cond:
            while True:
                while index < len(self._lines):
                    line = self._lines[index]
                    match = pattern.search(line.text)
                    if match:
                        return index, line, match
                    index += 1
                if self._closed:
                    raise TargetError(f"console closed before /{pattern.pattern}/ matched")
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TargetTimeout(
                        f"/{pattern.pattern}/ not seen on the console within {timeout:g} s"
                    )
                self._cond.wait(remaining)

    def iter_lines(self, start: int = 0, timeout: Optional[float] = None) -> Iterator[ConsoleLine]:
        """Yield lines from index `start` as they arrive, until the stream closes.

        `timeout` bounds the wait for each next line (TargetTimeout); None waits forever.
        """
        index = start
        while True:
            with self._cond:
                deadline = None if timeout is None else time.monotonic() + timeout
                while index >= len(self._lines) and not self._closed:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        raise TargetTimeout(f"no console line within {timeout:g} s")
                    self._cond.wait(remaining)
                if index >= len(self._lines):
                    return
                line = self._lines[index]
            index += 1
            yield line


class Target(abc.ABC):
    """A machine that boots a Coronet image: a QEMU process, or a real board.

    Life cycle: construct (cheap, nothing starts), boot(), talk to it (console, network),
    then either wait() for the guest to exit by itself or power_off(). A target is a
    context manager that powers off on exit, so nothing outlives a failed test.

    What a subclass must provide: boot, console, write, address, ports, reset,
    power_off, wait, exit_status, running, started_at. Everything else here (expect,
    lines, transcript, port) is built on those.

    Timing: `started_at` and every ConsoleLine time come from time.monotonic(), so
    boot-time figures are differences of the two and need no wall clock.
    """

    name: str
    """Board name, e.g. 'qemu-x86_64'."""

    def __init__(self) -> None:
        self._expect_cursor = 0

    # -- to implement ----------------------------------------------------------

    @abc.abstractmethod
    def boot(self, image: Optional[str] = None, cmdline: Optional[str] = None) -> None:
        """Power on and start `image` (an image name like 'kernel-tests', or a path)
        with kernel command line `cmdline`; None means the target's configured default.
        Returns once the machine is starting; the console fills in the background.
        Raises TargetError if the image is missing or the machine cannot start."""

    @property
    @abc.abstractmethod
    def console(self) -> Console:
        """The console of the current (or last) boot."""

    @abc.abstractmethod
    def write(self, data: bytes) -> None:
        """Send bytes to the guest's console input."""

    @abc.abstractmethod
    def address(self) -> str:
        """Host or IP address where the test host reaches the guest's apps."""

    @abc.abstractmethod
    def ports(self) -> dict[int, int]:
        """Map guest port -> port to use at address() (identity for a real board)."""

    @abc.abstractmethod
    def reset(self) -> None:
        """Cold-restart the machine with the same image and command line; the console
        starts afresh (the previous boot's transcript is discarded)."""

    @abc.abstractmethod
    def power_off(self) -> None:
        """Stop the machine now. Idempotent; never raises if already off."""

    @abc.abstractmethod
    def wait(self, timeout: Optional[float] = None) -> Optional[int]:
        """Wait for the machine to stop by itself and return exit_status.
        Raises TargetTimeout (leaving it running) if it has not stopped in time."""

    @property
    @abc.abstractmethod
    def exit_status(self) -> Optional[int]:
        """The guest's exit code (0 pass, 1 test failure, 3 panic, ...) once stopped,
        or None: still running, powered off by us, reset/triple fault, or the target
        cannot report one."""

    @property
    @abc.abstractmethod
    def running(self) -> bool:
        """True between boot() and the machine stopping."""

    @property
    @abc.abstractmethod
    def started_at(self) -> Optional[float]:
        """Monotonic time of power-on (for QEMU: just before the process was spawned)."""

    # -- provided --------------------------------------------------------------

    def port(self, guest_port: int) -> int:
        """The port at address() that reaches `guest_port` in the guest."""
        ports = self.ports()
        if guest_port not in ports:
            raise TargetError(f"{self.name}: guest port {guest_port} is not reachable "
                              f"(forwarded: {sorted(ports) or 'none'})")
        return ports[guest_port]

    def expect_line(self, regex: Regex, timeout: Optional[float] = 30.0) -> tuple[ConsoleLine, re.Match[str]]:
        """Like expect(), but also return the matching ConsoleLine (for its timestamp)."""
        index, line, match = self.console.wait_for(regex, timeout, self._expect_cursor)
        self._expect_cursor = index + 1
        return line, match

    def expect(self, regex: Regex, timeout: Optional[float] = 30.0) -> re.Match[str]:
        """Wait for a console line matching `regex` (re.search) and return the match.

        Successive calls search onwards from the line after the previous match, so a
        sequence of expects checks order. Raises TargetTimeout, or TargetError if the
        console closes (the machine stopped) first.
        """
        return self.expect_line(regex, timeout)[1]

    def lines(self, timeout: Optional[float] = None) -> Iterator[ConsoleLine]:
        """Iterate over the console lines of the current boot from the first one,
        blocking for new ones, until the console closes."""
        return self.console.iter_lines(0, timeout)

    @property
    def transcript(self) -> list[ConsoleLine]:
        """Every console line of the current (or last) boot so far."""
        return self.console.lines

    def _reset_expect_cursor(self) -> None:
        """For subclasses: call on each boot so expect() starts at the first line."""
        self._expect_cursor = 0

    def __enter__(self) -> "Target":
        return self

    def __exit__(self, *exc: object) -> None:
        self.power_off()
