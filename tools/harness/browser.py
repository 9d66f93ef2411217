"""Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON
messages ending in NUL on file descriptors 3 and 4), so no chromedriver or WebSocket client is
needed: the dashboard test and the WebSocket browser test open the appliance's pages with it."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Optional

CHROMIUM = "chromium"
WINDOW = (1280, 900)


class BrowserError(Exception):
    """Chromium failed, or a page did not do what was asked of it in time."""

class Browser:
    """Headless Chromium with the DevTools protocol on a pipe, attached to one page.

    Commands are sent to the browser endpoint (flattened sessions: page commands carry the
    page's sessionId). Events are kept in `events` for the checks."""

    def __init__(self, profile: Path, netns: Optional[str] = None, log: Optional[Path] = None):
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire_pipes() -> None:  # in the child: the protocol's fixed descriptors
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        argv = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                f"--user-data-dir={profile}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
                "--no-first-run", "--no-default-browser-check", "--no-proxy-server",
                "--disable-background-networking", "--disable-extensions", "--disable-sync",
                "--hide-scrollbars", "--mute-audio", "about:blank"]
        if netns:
            argv = ["ip", "netns", "exec", netns] + argv
        self._log = open(log, "wb") if log else subprocess.DEVNULL
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                                     pass_fds=(3, 4), preexec_fn=wire_pipes, start_new_session=True)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.session: Optional[str] = None
        self.events: list[dict] = []

    def _send(self, method: str, params: Optional[dict], session: Optional[str]) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._to_chrome, data):]
        return self._next_id

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("Chromium did not answer in time")
            ready, _, _ = select.select([self._from_chrome], [], [], left)
            if ready:
                chunk = os.read(self._from_chrome, 1 << 20)
                if not chunk:
                    raise BrowserError(f"Chromium closed its DevTools pipe (exit {self.proc.poll()})")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: Optional[dict] = None, page: bool = True, timeout: float = 30.0) -> dict:
        """Sends a command and returns its result; events arriving meanwhile are recorded."""
        wanted = self._send(method, params, self.session if page else None)
        deadline = time.monotonic() + timeout
        while True:
            message = self._receive(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise BrowserError(f"DevTools {method}: {message['error'].get('message')}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def attach_page(self) -> None:
        targets = self.call("Target.getTargets", page=False)["targetInfos"]
        pages = [t for t in targets if t.get("type") == "page"]
        target_id = pages[0]["targetId"] if pages else self.call(
            "Target.createTarget", {"url": "about:blank"}, page=False)["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target_id, "flatten": True},
                                 page=False)["sessionId"]
        for domain in ("Page", "Runtime", "Network"):
            self.call(f"{domain}.enable")
        # The same viewport on every machine, whatever the headless default window is.
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": WINDOW[0], "height": WINDOW[1], "deviceScaleFactor": 1, "mobile": False})

    def evaluate(self, expression: str, timeout: float = 30.0) -> Any:
        """The expression's value; `timeout` bounds the wait (a page busy in a long script
        answers only when the script yields)."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, timeout=timeout)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            what = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"evaluating {expression.splitlines()[0]}...: {what}")
        return result["result"].get("value")

    def wait_for_event(self, method: str, timeout: float) -> dict:
        """The first event `method` recorded or arriving within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for event in self.events[seen:]:
                if event.get("method") == method:
                    return event
            seen = len(self.events)
            if time.monotonic() > deadline:
                raise BrowserError(f"no {method} within {timeout:g} s")
            self.pump(min(0.25, max(0.0, deadline - time.monotonic())))

    def pump(self, seconds: float) -> None:
        """Lets real time pass while recording events (the page keeps polling meanwhile)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                message = self._receive(deadline)
            except BrowserError:
                if self.proc.poll() is not None:
                    raise
                return
            if "method" in message:
                self.events.append(message)

    def close(self) -> None:
        try:
            self._send("Browser.close", None, None)
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        for fd in (self._to_chrome, self._from_chrome):
            try:
                os.close(fd)
            except OSError:
                pass
        if self._log is not subprocess.DEVNULL:
            self._log.close()
