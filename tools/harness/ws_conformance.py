"""A WebSocket server conformance runner in the shape of the Autobahn|Testsuite "fuzzingclient":
it connects to a WebSocket echo server as a client, runs Autobahn's case groups 1-7, 9, 10, 12
and 13 under Autobahn's case numbers, and grades each case the way Autobahn does, once for the
case behaviour and once for the close behaviour: OK, NON-STRICT, INFORMATIONAL, UNIMPLEMENTED,
FAILED, WRONG CODE, UNCLEAN (and FAILED BY CLIENT, Autobahn's grade for a server that leaves the
TCP connection open after the closing handshake).

It exists because the Autobahn|Testsuite needs Python 2 (and in practice Docker). This is a
re-implementation from the case definitions, standard library only: raw sockets, hashlib,
base64, os.urandom, and zlib for permessage-deflate (RFC 7692) in groups 12 and 13. The case
payloads of 12.x are generated here (JSON, a bitmap, prose, HTML, a PDF-like mix) in the
sizes Autobahn sends; Autobahn's own data files are not used.

Run from tools/ (or with PYTHONPATH=tools):

    python3 -m harness.ws_conformance --host 10.77.0.2 --port 8080 --path /ws/echo \\
        [--cases '1.*,2.*,9.1.1'] [--exclude '9.*'] [--report out.json] [--text out.txt] \\
        [--case-timeout 60] [--scale 1.0] [--timer-scale 1.0]
    python3 -m harness.ws_conformance --list
    python3 -m harness.ws_conformance --self-test-ws [--scale 0.02] [--report ...]

It prints one line per case (id, behaviour, close behaviour, milliseconds) and a summary, and
exits 0 when no case is FAILED, WRONG CODE, UNCLEAN or FAILED BY CLIENT. --scale multiplies the
message counts of 9.7/9.8 and 12.x/13.x (1000 each in Autobahn) for slow targets; --timer-scale
stretches Autobahn's one-second waits (a guest under TCG may need 2-5); --case-timeout cuts
Autobahn's long waits (up to 480 s in 12.x) and ends any case that runs longer. Against ws on
a 2-core host a full run takes about 15 minutes, nearly all of it 12.x and 13.x (the slowest
case about 40 s); --scale 0.02 brings the whole suite to about 40 s. --self-test-ws runs
the runner against Node's `ws` (tools/harness/ws_echo_server.js, installed by tools/deps), which
has a clean published Autobahn report: that is how the runner itself is validated (CTest
unit.ws_conformance_runner).

As a library: run(host, port, path, cases=..., exclude=...) -> Report, with Report.clean(),
Report.write_json(path) and Report.write_text(path).

How a case runs (as in Autobahn): one new connection per case; the case sends its frames when
the opening handshake completes and records what comes back (messages, pongs, its own
"timeout" marks); every case arms a timer that ends it (`kill` fails the connection with 1001,
`close` starts the closing handshake). The close grade compares who started the closing
handshake with who should have, whether the handshake completed with the server dropping TCP
within a second (clean), and the server's close code with the allowed ones.
"""
from __future__ import annotations

import argparse
import base64
import codecs
import collections
import fnmatch
import hashlib
import heapq
import json
import math
import os
import random
import re
import select
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence, Union

from . import ROOT, verdict

# -- outcomes, close codes, protocol constants -----------------------------------------------

OK = "OK"
NON_STRICT = "NON-STRICT"
INFORMATIONAL = "INFORMATIONAL"
UNIMPLEMENTED = "UNIMPLEMENTED"
FAILED = "FAILED"
WRONG_CODE = "WRONG CODE"
UNCLEAN = "UNCLEAN"
FAILED_BY_CLIENT = "FAILED BY CLIENT"
CATEGORIES = [OK, NON_STRICT, INFORMATIONAL, UNIMPLEMENTED, FAILED, WRONG_CODE, UNCLEAN, FAILED_BY_CLIENT]
PASSING = {OK, NON_STRICT, INFORMATIONAL, UNIMPLEMENTED}

NORMAL, GOING_AWAY, PROTOCOL_ERROR, INVALID_PAYLOAD, MESSAGE_TOO_BIG = 1000, 1001, 1002, 1007, 1009

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0, 1, 2, 8, 9, 10
RSV1 = 4  # the rsv field value (bits 6..4 of the first octet, shifted) that marks a compressed message

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
USER_AGENT = "coronet-ws-conformance/1"

# Autobahn's client defaults (seconds): the opening handshake, our close waiting for the reply,
# and the server dropping TCP after the closing handshake. Multiplied by --timer-scale.
OPEN_HANDSHAKE_TIMEOUT = 5.0
CLOSE_HANDSHAKE_TIMEOUT = 1.0
SERVER_DROP_TIMEOUT = 1.0

CONNECT_TIMEOUT = 10.0
MAX_HEADER = 64 << 10          # an opening-handshake response longer than this is refused
MAX_MESSAGE = 64 << 20         # a message (after decompression) longer than this fails with 1009
RECV_SIZE = 1 << 20
SEND_SIZE = 4 << 20

DEFAULT_PATH = "/ws/echo"
DEFAULT_CASE_TIMEOUT = 60.0
# ws: installed by tools/deps from tools/harness/node's lock (CORONET_CACHE as tools/deps).
NODE_MODULES = Path(os.environ.get("CORONET_CACHE", ROOT / ".cache")) / "node" / "node_modules"
WS_ECHO_SERVER = Path(__file__).resolve().parent / "ws_echo_server.js"
SELF_TEST_SCALE = 0.02


def valid_close_code(code: int) -> bool:
    """A close code an endpoint may send on the wire: 1000-1003, 1007-1014 (the IANA registry;
    Autobahn's own check stops at 1011) and 3000-4999. 1004-1006 and 1015 are reserved, 0-999
    unused, 1016-2999 reserved for future RFCs, 5000 and above undefined."""
    return code in (1000, 1001, 1002, 1003) or 1007 <= code <= 1014 or 3000 <= code <= 4999


def utf8_valid(data: bytes) -> bool:
    """RFC 3629 UTF-8 (no surrogates, no overlong forms, nothing above U+10FFFF), complete."""
    try:
        data.decode("utf-8", "strict")
        return True
    except UnicodeDecodeError:
        return False


def mask(data: bytes, key: bytes, offset: int = 0) -> bytes:
    """`data` XORed with the 4-byte masking key, starting `offset` bytes into the key stream."""
    n = len(data)
    if n == 0:
        return b""
    k = key[offset % 4:] + key[:offset % 4]
    stream = (k * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(n, "big")


def repeat(unit: bytes, length: int) -> bytes:
    """`length` bytes of `unit` repeated (Autobahn's payload_len)."""
    return (unit * (length // len(unit) + 1))[:length] if length else b""


def frame_header(opcode: int, length: int, *, fin: bool = True, rsv: int = 0,
                 key: Optional[bytes] = None) -> bytes:
    b0 = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0x0F)
    m = 0x80 if key is not None else 0
    if length <= 125:
        head = struct.pack("!BB", b0, m | length)
    elif length <= 0xFFFF:
        head = struct.pack("!BBH", b0, m | 126, length)
    else:
        head = struct.pack("!BBQ", b0, m | 127, length)
    return head + (key or b"")


def close_payload(code: Optional[int], reason: bytes = b"") -> bytes:
    return (struct.pack("!H", code) if code is not None else b"") + reason


# -- permessage-deflate (RFC 7692) --------------------------------------------------------------

WINDOW_BITS = re.compile(r"^(?:8|9|1[0-5])$")
DEFLATE_TAIL = b"\x00\x00\xff\xff"


class HandshakeError(Exception):
    """The server's opening-handshake response is not acceptable."""


@dataclass(frozen=True)
class Offer:
    """One permessage-deflate offer as Autobahn's client makes it: it always declares that it
    accepts client_no_context_takeover and client_max_window_bits, and may ask the server for
    server_no_context_takeover and server_max_window_bits=N."""

    server_no_context_takeover: bool = False
    server_max_window_bits: int = 0          # 0: not requested

    def header(self) -> str:
        parts = ["permessage-deflate", "client_no_context_takeover", "client_max_window_bits"]
        if self.server_no_context_takeover:
            parts.append("server_no_context_takeover")
        if self.server_max_window_bits:
            parts.append(f"server_max_window_bits={self.server_max_window_bits}")
        return "; ".join(parts)

    def describe(self) -> str:
        return f"(server_no_context_takeover={self.server_no_context_takeover}, " \
               f"server_max_window_bits={self.server_max_window_bits or '-'})"


@dataclass(frozen=True)
class DeflateParams:
    """What the server's response settled (window bits 0 when the response left them out)."""

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int = 0
    client_max_window_bits: int = 0

    def answers(self, offer: Offer) -> bool:
        """The response is a valid acceptance of `offer` (RFC 7692 7.1): a requested
        server_no_context_takeover is granted, a requested server_max_window_bits is answered
        with the same or a smaller value. client_max_window_bits may come back because every
        offer carries it; client_no_context_takeover may always come back."""
        if offer.server_no_context_takeover and not self.server_no_context_takeover:
            return False
        if offer.server_max_window_bits and not (
                0 < self.server_max_window_bits <= offer.server_max_window_bits):
            return False
        return True


def parse_extensions(header: str) -> list[tuple[str, dict[str, list[Union[str, bool]]]]]:
    """Sec-WebSocket-Extensions as [(name, {param: [value or True, ...]})], names and
    parameters lower-cased, quotes around values removed."""
    out = []
    for item in header.split(","):
        parts = [p.strip() for p in item.split(";")]
        if not parts[0]:
            continue
        params: dict[str, list[Union[str, bool]]] = {}
        for p in parts[1:]:
            key, eq, value = p.partition("=")
            key = key.strip().lower()
            v: Union[str, bool] = True
            if eq:
                v = value.strip()
                if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
                    v = v[1:-1]
            params.setdefault(key, []).append(v)
        out.append((parts[0].lower(), params))
    return out


def parse_deflate_response(params: dict[str, list[Union[str, bool]]]) -> DeflateParams:
    """The server's permessage-deflate parameters; raises HandshakeError on anything RFC 7692
    does not allow in a response: an unknown parameter, a repeated one, a value on a flag, a
    window size outside 8..15 (or written otherwise than as a plain decimal), a
    client_max_window_bits without a value."""
    values: dict[str, Union[str, bool]] = {}
    for key, vals in params.items():
        if len(vals) > 1:
            raise HandshakeError(f"permessage-deflate parameter {key} given {len(vals)} times")
        values[key] = vals[0]
    result = {}
    for key, v in values.items():
        if key in ("server_no_context_takeover", "client_no_context_takeover"):
            if v is not True:
                raise HandshakeError(f"permessage-deflate {key} with a value ({v!r})")
            result[key] = True
        elif key in ("server_max_window_bits", "client_max_window_bits"):
            if v is True or not WINDOW_BITS.match(v):
                given = "without a value" if v is True else f"={v!r}"
                raise HandshakeError(f"permessage-deflate {key} {given} (must be 8..15)")
            result[key] = int(v)
        else:
            raise HandshakeError(f"unknown permessage-deflate parameter {key!r}")
    return DeflateParams(**result)


def accept_extensions(header_values: list[str], offers: Sequence[Offer]) -> Optional[DeflateParams]:
    """The negotiated permessage-deflate parameters, None when the server declined (or nothing
    was offered). Raises HandshakeError for an extension that was not offered, two
    permessage-deflate responses, invalid parameters, or a response that accepts none of the
    offers."""
    if not header_values:
        return None
    if len(header_values) > 1:
        raise HandshakeError("Sec-WebSocket-Extensions appears more than once in the response")
    chosen: Optional[DeflateParams] = None
    for name, params in parse_extensions(header_values[0]):
        if name != "permessage-deflate" or not offers:
            raise HandshakeError(f"server selected extension {name!r}, which was not offered")
        if chosen is not None:
            raise HandshakeError("server selected permessage-deflate twice")
        chosen = parse_deflate_response(params)
        if not any(chosen.answers(o) for o in offers):
            raise HandshakeError(f"permessage-deflate response {header_values[0]!r} accepts none of the "
                                 f"offers {[o.header() for o in offers]}")
    return chosen


class PerMessageDeflate:
    """The client's side of permessage-deflate: raw deflate, the 00 00 ff ff tail stripped when
    sending and appended when receiving. Context is kept across messages unless the response
    said *_no_context_takeover for that direction (like Autobahn, the client keeps its context
    even though its offer carried the client_no_context_takeover hint). zlib cannot deflate
    with an 8-bit window; 8 is used as 9, for both directions."""

    def __init__(self, params: DeflateParams):
        self.params = params
        self.client_bits = max(9, params.client_max_window_bits or 15)
        self.server_bits = max(9, params.server_max_window_bits or 15)
        self._compressor: Optional["zlib._Compress"] = None
        self._decompressor: Optional["zlib._Decompress"] = None

    def compress(self, data: bytes) -> bytes:
        if self._compressor is None or self.params.client_no_context_takeover:
            self._compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -self.client_bits, 8)
        out = self._compressor.compress(data) + self._compressor.flush(zlib.Z_SYNC_FLUSH)
        if not out.endswith(DEFLATE_TAIL):
            raise AssertionError("zlib's sync flush did not end in 00 00 ff ff")
        return out[:-4]

    def start_message(self) -> None:
        d = self._decompressor
        if d is None or self.params.server_no_context_takeover or d.eof:
            self._decompressor = zlib.decompressobj(-self.server_bits)

    def inflate(self, data: bytes, room: int) -> bytes:
        """Decompressed `data`; raises zlib.error on a corrupt stream and OverflowError when the
        output exceeds `room` bytes."""
        d = self._decompressor
        assert d is not None
        if d.eof:  # a final block ended the stream: what follows it belongs to nothing
            if data:
                raise zlib.error("data after a final deflate block")
            return b""
        out = d.decompress(data, room + 1)
        if len(out) > room:
            raise OverflowError
        return out

    def end_message(self, room: int) -> bytes:
        """The appended 00 00 ff ff; nothing when the message's data ended the deflate stream
        with a final block (the tail then means nothing)."""
        d = self._decompressor
        assert d is not None
        return b"" if d.eof else self.inflate(DEFLATE_TAIL, room)


# -- the client: one connection, event-driven -----------------------------------------------

CONNECTING, OPEN, CLOSING, CLOSED = "CONNECTING", "OPEN", "CLOSING", "CLOSED"


@dataclass
class Chunk:
    """Pending output. A `separate` chunk goes out on its own write with a return to the event
    loop after it (Autobahn's chopped and synchronised writes); others are merged."""

    data: bytearray
    separate: bool
    offset: int = 0


@dataclass
class Settings:
    case_timeout: float = DEFAULT_CASE_TIMEOUT
    scale: float = 1.0
    timer_scale: float = 1.0

    def count(self, n: int) -> int:
        return max(1, round(n * self.scale))

    def wait(self, seconds: float) -> str:
        """How long a case timer of `seconds` really waits, for messages."""
        real = min(seconds * self.timer_scale, self.case_timeout)
        return f"{real:g} s" + (f" (Autobahn allows {seconds:g} s; see --case-timeout)"
                                if real < seconds * self.timer_scale else "")


class FrameStream:
    """One frame whose payload goes out in pieces, some time apart (cases 6.4.3 and 6.4.4)."""

    def __init__(self, ws: "Client", opcode: int, length: int):
        self.ws, self.key, self.offset = ws, os.urandom(4), 0
        ws.tx_frames[opcode] += 1
        ws.send_raw(frame_header(opcode, length, key=self.key), separate=True)

    def write(self, data: bytes) -> None:
        self.ws.send_raw(mask(data, self.key, self.offset), separate=True)
        self.offset += len(data)


class Client:
    """A WebSocket client connection that behaves like Autobahn's fuzzing client: the case
    drives it through send_frame/send_message/send_close_frame and the timers (kill_after,
    close_after, later); it validates everything the server sends, answers pings, answers a
    close, fails the connection on a protocol violation (1002) or invalid UTF-8 (1007), and
    keeps the flags the close grade needs (closed_by_me, was_clean, dropped_by_me, codes)."""

    def __init__(self, host: str, port: int, path: str, case: "Case", settings: Settings):
        self.host, self.port, self.path, self.case, self.settings = host, port, path, case, settings
        self.state = CONNECTING
        self.sock: Optional[socket.socket] = None
        self.selector: Optional[selectors.BaseSelector] = None
        self.inbuf = bytearray()
        self.outq: collections.deque[Chunk] = collections.deque()
        self.timers: list[list] = []              # heap of [when, sequence, function]
        self._timer_seq = 0
        self.start = time.monotonic()
        self.deadline = self.start + settings.case_timeout  # no case timer fires later than this
        self.key = base64.b64encode(os.urandom(16)).decode()
        self.offers: list[Offer] = case.offers()
        self.pmce: Optional[PerMessageDeflate] = None
        self.extensions = ""                      # the server's Sec-WebSocket-Extensions
        self.auto_fragment_size = 0
        # close bookkeeping, as Autobahn names it
        self.connection_was_open = False
        self.closed_by_me = False
        self.failed_by_me = False
        self.dropped_by_me = False
        self.was_clean = False
        self.not_clean_reason: Optional[str] = None
        self.local_close_code: Optional[int] = None
        self.remote_close_code: Optional[int] = None
        self.remote_close_reason: Optional[str] = None
        self.handshake_error: Optional[str] = None
        self.violation: Optional[str] = None          # the first thing the server got wrong
        self.case_timed_out = False
        self._close_timer: Optional[list] = None
        # incoming message in progress
        self.msg_opcode: Optional[int] = None
        self.msg_compressed = False
        self.msg_parts: list[bytes] = []
        self.msg_size = 0
        self.msg_utf8: Optional[codecs.IncrementalDecoder] = None
        # statistics
        self.tx_frames: collections.Counter[int] = collections.Counter()
        self.app_out = self.wire_out = self.app_in = self.wire_in = 0

    # timers ---------------------------------------------------------------------------------

    def _at(self, delay: float, fn: Callable[[], None]) -> list:
        self._timer_seq += 1
        entry = [time.monotonic() + delay, self._timer_seq, fn]
        heapq.heappush(self.timers, entry)
        return entry

    def _case_delay(self, seconds: float) -> float:
        """A case's timer, stretched by --timer-scale and cut at the case's deadline."""
        return max(0.0, min(seconds * self.settings.timer_scale, self.deadline - time.monotonic()))

    def later(self, seconds: float, fn: Callable[[], None]) -> None:
        """Autobahn's continueLater: run fn after `seconds` unless the connection is gone."""
        self._at(self._case_delay(seconds), lambda: fn() if self.state != CLOSED else None)

    def kill_after(self, seconds: float) -> None:
        """Autobahn's killAfter: fail the connection (1001) if it still exists then."""
        self._at(self._case_delay(seconds), lambda: self.fail(GOING_AWAY, "Going Away")
                 if self.state != CLOSED else None)

    def close_after(self, seconds: float) -> None:
        """Autobahn's closeAfter: start the closing handshake (empty close) if still open then."""
        self._at(self._case_delay(seconds), lambda: self.send_close_frame() if self.state != CLOSED else None)

    # output ---------------------------------------------------------------------------------

    def send_raw(self, data: bytes, separate: bool = False) -> None:
        if self.state == CLOSED:
            return
        last = self.outq[-1] if self.outq else None
        if not separate and last is not None and not last.separate and last.offset == 0:
            last.data += data
        else:
            self.outq.append(Chunk(bytearray(data), separate))

    def send_frame(self, opcode: int, payload: bytes = b"", *, fin: bool = True, rsv: int = 0,
                   length: Optional[int] = None, chop: Optional[int] = None, sync: bool = False) -> None:
        """One masked frame, whatever the protocol state (cases send invalid frames on purpose).
        `length`: payload is `payload` repeated to that length; `chop`: written in pieces of that
        many octets; `sync`: written on its own."""
        if length is not None:
            payload = repeat(payload, length)
        key = os.urandom(4)
        frame = frame_header(opcode, len(payload), fin=fin, rsv=rsv, key=key) + mask(payload, key)
        self.tx_frames[opcode] += 1
        if chop:
            for i in range(0, len(frame), chop):
                self.send_raw(frame[i:i + chop], separate=True)
        else:
            self.send_raw(frame, separate=sync)

    def send_message(self, payload: bytes, binary: bool = False, fragment: Optional[int] = None,
                     sync: bool = False) -> None:
        """A data message as Autobahn's sendMessage sends it: compressed when permessage-deflate
        is in use, split into frames of `fragment` octets (or the auto-fragment size), the
        fragments taken from the compressed bytes. Like Autobahn, a payload that is an exact
        multiple of the fragment size ends with an empty final frame."""
        if self.state != OPEN:
            return
        opcode = BINARY if binary else TEXT
        rsv = 0
        self.app_out += len(payload)
        if self.pmce is not None:
            payload = self.pmce.compress(payload)
            rsv = RSV1
        self.wire_out += len(payload)
        size = fragment if fragment is not None else (self.auto_fragment_size or None)
        if size is None or len(payload) <= size:
            self.send_frame(opcode, payload, rsv=rsv, sync=sync)
            return
        n = len(payload)
        for i in range(0, n + size, size):
            done = i + size > n
            self.send_frame(opcode if i == 0 else CONTINUATION, payload[i:min(i + size, n)], fin=done,
                            rsv=rsv if i == 0 else 0, sync=sync)
            if done:
                break

    def send_close_frame(self, code: Optional[int] = None, reason: bytes = b"", is_reply: bool = False) -> None:
        """Start (or answer) the closing handshake; only in the OPEN state."""
        if self.state != OPEN:
            return
        self.send_frame(CLOSE, close_payload(code, reason))
        self.state = CLOSING
        self.closed_by_me = not is_reply
        self.local_close_code = code
        if self.closed_by_me:
            self._close_timer = self._at(CLOSE_HANDSHAKE_TIMEOUT * self.settings.timer_scale,
                                         self._close_handshake_timeout)

    def _close_handshake_timeout(self) -> None:
        if self.state != CLOSED:
            self.was_clean = False
            self.not_clean_reason = "server did not answer our close in time"
            self.drop(abort=True)

    def fail(self, code: int, reason: str) -> None:
        """Fail the connection: a close frame when open, dropping TCP when already closing."""
        if self.state == CLOSED:
            return
        self.failed_by_me = True
        if self.state == OPEN:
            self.send_close_frame(code, reason.encode()[:123])
        else:
            if self.not_clean_reason is None:
                self.not_clean_reason = "the server had not dropped the TCP connection after the closing handshake " \
                    "when the case's timer ran out" if self.was_clean else \
                    "the closing handshake was still unfinished when the case's timer ran out"
            self.drop()

    def drop(self, abort: bool = False) -> None:
        if self.state == CLOSED:
            return
        self.dropped_by_me = True
        self._shut(abort)

    def _shut(self, abort: bool) -> None:
        self.state = CLOSED
        self.outq.clear()
        if self.sock is not None:
            if abort:
                try:
                    self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                except OSError:
                    pass
            if self.selector is not None:
                self.selector.close()
                self.selector = None
            self.sock.close()

    def _lost(self, why: str) -> None:
        """The TCP connection ended under us (FIN, reset or a failed write)."""
        if self.state == CLOSED:
            return
        if not self.was_clean and self.not_clean_reason is None:
            self.not_clean_reason = f"server dropped the TCP connection without a closing handshake ({why})" \
                if self.state == OPEN else f"TCP connection ended before the closing handshake completed ({why})"
        self._shut(False)

    def _violation(self, what: str, code: int = PROTOCOL_ERROR) -> None:
        """The server broke the protocol: remember the first such thing, forget any message in
        progress, fail the connection with `code`."""
        if self.violation is None:
            self.violation = what
        self.msg_opcode, self.msg_parts, self.msg_utf8 = None, [], None
        self.fail(code, what)

    # running --------------------------------------------------------------------------------

    def run(self) -> None:
        """Connect, handshake, let the case run, return when the connection is closed (or the
        case's deadline plus the close timeouts has passed)."""
        try:
            self.sock = socket.create_connection((self.host, self.port), timeout=CONNECT_TIMEOUT)
        except OSError as e:
            self.handshake_error = f"cannot connect: {e}"
            self.state = CLOSED
            return
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.sock, selectors.EVENT_READ)
        self.send_raw(self._request())
        self._at(OPEN_HANDSHAKE_TIMEOUT * self.settings.timer_scale, self._open_handshake_timeout)
        grace = (CLOSE_HANDSHAKE_TIMEOUT + SERVER_DROP_TIMEOUT + 1.0) * self.settings.timer_scale
        stop = self.deadline + grace
        writing = False
        while self.state != CLOSED:
            now = time.monotonic()
            if now >= stop:
                self.case_timed_out = True
                self.not_clean_reason = self.not_clean_reason or "the case did not end in time"
                self.drop(abort=True)
                break
            while self.timers and self.timers[0][0] <= now and self.state != CLOSED:
                heapq.heappop(self.timers)[2]()
            if self.state == CLOSED:
                break
            if bool(self.outq) != writing:
                writing = bool(self.outq)
                self.selector.modify(self.sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if writing else 0))
            wait = stop - now
            if self.timers:
                wait = min(wait, self.timers[0][0] - now)
            for _, events in self.selector.select(max(0.0, wait)):
                if events & selectors.EVENT_WRITE and self.state != CLOSED:
                    self._flush()
                if events & selectors.EVENT_READ and self.state != CLOSED:
                    self._read()

    def _open_handshake_timeout(self) -> None:
        if self.state == CONNECTING:
            self.handshake_error = f"no opening-handshake response within {OPEN_HANDSHAKE_TIMEOUT:g} s"
            self.drop(abort=True)

    def _request(self) -> bytes:
        host = f"[{self.host}]" if ":" in self.host else self.host
        lines = [f"GET {self.path} HTTP/1.1", f"Host: {host}:{self.port}", f"User-Agent: {USER_AGENT}",
                 "Upgrade: websocket", "Connection: Upgrade", "Pragma: no-cache", "Cache-Control: no-cache",
                 f"Sec-WebSocket-Key: {self.key}"]
        if self.offers:
            lines.append("Sec-WebSocket-Extensions: " + ", ".join(o.header() for o in self.offers))
        lines.append("Sec-WebSocket-Version: 13")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def _flush(self) -> None:
        assert self.sock is not None
        while self.outq and self.state != CLOSED:
            chunk = self.outq[0]
            try:
                sent = self.sock.send(memoryview(chunk.data)[chunk.offset:chunk.offset + SEND_SIZE])
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                self._lost(f"write failed: {e.strerror or e}")
                return
            chunk.offset += sent
            if chunk.offset < len(chunk.data):
                return
            self.outq.popleft()
            if chunk.separate:
                return

    def _read(self) -> None:
        assert self.sock is not None
        try:
            data = self.sock.recv(RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            self._lost(f"read failed: {e.strerror or e}")
            return
        if not data:
            self._lost("FIN")
            return
        self.inbuf += data
        if self.state == CONNECTING:
            self._handshake()
        pos = 0
        while self.state in (OPEN, CLOSING):
            used = self._frame(pos)
            if used == 0:
                break
            pos += used
        if pos:
            del self.inbuf[:pos]

    def _handshake(self) -> None:
        end = self.inbuf.find(b"\r\n\r\n")
        if end < 0:
            if len(self.inbuf) > MAX_HEADER:
                self.handshake_error = f"no end of the response head in {MAX_HEADER} bytes"
                self.drop(abort=True)
            return
        head = bytes(self.inbuf[:end]).decode("latin-1")
        del self.inbuf[:end + 4]
        try:
            self._check_response(head)
        except HandshakeError as e:
            self.handshake_error = str(e)
            self.drop(abort=True)
            return
        self.state = OPEN
        self.connection_was_open = True
        self.case.open(self)

    def _check_response(self, head: str) -> None:
        lines = head.split("\r\n")
        status = lines[0].split(" ", 2)
        if len(status) < 2 or status[0] != "HTTP/1.1":
            raise HandshakeError(f"bad status line {lines[0]!r}")
        if status[1] != "101":
            raise HandshakeError(f"upgrade refused: {lines[0]!r}")
        headers: dict[str, list[str]] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if not colon:
                raise HandshakeError(f"bad header line {line!r}")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        if [v.lower() for v in headers.get("upgrade", [])] != ["websocket"]:
            raise HandshakeError(f"Upgrade: {headers.get('upgrade')} (must be websocket)")
        tokens = [t.strip().lower() for v in headers.get("connection", []) for t in v.split(",")]
        if "upgrade" not in tokens:
            raise HandshakeError(f"Connection: {headers.get('connection')} (must include upgrade)")
        accept = base64.b64encode(hashlib.sha1(self.key.encode() + GUID).digest()).decode()
        if headers.get("sec-websocket-accept") != [accept]:
            raise HandshakeError(f"Sec-WebSocket-Accept {headers.get('sec-websocket-accept')} (expected {accept})")
        if any(v for v in headers.get("sec-websocket-protocol", [])):
            raise HandshakeError(f"subprotocol {headers['sec-websocket-protocol']} selected, none was offered")
        self.extensions = ", ".join(headers.get("sec-websocket-extensions", []))
        params = accept_extensions(headers.get("sec-websocket-extensions", []), self.offers)
        if params is not None:
            self.pmce = PerMessageDeflate(params)

    def _frame(self, pos: int) -> int:
        """Handle the frame at inbuf[pos:]; the number of bytes it took, 0 when incomplete."""
        buf = self.inbuf
        avail = len(buf) - pos
        if avail < 2:
            return 0
        b0, b1 = buf[pos], buf[pos + 1]
        fin, rsv, opcode = bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0x0F
        masked, length = bool(b1 & 0x80), b1 & 0x7F
        head = 2
        if length == 126:
            if avail < 4:
                return 0
            length = struct.unpack_from("!H", buf, pos + 2)[0]
            head = 4
        elif length == 127:
            if avail < 10:
                return 0
            length = struct.unpack_from("!Q", buf, pos + 2)[0]
            head = 10
            if length >> 63:
                self.violation = self.violation or "64-bit frame length with the top bit set"
                self.drop(abort=True)
                return 0
        if length > MAX_MESSAGE:
            self._violation(f"a {length}-byte frame", MESSAGE_TOO_BIG)
            self.drop(abort=True)
            return 0
        key = b""
        if masked:
            if avail < head + 4:
                return 0
            key = bytes(buf[pos + head:pos + head + 4])
            head += 4
        if avail < head + length:
            return 0
        payload = bytes(buf[pos + head:pos + head + length])
        if masked:
            payload = mask(payload, key)
            self._violation("server sent a masked frame")
            return head + length
        self._dispatch(fin, rsv, opcode, payload)
        return head + length

    def _dispatch(self, fin: bool, rsv: int, opcode: int, payload: bytes) -> None:
        if opcode >= 8:
            if opcode not in (CLOSE, PING, PONG):
                return self._violation(f"reserved control opcode {opcode}")
            if not fin:
                return self._violation(f"fragmented control frame (opcode {opcode})")
            if len(payload) > 125:
                return self._violation(f"control frame with a {len(payload)}-byte payload")
            if rsv:
                return self._violation(f"RSV={rsv} on a control frame")
            if opcode == PING:
                if self.state == OPEN:
                    self.send_frame(PONG, payload)
            elif opcode == PONG:
                self.case.on_pong(self, payload)
            else:
                self._close_frame(payload)
            return
        if opcode not in (CONTINUATION, TEXT, BINARY):
            return self._violation(f"reserved data opcode {opcode}")
        if opcode == CONTINUATION:
            if self.msg_opcode is None:
                return self._violation("continuation frame with no message to continue")
            if rsv:
                return self._violation(f"RSV={rsv} on a continuation frame")
        else:
            if self.msg_opcode is not None:
                return self._violation("new data frame inside a fragmented message")
            if rsv and not (rsv == RSV1 and self.pmce is not None):
                return self._violation(f"RSV={rsv} with no extension negotiated that defines it")
            self.msg_opcode, self.msg_compressed = opcode, rsv == RSV1
            self.msg_parts, self.msg_size = [], 0
            self.msg_utf8 = codecs.getincrementaldecoder("utf-8")("strict") if opcode == TEXT else None
            if self.msg_compressed:
                assert self.pmce is not None
                self.pmce.start_message()
        self.wire_in += len(payload)
        if not self._append(payload, final=False):
            return
        if not fin:
            return
        if self.msg_compressed and not self._append(b"", final=True):
            return
        if self.msg_utf8 is not None:
            try:
                self.msg_utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                return self._violation("text message ends inside a UTF-8 sequence", INVALID_PAYLOAD)
        data, binary = b"".join(self.msg_parts), self.msg_opcode == BINARY
        self.app_in += len(data)
        self.msg_opcode, self.msg_parts, self.msg_utf8 = None, [], None
        self.case.on_message(self, data, binary)

    def _append(self, data: bytes, final: bool) -> bool:
        """One frame's payload (or the end of a compressed message) into the message in
        progress, decompressed and UTF-8 checked; False when that failed the connection."""
        if self.msg_compressed:
            assert self.pmce is not None
            room = MAX_MESSAGE - self.msg_size
            try:
                data = self.pmce.end_message(room) if final else self.pmce.inflate(data, room)
            except zlib.error as e:
                self._violation(f"corrupt deflate data: {e}", INVALID_PAYLOAD)
                return False
            except OverflowError:
                self._violation(f"message inflates beyond {MAX_MESSAGE} bytes", MESSAGE_TOO_BIG)
                return False
        elif self.msg_size + len(data) > MAX_MESSAGE:
            self._violation(f"message beyond {MAX_MESSAGE} bytes", MESSAGE_TOO_BIG)
            return False
        if self.msg_utf8 is not None:
            try:
                self.msg_utf8.decode(data, final=False)
            except UnicodeDecodeError:
                self._violation("text message is not valid UTF-8", INVALID_PAYLOAD)
                return False
        self.msg_parts.append(data)
        self.msg_size += len(data)
        return True

    def _close_frame(self, payload: bytes) -> None:
        code: Optional[int] = None
        if len(payload) == 1:
            self._violation("close frame with a 1-byte payload")
        elif len(payload) >= 2:
            code = struct.unpack("!H", payload[:2])[0]
            reason = payload[2:]
            if not valid_close_code(code):
                self._violation(f"close frame with the invalid code {code}")
            if not utf8_valid(reason):
                self._violation("close reason is not valid UTF-8", INVALID_PAYLOAD)
            self.remote_close_reason = reason.decode("utf-8", "replace")
        self.remote_close_code = code
        if self.state == CLOSING:
            # the answer to our close (or to the close a violation above just sent)
            if self._close_timer is not None:
                self._close_timer[2] = lambda: None
            self.was_clean = True
            self._at(SERVER_DROP_TIMEOUT * self.settings.timer_scale, self._server_drop_timeout)
        elif self.state == OPEN:
            self.was_clean = True
            self.send_close_frame(NORMAL, is_reply=True)

    def _server_drop_timeout(self) -> None:
        if self.state != CLOSED:
            self.was_clean = False
            self.not_clean_reason = "server did not drop the TCP connection after the closing handshake"
            self.drop(abort=True)


# -- cases ---------------------------------------------------------------------------------

Event = tuple  # ("message", payload, binary) | ("pong", payload) | ("timeout", tag)


@dataclass(frozen=True)
class CloseExpectation:
    """Autobahn's expectedClose: who must start the closing handshake, the close codes the
    server may send, whether the handshake must complete cleanly, and whether the wrong
    endpoint closing fails the case itself (UTF-8 cases: the server did not notice)."""

    by_me: bool
    codes: tuple[int, ...]
    clean: bool
    wrong_endpoint_fatal: bool = False


ECHO_CLOSE = CloseExpectation(True, (NORMAL,), True)


def fails_with(*codes: int, fatal: bool = False) -> CloseExpectation:
    """The server must fail the connection itself, with one of `codes` (or without a code)."""
    return CloseExpectation(False, codes, False, fatal)


def describe_events(events: Sequence[Event]) -> str:
    parts = []
    for e in events:
        if e[0] == "message":
            parts.append(f"{'binary' if e[2] else 'text'} {len(e[1])} B")
        elif e[0] == "pong":
            parts.append(f"pong {len(e[1])} B")
        else:
            parts.append(f"timeout {e[1]}")
    return "[" + ", ".join(parts) + "]"


class Case:
    """What one case does and how it is graded, on Autobahn's model: open() runs when the
    opening handshake completes; messages and pongs are recorded; evaluate() grades the
    recorded events against `expected` (outcome -> event list) and the close against
    `expect_close`."""

    suppress_close = False     # do not close when the expected events have arrived
    wrong_code_fails = False   # 7.x: a WRONG CODE close makes the case itself FAILED
    informational = False      # 7.1.6, 7.13.x: whatever happens is information

    def __init__(self) -> None:
        self.received: list[Event] = []
        self.expected: dict[str, list[Event]] = {}
        self.expect_close = ECHO_CLOSE
        self.behavior = FAILED
        self.behavior_close = FAILED
        self.result = "the events received differ from every expected sequence"
        self.result_close = "TCP connection dropped without a closing handshake"
        self.extra = ""
        self.remote_code: Optional[int] = None

    def offers(self) -> list[Offer]:
        return []

    def open(self, ws: Client) -> None:
        raise NotImplementedError

    def on_message(self, ws: Client, payload: bytes, binary: bool) -> None:
        self.received.append(("message", payload, binary))
        self.finish_when_done(ws)

    def on_pong(self, ws: Client, payload: bytes) -> None:
        self.received.append(("pong", payload))
        self.finish_when_done(ws)

    def finish_when_done(self, ws: Client) -> None:
        """Once the received events equal every expected sequence, close if we are the
        endpoint that should."""
        if all(self.received == events for events in self.expected.values()) \
                and self.expect_close.by_me and not self.suppress_close:
            ws.send_close_frame(self.expect_close.codes[0])

    def evaluate(self, ws: Client) -> None:
        self.remote_code = ws.remote_close_code
        for outcome, events in self.expected.items():
            if self.received == events:
                self.behavior = outcome
                self.result = f"the events received match the {outcome} sequence"
                break
        if ws.connection_was_open:
            ec = self.expect_close
            if ec.by_me != ws.closed_by_me:
                self.behavior_close = FAILED
                self.result_close = "the closing handshake was started by the wrong endpoint" + \
                    (" (the server did not close)" if ws.closed_by_me else
                     " (the server dropped TCP)" if not ws.was_clean else
                     " (the server closed with " +
                     ("no code)" if ws.remote_close_code is None else f"{ws.remote_close_code})"))
            elif ec.clean and not ws.was_clean:
                self.behavior_close = UNCLEAN
                self.result_close = f"the closing handshake must complete cleanly here: {ws.not_clean_reason}"
            elif ws.remote_close_code is not None and ws.remote_close_code not in ec.codes:
                self.behavior_close = WRONG_CODE
                self.result_close = f"close code {ws.remote_close_code}, expected " + \
                    " or ".join(map(str, ec.codes)) + " or none"
            elif ws.dropped_by_me:
                self.behavior_close = FAILED_BY_CLIENT
                self.result_close = f"the client had to drop the TCP connection: {ws.not_clean_reason}"
            else:
                self.behavior_close = OK
                self.result_close = "connection closed properly"
            if ec.wrong_endpoint_fatal and ec.by_me != ws.closed_by_me:
                self.behavior = FAILED
                self.result = "the server did not fail the connection itself"
        else:
            self.behavior_close = FAILED
            self.result = "no WebSocket connection"
            self.result_close = f"the opening handshake did not complete: {ws.handshake_error}"
        if self.wrong_code_fails and self.behavior_close == WRONG_CODE:
            self.behavior = FAILED
            self.result = self.result_close
        if self.informational:
            self.behavior = self.behavior_close = INFORMATIONAL

    def detail(self) -> str:
        """A short account for the report: the received events when the case failed."""
        parts = []
        if self.behavior == INFORMATIONAL:
            return f"got {describe_events(self.received)}, close code {self.remote_code}"
        if self.behavior not in (OK, INFORMATIONAL):
            parts.append(self.result)
            if self.expected:
                parts.append("got " + describe_events(self.received) + ", expected " +
                             " or ".join(f"{k} {describe_events(v)}" for k, v in self.expected.items()))
        if self.behavior_close not in (OK, INFORMATIONAL) and self.result_close != self.result:
            parts.append("close: " + self.result_close)
        if self.extra:
            parts.append(self.extra)
        return "; ".join(parts)


class Scripted(Case):
    """The common shape: send something, expect events, end with kill_after or close_after."""

    def __init__(self, send: Callable[[Client], None], expected: dict[str, list[Event]],
                 close: CloseExpectation, end: tuple[str, float], *, suppress_close: bool = False,
                 wrong_code_fails: bool = False, informational: bool = False):
        super().__init__()
        self._send, self._expected, self._close, self._end = send, expected, close, end
        self.suppress_close = suppress_close
        self.wrong_code_fails = wrong_code_fails
        self.informational = informational

    def open(self, ws: Client) -> None:
        self.expected = {k: list(v) for k, v in self._expected.items()}
        self.expect_close = self._close
        self._send(ws)
        kind, seconds = self._end
        (ws.kill_after if kind == "kill" else ws.close_after)(seconds)


class FragmentsAroundPings(Case):
    """5.19/5.20: a text message in five fragments with a ping after the 2nd and the 4th, the
    second half sent a second later; the first pong must come back before the message ends."""

    FRAGMENTS = [b"fragment%d" % i for i in range(1, 6)]
    PINGS = [b"pongme 1!", b"pongme 2!"]

    def __init__(self, sync: bool):
        super().__init__()
        self.sync = sync

    def open(self, ws: Client) -> None:
        f, p, s = self.FRAGMENTS, self.PINGS, self.sync
        self.expected[OK] = [("pong", p[0]), ("pong", p[1]), ("message", b"".join(f), False)]
        ws.send_frame(TEXT, f[0], fin=False, sync=s)
        ws.send_frame(CONTINUATION, f[1], fin=False, sync=s)
        ws.send_frame(PING, p[0], sync=s)

        def part2() -> None:
            ws.send_frame(CONTINUATION, f[2], fin=False, sync=s)
            ws.send_frame(CONTINUATION, f[3], fin=False, sync=s)
            ws.send_frame(PING, p[1], sync=s)
            ws.send_frame(CONTINUATION, f[4], fin=True, sync=s)
            ws.close_after(1)
        ws.later(1, part2)


class FailFast(Case):
    """6.4.x: invalid UTF-8 sent in three parts a second apart, as three frames or as three
    pieces of one frame. OK when the server fails the connection (1007) during the second
    wait, right after the part that makes the text invalid; NON-STRICT when only after the
    whole message."""

    def __init__(self, parts: tuple[bytes, bytes, bytes], one_frame: bool):
        super().__init__()
        self.parts, self.one_frame = parts, one_frame

    def open(self, ws: Client) -> None:
        self.expected = {OK: [("timeout", "A")], NON_STRICT: [("timeout", "A"), ("timeout", "B")]}
        self.expect_close = fails_with(INVALID_PAYLOAD, fatal=True)
        p1, p2, p3 = self.parts
        stream = FrameStream(ws, TEXT, len(p1) + len(p2) + len(p3)) if self.one_frame else None
        if stream:
            stream.write(p1)
        else:
            ws.send_frame(TEXT, p1, fin=False)

        def part2() -> None:
            if ws.state == OPEN:
                self.received.append(("timeout", "A"))
                stream.write(p2) if stream else ws.send_frame(CONTINUATION, p2, fin=False)
                ws.later(1, part3)

        def part3() -> None:
            if ws.state == OPEN:
                self.received.append(("timeout", "B"))
                stream.write(p3) if stream else ws.send_frame(CONTINUATION, p3, fin=True)
                ws.kill_after(1)
        ws.later(1, part2)


class LargeEcho(Case):
    """9.1-9.6: one large message (as one frame, fragmented, or written in small chops) whose
    echo must come back whole within `wait` seconds."""

    def __init__(self, binary: bool, unit: bytes, length: int, wait: float, *,
                 fragment: Optional[int] = None, chop: Optional[int] = None):
        super().__init__()
        self.binary, self.payload, self.wait = binary, repeat(unit, length), wait
        self.fragment, self.chop = fragment, chop

    def open(self, ws: Client) -> None:
        self.result = f"no echo within {ws.settings.wait(self.wait)}"
        if self.fragment is not None:
            ws.send_message(self.payload, self.binary, fragment=self.fragment)
        else:
            ws.send_frame(BINARY if self.binary else TEXT, self.payload, chop=self.chop)
        ws.close_after(self.wait)

    def on_message(self, ws: Client, payload: bytes, binary: bool) -> None:
        if binary != self.binary:
            self.result = f"echo came back as {'binary' if binary else 'text'}"
        elif len(payload) != len(self.payload):
            self.result = f"echo of {len(payload)} bytes for {len(self.payload)} sent"
        elif payload != self.payload:
            self.result = "echo differs from what was sent"
        else:
            self.behavior = OK
            self.result = f"echo of {len(payload)} bytes received"
        ws.send_close_frame(NORMAL)


class RoundTrips(Case):
    """9.7/9.8: `count` messages one after the other, each sent when the previous echo came."""

    def __init__(self, binary: bool, length: int, count: int, wait: float):
        super().__init__()
        self.binary, self.length, self.count, self.wait, self.sent = binary, length, count, wait, 0

    def open(self, ws: Client) -> None:
        self.result = f"{self.count} round trips did not finish within {ws.settings.wait(self.wait)}"
        ws.close_after(self.wait)
        self._one(ws)

    def _one(self, ws: Client) -> None:
        ws.send_frame(BINARY if self.binary else TEXT, b"\xfe" if self.binary else b"*", length=self.length)
        self.sent += 1

    def on_message(self, ws: Client, payload: bytes, binary: bool) -> None:
        if binary != self.binary or len(payload) != self.length:
            self.result = f"echo {self.sent}: binary={binary}, {len(payload)} bytes " \
                          f"(sent binary={self.binary}, {self.length} bytes)"
            ws.send_close_frame(NORMAL)
        elif self.sent < self.count:
            self._one(ws)
        else:
            self.behavior = OK
            self.result = f"{self.count} echoes received"
            ws.send_close_frame(NORMAL)


class AutoFragment(Scripted):
    """10.1.1: a 64 KiB text message sent with auto-fragmentation at 1300 octets; besides the
    echo, the frames we sent are counted (one text frame and 50 continuations)."""

    def __init__(self) -> None:
        payload = b"*" * 65536

        def send(ws: Client) -> None:
            ws.auto_fragment_size = 1300
            ws.send_message(payload)
        super().__init__(send, {OK: [("message", payload, False)]}, ECHO_CLOSE, ("kill", 10))

    def evaluate(self, ws: Client) -> None:
        super().evaluate(ws)
        if ws.connection_was_open and (ws.tx_frames[CONTINUATION], ws.tx_frames[TEXT]) != (65536 // 1300, 1):
            self.behavior = FAILED
            self.result = f"sent {ws.tx_frames[TEXT]} text and {ws.tx_frames[CONTINUATION]} continuation frames"


class Compression(Case):
    """12.x/13.x: `count` messages of `length` (characters for text data, bytes for binary)
    cut from a corpus, compressed with permessage-deflate, one after the other, each echo
    compared with what was sent. UNIMPLEMENTED when the server declines the offer."""

    def __init__(self, corpus: "Corpus", length: int, count: int, wait: float, fragment: int,
                 offers: list[Offer]):
        super().__init__()
        self.corpus, self.length, self.count, self.wait, self.fragment = corpus, length, count, wait, fragment
        self._offers = offers
        self.sent, self.pointer, self.last = 0, 0, b""

    def offers(self) -> list[Offer]:
        return list(self._offers)

    def open(self, ws: Client) -> None:
        if ws.pmce is None:
            self.behavior = UNIMPLEMENTED
            self.result = "the server did not accept permessage-deflate"
            ws.send_close_frame(NORMAL)
            return
        self.result = f"{self.count} messages did not finish within {ws.settings.wait(self.wait)}"
        ws.auto_fragment_size = self.fragment
        ws.close_after(self.wait)
        self._one(ws)

    def _one(self, ws: Client) -> None:
        text = self.corpus.text
        n = len(text)
        start = self.pointer % n
        piece = (text[start:] + text * (self.length // n + 1))[:self.length]
        self.pointer = (start + self.length) % n
        self.last = piece.encode() if isinstance(piece, str) else piece
        ws.send_message(self.last, self.corpus.binary)
        self.sent += 1

    def on_message(self, ws: Client, payload: bytes, binary: bool) -> None:
        if binary != self.corpus.binary or payload != self.last:
            self.result = f"echo {self.sent} differs: binary={binary}, {len(payload)} bytes, " \
                          f"sha1 {hashlib.sha1(payload).hexdigest()[:12]} (sent binary={self.corpus.binary}, " \
                          f"{len(self.last)} bytes, sha1 {hashlib.sha1(self.last).hexdigest()[:12]})"
            ws.send_close_frame(NORMAL)
        elif self.sent < self.count:
            self._one(ws)
        else:
            self.behavior = OK
            ratio_out = ws.wire_out / ws.app_out if ws.app_out else 0.0
            ratio_in = ws.wire_in / ws.app_in if ws.app_in else 0.0
            self.result = f"{self.count} echoes received"
            self.extra = f"{ws.extensions}; compression ratio out {ratio_out:.3f}, in {ratio_in:.3f}"
            ws.send_close_frame(NORMAL)

    def detail(self) -> str:
        text = super().detail()
        return text if self.behavior != OK else self.extra


# -- payload corpora for 12.x/13.x ---------------------------------------------------------

@dataclass
class Corpus:
    """Test data for the compression cases: `text` is str for UTF-8 text (sliced by
    characters, sent as text) or bytes (sliced by bytes, sent as binary)."""

    key: str
    description: str
    make: Callable[[random.Random], Union[str, bytes]]
    _data: Optional[Union[str, bytes]] = None

    @property
    def text(self) -> Union[str, bytes]:
        if self._data is None:
            self._data = self.make(random.Random(f"coronet-{self.key}"))
        return self._data

    @property
    def binary(self) -> bool:
        return isinstance(self.text, bytes)


GIVEN = ["Anna", "Jürgen", "Zoë", "Søren", "Łukasz", "José", "Åsa", "Chloé", "Renée", "Ömer", "Mia", "Noah",
         "Ольга", "Ελένη", "佐藤", "Björn", "Iñaki", "Saoirse", "Dvořák", "Malak"]
FAMILY = ["Müller", "Weiß", "Laurent", "Nowak", "Álvarez", "Lindqvist", "Dubois", "Schröder", "Yılmaz", "Novák",
          "Kowalski", "Fernández", "Jensen", "Rossi", "Brown", "Иванова", "Παππά", "田中"]
CITIES = ["München", "Zürich", "Kraków", "São Paulo", "Reykjavík", "Malmö", "Córdoba", "Düsseldorf", "Genève",
          "東京", "Москва", "Αθήνα", "Lyon", "Porto", "Gdańsk", "Tromsø"]
WORDS = ("order invoice shipment customer product review rating status active pending archived account "
         "balance payment refund warehouse region supplier contract delivery priority ticket").split()
GERMAN = ("und der die das ich nicht mit sich auf für über Größe Mädchen schön Geist Welt Natur Himmel Erde "
          "Herz Liebe Nacht Tag König Glück müssen können hören sehen Wald Straße Fluss Frühling grün weiß süß "
          "Träume "
          "Stunde Weisheit Wissen Blick Feuer Wasser Seele Ruhe Schatten Licht wandern ewig fern nah still "
          "dunkel hell wohl doch noch schon nur wie wenn wo was wer").split()


def _json_corpus(rng: random.Random) -> str:
    records = []
    for i in range(700):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        records.append({
            "id": i, "guid": "%08x-%04x-%04x-%012x" % (rng.getrandbits(32), rng.getrandbits(16),
                                                      rng.getrandbits(16), rng.getrandbits(48)),
            "name": f"{given} {family}", "email": f"user{i}@example.org", "active": rng.random() < 0.6,
            "balance": round(rng.uniform(0, 10000), 2), "tags": rng.sample(WORDS, 3),
            "address": {"city": rng.choice(CITIES), "street": f"{rng.choice(FAMILY)}straße {rng.randint(1, 200)}",
                        "zip": f"{rng.randint(10000, 99999)}"},
            "about": " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 18))),
        })
    return json.dumps(records, ensure_ascii=False, indent=2)


def _bitmap_corpus(rng: random.Random) -> bytes:
    """A 512x512 8-bit greyscale BMP: smooth shapes and a little noise, like a photograph."""
    w = h = 512
    sx = [60 * math.sin(x / 23.0) for x in range(w)]
    cy = [math.cos(y / 31.0) for y in range(h)]
    diag = [40 * math.sin(d / 47.0) for d in range(w + h)]
    noise = rng.randbytes(w * h)
    pixels = bytearray()
    for y in range(h):
        c, n = cy[y], y * w
        pixels += bytes(max(0, min(255, int(128 + sx[x] * c + diag[x + y]) + noise[n + x] % 11 - 5))
                        for x in range(w))
    palette = b"".join(bytes((v, v, v, 0)) for v in range(256))
    offset = 14 + 40 + len(palette)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 8, 0, len(pixels), 2835, 2835, 256, 0)
    return b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset) + info + palette + bytes(pixels)


def _prose_corpus(rng: random.Random) -> bytes:
    """German-like verse, UTF-8, sent as binary (like Autobahn's Faust text)."""
    lines = []
    while sum(len(x) for x in lines) < 230_000:
        if rng.random() < 0.08:
            lines.append("")
            lines.append(rng.choice(["ERSTER.", "ZWEITER.", "DER WANDERER.", "CHOR.", "STIMME."]))
        words = [rng.choice(GERMAN) for _ in range(rng.randint(5, 11))]
        line = " ".join(words)
        lines.append(line[0].upper() + line[1:] + rng.choice([",", ".", "!", ";", "?", ""]))
    return "\n".join(lines).encode()


def _html_corpus(rng: random.Random) -> str:
    parts = ["<!DOCTYPE html>\n<html lang=\"de\">\n<head><meta charset=\"utf-8\"><title>Katalog</title>"
             "<link rel=\"stylesheet\" href=\"/static/site.css\"></head>\n<body>\n"]
    i = 0
    while sum(len(p) for p in parts) < 260_000:
        i += 1
        city = rng.choice(CITIES)
        lead = " ".join(rng.choice(GERMAN) for _ in range(14))
        parts.append(f"<div class=\"card\" id=\"item-{i}\">\n  <h2><a href=\"/items/{i}\">{rng.choice(FAMILY)} "
                     f"{rng.choice(WORDS)}</a></h2>\n  <p class=\"lead\">{lead}</p>\n  <table class=\"specs\">\n")
        for _ in range(rng.randint(2, 5)):
            parts.append(f"    <tr><td class=\"key\">{rng.choice(WORDS)}</td><td class=\"value\">"
                         f"{rng.randint(1, 9999)} &middot; {city}</td></tr>\n")
        tags = "".join(f"<li><a href=\"/tags/{t}\">{t}</a></li>" for t in rng.sample(WORDS, 3))
        parts.append(f"  </table>\n  <ul class=\"tags\">{tags}</ul>\n</div>\n")
    parts.append("</body>\n</html>\n")
    return "".join(parts)


def _pdf_corpus(rng: random.Random) -> bytes:
    """PDF-like: object dictionaries in text around deflated (hardly compressible) streams."""
    out = [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"]
    n = 0
    while sum(len(p) for p in out) < 600_000:
        n += 1
        if rng.random() < 0.35:
            text = " ".join(rng.choice(GERMAN) for _ in range(rng.randint(20, 80))).encode()
            out.append(b"%d 0 obj\n<< /Type /Page /Parent 2 0 R /Contents [(%s)] >>\nendobj\n" % (n, text))
        else:
            raw = " ".join(rng.choice(WORDS + GERMAN) + str(rng.randint(0, 999))
                           for _ in range(rng.randint(200, 900)))
            stream = zlib.compress(raw.encode(), 9)
            out.append(b"%d 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream\nendobj\n"
                       % (n, len(stream), stream))
    out.append(b"trailer\n<< /Size %d /Root 1 0 R >>\n%%%%EOF\n" % (n + 1))
    return b"".join(out)


CORPORA = [
    Corpus("json", "JSON records (generated)", _json_corpus),
    Corpus("bitmap", "greyscale bitmap 512x512 (generated)", _bitmap_corpus),
    Corpus("prose", "German-like verse (generated), sent as binary", _prose_corpus),
    Corpus("html", "HTML page (generated)", _html_corpus),
    Corpus("pdf", "PDF-like mix of text and deflated streams (generated)", _pdf_corpus),
]

# Autobahn's 12.x/13.x messages: (size, count, seconds, auto-fragment size).
COMPRESSION_SIZES = [(16, 1000, 60, 0), (64, 1000, 60, 0), (256, 1000, 120, 0), (1024, 1000, 240, 0),
                     (4096, 1000, 480, 0), (8192, 1000, 480, 0), (16384, 1000, 480, 0), (32768, 1000, 480, 0),
                     (65536, 1000, 480, 0), (131072, 1000, 480, 0),
                     (8192, 1000, 480, 256), (16384, 1000, 480, 256), (32768, 1000, 480, 256),
                     (65536, 1000, 480, 256), (131072, 1000, 480, 256), (131072, 1000, 480, 1024),
                     (131072, 1000, 480, 4096), (131072, 1000, 480, 32768)]

# 13.x: the client's offers per subgroup (Autobahn pairs each with the server acceptance it tests).
COMPRESSION_OFFERS = [
    [Offer()],
    [Offer(server_no_context_takeover=True)],
    [Offer(server_max_window_bits=9)],
    [Offer(server_max_window_bits=15)],
    [Offer(server_no_context_takeover=True, server_max_window_bits=9)],
    [Offer(server_no_context_takeover=True, server_max_window_bits=15)],
    [Offer(server_no_context_takeover=True, server_max_window_bits=9), Offer(server_no_context_takeover=True),
     Offer()],
]


# -- the catalogue ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CaseSpec:
    id: str
    description: str
    expectation: str
    make: Callable[[Settings], Case]


def _msg(payload: bytes, binary: bool = False) -> Event:
    return ("message", payload, binary)


def _scripted(send: Callable[[Client], None], expected: dict[str, list[Event]], close: CloseExpectation,
              end: tuple[str, float], **kw: bool) -> Callable[[Settings], Case]:
    return lambda s: Scripted(send, expected, close, end, **kw)


KOSME = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"  # "κόσμε", 11 bytes (omicron with oxia)
INVALID_AT_12 = KOSME + b"\xed\xa0\x80" + b"edited"  # a surrogate: invalid at byte 12
OUT_OF_RANGE = KOSME + b"\xf4\x90\x80\x80" + b"edited"  # U+110000: invalid at byte 12
HELLO_UTF8 = "Hello-µ@ßöäüàá-UTF-8!!".encode()


def _group1() -> list[CaseSpec]:
    out = []
    sizes = [(0, None, 1), (125, None, 1), (126, None, 1), (127, None, 1), (128, None, 1), (65535, None, 10),
             (65536, None, 10), (65536, 997, 10)]
    for sub, (binary, unit) in enumerate([(False, b"*"), (True, b"\xfe")], 1):
        kind = "binary" if binary else "text"
        for i, (n, chop, wait) in enumerate(sizes, 1):
            payload = unit * n
            opcode = BINARY if binary else TEXT
            desc = f"Send a {kind} message with a {n}-byte payload" + \
                (f", written in chops of {chop} octets" if chop else "")
            out.append(CaseSpec(f"1.{sub}.{i}", desc, f"The {kind} message is echoed; clean close with 1000.",
                                _scripted(lambda ws, o=opcode, p=payload, c=chop: ws.send_frame(o, p, chop=c),
                                          {OK: [_msg(payload, binary)]}, ECHO_CLOSE, ("kill", wait))))
    return out


def _group2() -> list[CaseSpec]:
    def ping(payload: bytes = b"", chop: Optional[int] = None) -> Callable[[Client], None]:
        return lambda ws: ws.send_frame(PING, payload, chop=chop)

    def unsolicited(payload: bytes, then_ping: Optional[bytes] = None,
                    close: bool = True) -> Callable[[Client], None]:
        def send(ws: Client) -> None:
            ws.send_frame(PONG, payload)
            if then_ping is not None:
                ws.send_frame(PING, then_ping)
            if close:
                ws.send_close_frame(NORMAL)
        return send

    def ten_pings(chop: Optional[int]) -> Callable[[Client], None]:
        def send(ws: Client) -> None:
            for i in range(10):
                ws.send_frame(PING, b"payload-%d" % i, chop=chop)
        return send

    pongs10 = [("pong", b"payload-%d" % i) for i in range(10)]
    binary8 = b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"
    rows = [
        ("2.1", "Send a ping without payload", ping(), {OK: [("pong", b"")]}, ECHO_CLOSE, ("close", 1)),
        ("2.2", "Send a ping with a small text payload", ping(b"Hello, world!"),
         {OK: [("pong", b"Hello, world!")]}, ECHO_CLOSE, ("close", 1)),
        ("2.3", "Send a ping with a small binary (non-UTF-8) payload", ping(binary8),
         {OK: [("pong", binary8)]}, ECHO_CLOSE, ("close", 1)),
        ("2.4", "Send a ping with a 125-byte binary payload", ping(b"\xfe" * 125),
         {OK: [("pong", b"\xfe" * 125)]}, ECHO_CLOSE, ("close", 1)),
        ("2.5", "Send a ping with a 126-byte payload (control frames carry at most 125)", ping(b"\xfe" * 126),
         {OK: []}, fails_with(PROTOCOL_ERROR), ("kill", 1)),
        ("2.6", "Send a ping with a 125-byte payload, written octet by octet", ping(b"\xfe" * 125, chop=1),
         {OK: [("pong", b"\xfe" * 125)]}, ECHO_CLOSE, ("close", 2)),
        ("2.7", "Send an unsolicited pong without payload, then close", unsolicited(b""),
         {OK: []}, ECHO_CLOSE, ("close", 1)),
        ("2.8", "Send an unsolicited pong with payload, then close", unsolicited(b"unsolicited pong payload"),
         {OK: []}, ECHO_CLOSE, ("close", 1)),
        ("2.9", "Send an unsolicited pong, then a ping with payload",
         unsolicited(b"unsolicited pong payload", b"ping payload", close=False),
         {OK: [("pong", b"ping payload")]}, ECHO_CLOSE, ("close", 1)),
        ("2.10", "Send 10 pings with payloads", ten_pings(None), {OK: pongs10}, ECHO_CLOSE, ("close", 3)),
        ("2.11", "Send 10 pings with payloads, written octet by octet", ten_pings(1), {OK: pongs10}, ECHO_CLOSE,
         ("close", 3)),
    ]
    expectations = {"2.5": "The connection is failed (1002)", "2.7": "Nothing comes back; clean close.",
                    "2.8": "Nothing comes back; clean close.", "2.9": "Only the pong for the ping; clean close.",
                    "2.10": "A pong for every ping, in order (not required by RFC 6455, checked anyway)."}
    return [CaseSpec(cid, desc, expectations.get(cid, "A pong with the ping's payload; clean close with 1000."),
                     _scripted(send, exp, close, end)) for cid, desc, send, exp, close, end in rows]


def _then_bad(bad: Callable[[Client], None], chop: Optional[int] = None, sync: bool = False,
              hello_first: bool = True) -> Callable[[Client], None]:
    """A valid text message (optionally), the bad frame, then a ping."""
    def send(ws: Client) -> None:
        if hello_first:
            ws.send_frame(TEXT, b"Hello, world!", chop=chop, sync=sync)
        bad(ws)
        if hello_first:
            ws.send_frame(PING, chop=chop, sync=sync)
    return send


def _group3_4() -> list[CaseSpec]:
    hello = {OK: [_msg(b"Hello, world!")], NON_STRICT: []}
    bad = fails_with(PROTOCOL_ERROR)
    rows = [
        ("3.1", "Send a small text message with RSV = 1",
         lambda ws: ws.send_frame(TEXT, b"Hello, world!", rsv=1), {OK: []}),
        ("3.2", "Send a text message, the same with RSV = 2, then a ping",
         _then_bad(lambda ws: ws.send_frame(TEXT, b"Hello, world!", rsv=2)), hello),
        ("3.3", "Send a text message, the same with RSV = 3, then a ping, frame by frame",
         _then_bad(lambda ws: ws.send_frame(TEXT, b"Hello, world!", rsv=3, sync=True), sync=True), hello),
        ("3.4", "Send a text message, the same with RSV = 4, then a ping, octet by octet",
         _then_bad(lambda ws: ws.send_frame(TEXT, b"Hello, world!", rsv=4, chop=1), chop=1), hello),
        ("3.5", "Send a small binary message with RSV = 5",
         lambda ws: ws.send_frame(BINARY, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff", rsv=5), {OK: []}),
        ("3.6", "Send a ping with RSV = 6", lambda ws: ws.send_frame(PING, b"Hello, world!", rsv=6), {OK: []}),
        ("3.7", "Send a close with RSV = 7", lambda ws: ws.send_frame(CLOSE, rsv=7), {OK: []}),
        ("4.1.1", "Send a frame with the reserved data opcode 3", lambda ws: ws.send_frame(3), {OK: []}),
        ("4.1.2", "Send a frame with the reserved data opcode 4 and a payload",
         lambda ws: ws.send_frame(4, b"reserved opcode payload"), {OK: []}),
        ("4.1.3", "Send a text message, a frame with the reserved data opcode 5, then a ping",
         _then_bad(lambda ws: ws.send_frame(5)), hello),
        ("4.1.4", "Send a text message, a frame with the reserved data opcode 6 and a payload, then a ping",
         _then_bad(lambda ws: ws.send_frame(6, b"Hello, world!")), hello),
        ("4.1.5", "Send a text message, a frame with the reserved data opcode 7 and a payload, then a ping, "
                  "octet by octet", _then_bad(lambda ws: ws.send_frame(7, b"Hello, world!", chop=1), chop=1), hello),
        ("4.2.1", "Send a frame with the reserved control opcode 11", lambda ws: ws.send_frame(11), {OK: []}),
        ("4.2.2", "Send a frame with the reserved control opcode 12 and a payload",
         lambda ws: ws.send_frame(12, b"reserved opcode payload"), {OK: []}),
        ("4.2.3", "Send a text message, a frame with the reserved control opcode 13, then a ping",
         _then_bad(lambda ws: ws.send_frame(13)), hello),
        ("4.2.4", "Send a text message, a frame with the reserved control opcode 14 and a payload, then a ping",
         _then_bad(lambda ws: ws.send_frame(14, b"Hello, world!")), hello),
        ("4.2.5", "Send a text message, a frame with the reserved control opcode 15 and a payload, then a ping, "
                  "octet by octet", _then_bad(lambda ws: ws.send_frame(15, b"Hello, world!", chop=1), chop=1), hello),
    ]
    out = []
    for cid, desc, send, expected in rows:
        exp = "The connection is failed (1002)" + \
            ("; the first message is echoed (OK) or not (NON-STRICT), no pong." if NON_STRICT in expected else ".")
        out.append(CaseSpec(cid, desc, exp, _scripted(send, expected, bad, ("kill", 1))))
    return out


def _frames(*frames: tuple[int, bytes, bool], chop: Optional[int] = None, sync: bool = False,
            times: int = 1) -> Callable[[Client], None]:
    def send(ws: Client) -> None:
        for _ in range(times):
            for opcode, payload, fin in frames:
                ws.send_frame(opcode, payload, fin=fin, chop=chop, sync=sync)
    return send


def _group5() -> list[CaseSpec]:
    f1, f2 = b"fragment1", b"fragment2"
    two = (TEXT, f1, False), (CONTINUATION, f2, True)
    with_ping = (TEXT, f1, False), (PING, b"ping payload", True), (CONTINUATION, f2, True)
    orphan_fin = (CONTINUATION, b"non-continuation payload", True), (TEXT, b"Hello, world!", True)
    orphan = (CONTINUATION, b"non-continuation payload", False), (TEXT, b"Hello, world!", True)
    bad = fails_with(PROTOCOL_ERROR)
    echo = {OK: [_msg(f1 + f2)]}
    echo_ping = {OK: [("pong", b"ping payload"), _msg(f1 + f2)]}
    rows = [
        ("5.1", "Send a ping fragmented into 2 frames", _frames((PING, f1, False), (CONTINUATION, f2, True)),
         {OK: []}, bad, ("kill", 1)),
        ("5.2", "Send a pong fragmented into 2 frames", _frames((PONG, f1, False), (CONTINUATION, f2, True)),
         {OK: []}, bad, ("kill", 1)),
        ("5.3", "Send a text message in 2 fragments", _frames(*two), echo, ECHO_CLOSE, ("close", 1)),
        ("5.4", "Send a text message in 2 fragments, frame by frame", _frames(*two, sync=True), echo, ECHO_CLOSE,
         ("close", 1)),
        ("5.5", "Send a text message in 2 fragments, octet by octet", _frames(*two, chop=1), echo, ECHO_CLOSE,
         ("close", 1)),
        ("5.6", "Send a text message in 2 fragments with a ping in between", _frames(*with_ping), echo_ping,
         ECHO_CLOSE, ("close", 1)),
        ("5.7", "Send a text message in 2 fragments with a ping in between, frame by frame",
         _frames(*with_ping, sync=True), echo_ping, ECHO_CLOSE, ("close", 1)),
        ("5.8", "Send a text message in 2 fragments with a ping in between, octet by octet",
         _frames(*with_ping, chop=1), echo_ping, ECHO_CLOSE, ("close", 1)),
        ("5.9", "Send a continuation frame (FIN) with nothing to continue, then a text message",
         _frames(*orphan_fin), {OK: []}, bad, ("kill", 1)),
        ("5.10", "As 5.9, frame by frame", _frames(*orphan_fin, sync=True), {OK: []}, bad, ("kill", 1)),
        ("5.11", "As 5.9, octet by octet", _frames(*orphan_fin, chop=1), {OK: []}, bad, ("kill", 1)),
        ("5.12", "Send a continuation frame (no FIN) with nothing to continue, then a text message",
         _frames(*orphan), {OK: []}, bad, ("kill", 1)),
        ("5.13", "As 5.12, frame by frame", _frames(*orphan, sync=True), {OK: []}, bad, ("kill", 1)),
        ("5.14", "As 5.12, octet by octet", _frames(*orphan, chop=1), {OK: []}, bad, ("kill", 1)),
        ("5.15", "Send a text message in 2 fragments, then a continuation (no FIN) with nothing to continue, "
                 "then a text message",
         _frames(*two, (CONTINUATION, b"fragment3", False), (TEXT, b"fragment4", True)),
         {OK: [_msg(f1 + f2)], NON_STRICT: []}, bad, ("kill", 1)),
        ("5.16", "Twice: a continuation (no FIN) with nothing to continue, then a text message in 2 fragments",
         _frames((CONTINUATION, f1, False), (TEXT, f2, False), (CONTINUATION, b"fragment3", True), times=2),
         {OK: []}, bad, ("kill", 1)),
        ("5.17", "Twice: a continuation (FIN) with nothing to continue, then a text message in 2 fragments",
         _frames((CONTINUATION, f1, True), (TEXT, f2, False), (CONTINUATION, b"fragment3", True), times=2),
         {OK: []}, bad, ("kill", 1)),
        ("5.18", "Send a text message in 2 fragments whose second frame is a text frame too",
         _frames((TEXT, f1, False), (TEXT, f2, True)), {OK: []}, bad, ("kill", 1)),
    ]
    out = []
    for cid, desc, send, expected, close, end in rows:
        exp = "The connection is failed (1002)." if not close.by_me else \
            "The message is echoed (pongs first, when pinged); clean close with 1000."
        out.append(CaseSpec(cid, desc, exp, _scripted(send, expected, close, end)))
    for cid, sync in (("5.19", False), ("5.20", True)):
        out.append(CaseSpec(cid, "Send a text message in 5 fragments with pings after the 2nd and 4th, the second "
                                 "half a second later" + (", every frame written on its own" if sync else ""),
                            "Each pong comes back at once, the message is echoed whole; clean close with 1000.",
                            lambda s, y=sync: FragmentsAroundPings(y)))
    return out


def utf8_sequences() -> list[tuple[str, list[bytes]]]:
    """The UTF-8 decoder test vectors of cases 6.5-6.23 (after Markus Kuhn's UTF-8 decoder
    stress test), in Autobahn's order; each is valid or not per RFC 3629."""
    groups: list[tuple[str, list[bytes]]] = [
        ("Some valid UTF-8 sequences", [b"hello$world", b"hello\xc2\xa2world", b"hello\xe2\x82\xacworld",
                                        b"hello\xf0\xa4\xad\xa2world", KOSME]),
        ("All prefixes of a valid UTF-8 string that contains multi-byte code points",
         [KOSME[:i] for i in range(1, len(KOSME) + 1)]),
        ("First possible sequence of a certain length", [b"\x00", b"\xc2\x80", b"\xe0\xa0\x80", b"\xf0\x90\x80\x80"]),
        ("First possible sequence length 5/6 (invalid codepoints)", [b"\xf8\x88\x80\x80\x80",
                                                                     b"\xfc\x84\x80\x80\x80\x80"]),
        ("Last possible sequence of a certain length", [b"\x7f", b"\xdf\xbf", b"\xef\xbf\xbf", b"\xf4\x8f\xbf\xbf"]),
        ("Last possible sequence length 4/5/6 (invalid codepoints)",
         [b"\xf7\xbf\xbf\xbf", b"\xfb\xbf\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf\xbf"]),
        ("Other boundary conditions", [b"\xed\x9f\xbf", b"\xee\x80\x80", b"\xef\xbf\xbd", b"\xf4\x8f\xbf\xbf",
                                       b"\xf4\x90\x80\x80"]),
        ("Unexpected continuation bytes", [b"\x80", b"\xbf", b"\x80\xbf", b"\x80\xbf\x80", b"\x80\xbf\x80\xbf",
                                           b"\x80\xbf\x80\xbf\x80", b"\x80\xbf\x80\xbf\x80\xbf",
                                           bytes(range(0x80, 0xbf))]),
        ("Lonely start characters", [b"".join(bytes((c, 0x20)) for c in range(lo, hi))
                                     for lo, hi in ((0xc0, 0xdf), (0xe0, 0xef), (0xf0, 0xf7), (0xf8, 0xfb),
                                                    (0xfc, 0xfd))]),
    ]
    missing = [b"\xc0", b"\xe0\x80", b"\xf0\x80\x80", b"\xf8\x80\x80\x80", b"\xfc\x80\x80\x80\x80",
               b"\xdf", b"\xef\xbf", b"\xf7\xbf\xbf", b"\xfb\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf"]
    high = [b"\xed\xa0\x80", b"\xed\xad\xbf", b"\xed\xae\x80", b"\xed\xaf\xbf"]
    low = [b"\xed\xb0\x80", b"\xed\xbf\xbf"]
    nonchars = [b"\xef\xbf\xbe", b"\xef\xbf\xbf"]
    for lead in (0xf0, 0xf1, 0xf2, 0xf3, 0xf4):
        for second in (0x8f, 0x9f, 0xaf, 0xbf):
            if lead == 0xf4 and second != 0x8f:
                continue  # above U+10FFFF
            for last in (0xbe, 0xbf):
                seq = bytes((lead, second, 0xbf, last))
                if not (lead == 0xf0 and second == 0x8f):  # overlong
                    nonchars.append(seq)
    groups += [
        ("Sequences with last continuation byte missing", missing),
        ("Concatenation of incomplete sequences", [b"".join(missing)]),
        ("Impossible bytes", [b"\xfe", b"\xff", b"\xfe\xfe\xff\xff"]),
        ("Examples of an overlong ASCII character", [b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf",
                                                     b"\xf8\x80\x80\x80\xaf", b"\xfc\x80\x80\x80\x80\xaf"]),
        ("Maximum overlong sequences", [b"\xc1\xbf", b"\xe0\x9f\xbf", b"\xf0\x8f\xbf\xbf", b"\xf8\x87\xbf\xbf\xbf",
                                        b"\xfc\x83\xbf\xbf\xbf\xbf"]),
        ("Overlong representation of the NUL character", [b"\xc0\x80", b"\xe0\x80\x80", b"\xf0\x80\x80\x80",
                                                          b"\xf8\x80\x80\x80\x80", b"\xfc\x80\x80\x80\x80\x80"]),
        ("Single UTF-16 surrogates", high + [b"\xed\xb0\x80", b"\xed\xbe\x80", b"\xed\xbf\xbf"]),
        ("Paired UTF-16 surrogates", [h + lo for h in high for lo in low]),
        ("Non-character code points (valid UTF-8)", nonchars),
        ("Unicode specials (i.e. replacement char)", [b"\xef\xbf" + bytes((c,)) for c in range(0xb9, 0xc0)]),
    ]
    return groups


def _group6() -> list[CaseSpec]:
    echo = lambda p: {OK: [_msg(p)]}  # noqa: E731
    invalid = fails_with(INVALID_PAYLOAD, fatal=True)
    rows = [
        ("6.1.1", "Send a text message of length 0", _frames((TEXT, b"", True)), echo(b""), ECHO_CLOSE, ("close", 1)),
        ("6.1.2", "Send a text message in 3 fragments, each of length 0",
         _frames((TEXT, b"", False), (CONTINUATION, b"", False), (CONTINUATION, b"", True)), echo(b""), ECHO_CLOSE,
         ("close", 1)),
        ("6.1.3", "Send a text message in 3 fragments, the first and last of length 0",
         _frames((TEXT, b"", False), (CONTINUATION, b"middle frame payload", False), (CONTINUATION, b"", True)),
         echo(b"middle frame payload"), ECHO_CLOSE, ("close", 1)),
        ("6.2.1", "Send valid UTF-8 text in one frame", lambda ws: ws.send_message(HELLO_UTF8), echo(HELLO_UTF8),
         ECHO_CLOSE, ("close", 1)),
        ("6.2.2", "Send valid UTF-8 text in 2 frames split on a code point boundary",
         _frames((TEXT, "Hello-µ@ßöä".encode(), False), (CONTINUATION, "üàá-UTF-8!!".encode(), True)),
         echo(HELLO_UTF8), ECHO_CLOSE, ("close", 1)),
        ("6.2.3", "Send valid UTF-8 text in 1-octet frames (frames end inside code points)",
         lambda ws: ws.send_message(HELLO_UTF8, fragment=1), echo(HELLO_UTF8), ECHO_CLOSE, ("close", 1)),
        ("6.2.4", "Send valid UTF-8 text (κόσμε) in 1-octet frames (frames end inside code points)",
         lambda ws: ws.send_message(KOSME, fragment=1), echo(KOSME), ECHO_CLOSE, ("close", 1)),
        ("6.3.1", "Send invalid UTF-8 text in one frame", lambda ws: ws.send_message(INVALID_AT_12), {OK: []}, invalid,
         ("kill", 1)),
        ("6.3.2", "Send invalid UTF-8 text in 1-octet frames", lambda ws: ws.send_message(INVALID_AT_12, fragment=1),
         {OK: []}, invalid, ("kill", 1)),
    ]
    out = [CaseSpec(cid, desc, "The message is echoed; clean close with 1000." if close.by_me else
                    "The connection is failed (1007).", _scripted(send, exp, close, end))
           for cid, desc, send, exp, close, end in rows]
    fail_fast = [
        ("6.4.1", "3 frames a second apart; the 2nd holds U+110000 (invalid at its 1st octet)",
         (KOSME, b"\xf4\x90\x80\x80", b"edited"), False),
        ("6.4.2", "As 6.4.1, but the 2nd frame is only the octet that makes the text invalid",
         (OUT_OF_RANGE[:12], OUT_OF_RANGE[12:13], OUT_OF_RANGE[13:]), False),
        ("6.4.3", "As 6.4.1, but 3 pieces of one frame instead of 3 frames",
         (KOSME, b"\xf4\x90\x80\x80", b"edited"), True),
        ("6.4.4", "As 6.4.2, but 3 pieces of one frame instead of 3 frames",
         (OUT_OF_RANGE[:12], OUT_OF_RANGE[12:13], OUT_OF_RANGE[13:]), True),
    ]
    for cid, desc, parts, one_frame in fail_fast:
        out.append(CaseSpec(cid, "Send invalid UTF-8 text in " + desc,
                            "The server fails the connection (1007) as soon as the invalid part arrives (OK) or at "
                            "the end of the message (NON-STRICT).",
                            lambda s, p=parts, o=one_frame: FailFast(p, o)))
    for i, (name, seqs) in enumerate(utf8_sequences(), 5):
        for j, seq in enumerate(seqs, 1):
            valid = utf8_valid(seq)
            desc = f"{name}: send the {'valid' if valid else 'invalid'} UTF-8 text 0x{seq.hex()} in one frame"
            if valid:
                case = _scripted(lambda ws, p=seq: ws.send_message(p), echo(seq), ECHO_CLOSE, ("kill", 0.5))
                exp = "The message is echoed; clean close with 1000."
            else:
                case = _scripted(lambda ws, p=seq: ws.send_message(p), {OK: []}, invalid, ("kill", 0.5))
                exp = "The connection is failed (1007)."
            out.append(CaseSpec(f"6.{i}.{j}", desc, exp, case))
    return out


VALID_CLOSE_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999]
INVALID_CLOSE_CODES = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999]


def _group7() -> list[CaseSpec]:
    def closing(*rest: Callable[[Client], None], before: Optional[Callable[[Client], None]] = None,
                code: Optional[int] = NORMAL, reason: bytes = b"") -> Callable[[Client], None]:
        def send(ws: Client) -> None:
            if before:
                before(ws)
            ws.send_close_frame(code, reason)
            for r in rest:
                r(ws)
        return send

    normal = ECHO_CLOSE
    protocol = CloseExpectation(True, (PROTOCOL_ERROR,), False)
    seven = dict(suppress_close=True, wrong_code_fails=True)
    big = b"BAsd7&jh23"
    rows = [
        ("7.1.1", "Send a text message, then close when the echo is back", "The echo, then a clean close with 1000.",
         lambda ws: ws.send_frame(TEXT, b"Hello World!"), {OK: [_msg(b"Hello World!")]}, normal,
         dict(wrong_code_fails=True)),
        ("7.1.2", "Send two close frames", "Clean close with 1000; the second close is ignored.",
         closing(lambda ws: ws.send_frame(CLOSE)), {OK: []}, normal, seven),
        ("7.1.3", "Send a ping after the close", "Clean close with 1000, no pong.",
         closing(lambda ws: ws.send_frame(PING)), {OK: []}, normal, seven),
        ("7.1.4", "Send a text message after the close", "Clean close with 1000; the message is ignored.",
         closing(lambda ws: ws.send_frame(TEXT, b"Hello World!")), {OK: []}, normal, seven),
        ("7.1.5", "Send the 1st fragment of a message, the close, then the 2nd fragment", "Clean close with 1000.",
         closing(lambda ws: ws.send_frame(CONTINUATION, b"fragment2"),
                 before=lambda ws: ws.send_frame(TEXT, b"fragment1", fin=False)), {OK: []}, normal, seven),
        ("7.1.6", "Send a 256 KiB text message, a small one, the close and a ping back to back",
         "Undefined: whether the messages come back depends on when the server handles the close.",
         closing(lambda ws: ws.send_frame(PING), before=lambda ws: (
             ws.send_frame(TEXT, big, length=256 << 10), ws.send_frame(TEXT, b"Hello World!"))),
         {OK: [_msg(b"Hello World!")], NON_STRICT: []}, normal, dict(suppress_close=True, informational=True)),
        ("7.3.1", "Send a close with an empty payload (no code, no reason)", "Clean close with 1000 (or no code).",
         closing(code=None), {OK: []}, normal, seven),
        ("7.3.2", "Send a close with a 1-byte payload", "The server fails with 1002 or drops TCP.",
         closing(code=None, reason=b"a"), {OK: []}, protocol, seven),
        ("7.3.3", "Send a close with a code (1000) and no reason", "Clean close with 1000.",
         closing(), {OK: []}, normal, seven),
        ("7.3.4", "Send a close with a code and a reason", "Clean close with 1000.",
         closing(reason=b"Hello World!"), {OK: []}, normal, seven),
        ("7.3.5", "Send a close with a code and a 123-byte reason (the maximum)", "Clean close with 1000.",
         closing(reason=b"*" * 123), {OK: []}, normal, seven),
        ("7.3.6", "Send a close with a code and a 124-byte reason (126-byte control payload)",
         "The server fails with 1002 or drops TCP.", closing(reason=b"*" * 124), {OK: []}, protocol, seven),
        ("7.5.1", "Send a close whose reason is invalid UTF-8", "The server fails with 1002 or 1007, or drops TCP.",
         closing(reason=INVALID_AT_12), {OK: []}, CloseExpectation(True, (PROTOCOL_ERROR, INVALID_PAYLOAD), False),
         seven),
    ]
    out = [CaseSpec(cid, desc, exp, _scripted(send, expected, close, ("kill", 1), **kw))
           for cid, desc, exp, send, expected, close, kw in rows]
    for i, code in enumerate(VALID_CLOSE_CODES, 1):
        out.append(CaseSpec(f"7.7.{i}", f"Send a close with the valid code {code}",
                            "Clean close with 1000 or the same code.",
                            _scripted(closing(code=code), {OK: []}, CloseExpectation(True, (NORMAL, code), True),
                                      ("kill", 1), **seven)))
    for i, code in enumerate(INVALID_CLOSE_CODES, 1):
        out.append(CaseSpec(f"7.9.{i}", f"Send a close with the invalid code {code}",
                            "The server fails with 1002 or drops TCP.",
                            _scripted(closing(code=code), {OK: []}, protocol, ("kill", 1), **seven)))
    for i, code in enumerate((5000, 65535), 1):
        anything = CloseExpectation(True, (NORMAL, code, PROTOCOL_ERROR), False)
        out.append(CaseSpec(f"7.13.{i}", f"Send a close with the code {code}",
                            "Undefined by RFC 6455 (informational).",
                            _scripted(closing(code=code), {OK: []}, anything, ("kill", 1), suppress_close=True,
                                      informational=True)))
    return out


def _group9() -> list[CaseSpec]:
    out = []
    sizes = [(64 << 10, 10), (256 << 10, 10), (1 << 20, 100), (4 << 20, 100), (8 << 20, 100), (16 << 20, 100)]
    binary_waits = [10, 10, 10, 10, 100, 100]

    def human(n: int) -> str:
        return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n >> 10} KiB"

    for i, (n, wait) in enumerate(sizes, 1):
        out.append(CaseSpec(f"9.1.{i}", f"Send a {human(n)} text message in one frame", "The echo arrives.",
                            lambda s, n=n, w=wait: LargeEcho(False, b"BAsd7&jh23", n, w)))
    for i, (n, _) in enumerate(sizes, 1):
        out.append(CaseSpec(f"9.2.{i}", f"Send a {human(n)} binary message in one frame", "The echo arrives.",
                            lambda s, n=n, w=binary_waits[i - 1]: LargeEcho(True, b"\x00\xfe\x23\xfa\xf0", n, w)))
    frags = [64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20]
    for sub, (binary, unit) in ((3, (False, b"*")), (4, (True, b"\xfe"))):
        kind = "binary" if binary else "text"
        for i, frag in enumerate(frags, 1):
            out.append(CaseSpec(f"9.{sub}.{i}", f"Send a 4 MiB {kind} message in fragments of {frag} octets",
                                "The echo arrives.",
                                lambda s, b=binary, u=unit, f=frag: LargeEcho(b, u, 4 << 20, 100, fragment=f)))
    chops = [64, 128, 256, 512, 1024, 2048]
    for sub, (binary, unit) in ((5, (False, b"BAsd7&jh23")), (6, (True, b"\x00\xfe\x23\xfa\xf0"))):
        kind = "binary" if binary else "text"
        for i, chop in enumerate(chops, 1):
            out.append(CaseSpec(f"9.{sub}.{i}", f"Send a 1 MiB {kind} message in one frame, written in chops of "
                                               f"{chop} octets", "The echo arrives.",
                                lambda s, b=binary, u=unit, c=chop: LargeEcho(b, u, 1 << 20, 1000, chop=c)))
    trips = [(0, 60), (16, 60), (64, 60), (256, 120), (1024, 240), (4096, 480)]
    for sub, binary in ((7, False), (8, True)):
        kind = "binary" if binary else "text"
        for i, (n, wait) in enumerate(trips, 1):
            out.append(CaseSpec(f"9.{sub}.{i}", f"Send 1000 {kind} messages of {n} bytes one after the other "
                                               "(round-trip time)", f"Every echo arrives within {wait} s.",
                                lambda s, b=binary, n=n, w=wait: RoundTrips(b, n, s.count(1000), w)))
    return out


def _group12_13() -> list[CaseSpec]:
    out = []
    for j, corpus in enumerate(CORPORA, 1):
        for i, (size, count, wait, frag) in enumerate(COMPRESSION_SIZES, 1):
            unit = "bytes" if corpus.key in ("bitmap", "prose", "pdf") else "characters"
            out.append(CaseSpec(f"12.{j}.{i}", f"{corpus.description}: send 1000 compressed messages of {size} "
                                               f"{unit}, auto-fragmented at {frag or 'no'} octets; default offer",
                                f"Every echo arrives intact within {wait} s.",
                                lambda s, c=corpus, n=size, k=count, w=wait, f=frag:
                                Compression(c, n, s.count(k), w, f, [Offer()])))
    for j, offers in enumerate(COMPRESSION_OFFERS, 1):
        offered = " + ".join(o.describe() for o in offers)
        for i, (size, count, wait, frag) in enumerate(COMPRESSION_SIZES, 1):
            out.append(CaseSpec(f"13.{j}.{i}", f"JSON records: send 1000 compressed messages of {size} characters, "
                                               f"auto-fragmented at {frag or 'no'} octets; offers {offered}",
                                f"Every echo arrives intact within {wait} s.",
                                lambda s, n=size, k=count, w=wait, f=frag, o=offers:
                                Compression(CORPORA[0], n, s.count(k), w, f, list(o))))
    return out


def catalogue() -> list[CaseSpec]:
    """Every case, in Autobahn's order."""
    return _group1() + _group2() + _group3_4() + _group5() + _group6() + _group7() + _group9() + [
        CaseSpec("10.1.1", "Send a 64 KiB text message auto-fragmented into 1300-octet frames",
                 "The echo arrives; clean close with 1000.", lambda s: AutoFragment())] + _group12_13()


def _patterns(spec: Union[str, Sequence[str], None]) -> list[str]:
    if spec is None:
        return []
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    return [p.strip() for p in items if p.strip()]


def _matches(case_id: str, patterns: list[str]) -> bool:
    """`1.*` and `1` both take group 1; `9.1.1` takes that case; fnmatch wildcards work."""
    return any(fnmatch.fnmatchcase(case_id, p) or case_id.startswith(p + ".") for p in patterns)


def select_cases(cases: Union[str, Sequence[str], None] = "*",
                 exclude: Union[str, Sequence[str], None] = ()) -> list[CaseSpec]:
    include, skip = _patterns(cases) or ["*"], _patterns(exclude)
    return [c for c in catalogue() if _matches(c.id, include) and not _matches(c.id, skip)]


# -- running and reporting -------------------------------------------------------------------

@dataclass
class CaseResult:
    id: str
    description: str
    expectation: str
    behavior: str
    behaviorClose: str
    duration: int                     # milliseconds
    detail: str = ""
    remoteCloseCode: Optional[int] = None
    localCloseCode: Optional[int] = None
    closedByMe: bool = False
    wasClean: bool = False
    droppedByMe: bool = False
    failedByMe: bool = False

    def passed(self) -> bool:
        return self.behavior in PASSING and self.behaviorClose in PASSING

    def line(self) -> str:
        text = f"{self.id:<9} {self.behavior:<16} {self.behaviorClose:<16} {self.duration:>7} ms"
        if not self.passed() and self.detail:
            text += f"  {self.detail}"
        return text


@dataclass
class Report:
    target: str
    started: str
    scale: float
    timer_scale: float
    case_timeout: float
    results: list[CaseResult] = field(default_factory=list)
    duration: float = 0.0             # seconds
    server: str = ""

    def summary(self) -> dict[str, dict[str, int]]:
        """Counts per category, for the case behaviour and for the close behaviour."""
        out: dict[str, dict[str, int]] = {}
        for key in ("behavior", "behaviorClose"):
            counts = collections.Counter(getattr(r, key) for r in self.results)
            out[key] = {c: counts[c] for c in CATEGORIES if counts[c]}
        return out

    def failures(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed()]

    def clean(self) -> bool:
        """No case FAILED, WRONG CODE, UNCLEAN (or FAILED BY CLIENT), in either grade."""
        return not self.failures()

    def summary_line(self) -> str:
        s = self.summary()
        fmt = lambda d: ", ".join(f"{k} {v}" for k, v in d.items()) or "-"  # noqa: E731
        return f"{len(self.results)} cases in {self.duration:.1f} s; behaviour: {fmt(s['behavior'])}; " \
               f"close: {fmt(s['behaviorClose'])}"

    def to_json(self) -> dict:
        return {"target": self.target, "server": self.server, "started": self.started,
                "duration_s": round(self.duration, 1), "scale": self.scale, "timer_scale": self.timer_scale,
                "case_timeout_s": self.case_timeout, "summary": self.summary(), "clean": self.clean(),
                "cases": [vars(r) for r in self.results]}

    def write_json(self, path: Union[str, Path]) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(self.to_json(), indent=1, ensure_ascii=False) + "\n")

    def text(self) -> str:
        lines = [f"WebSocket conformance (Autobahn fuzzingclient cases) against {self.target}"
                 + (f" ({self.server})" if self.server else ""),
                 f"started {self.started}, scale {self.scale:g}, timer scale {self.timer_scale:g}, "
                 f"case timeout {self.case_timeout:g} s", "",
                 f"{'case':<9} {'behaviour':<16} {'close':<16} {'time':>10}"]
        lines += [r.line() for r in self.results]
        lines += ["", self.summary_line()]
        failures = self.failures()
        if failures:
            lines += ["", "not passing:"]
            lines += [f"  {r.id} {r.behavior}/{r.behaviorClose}: {r.description}: {r.detail}" for r in failures]
        return "\n".join(lines) + "\n"

    def write_text(self, path: Union[str, Path]) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(self.text())


def run_case(host: str, port: int, path: str, spec: CaseSpec, settings: Settings) -> CaseResult:
    case = spec.make(settings)
    ws = Client(host, port, path, case, settings)
    start = time.monotonic()
    ws.run()
    case.evaluate(ws)
    detail = case.detail()
    if ws.violation:  # Autobahn's client would have failed the connection; here the case fails too
        case.behavior = FAILED
        detail = f"server protocol violation: {ws.violation}" + (f"; {detail}" if detail else "")
    if ws.case_timed_out:
        detail = f"case cut off after {settings.case_timeout:g} s" + (f"; {detail}" if detail else "")
    return CaseResult(spec.id, spec.description, spec.expectation, case.behavior, case.behavior_close,
                      int(round(1000 * (time.monotonic() - start))), detail[:600], ws.remote_close_code,
                      ws.local_close_code, ws.closed_by_me, ws.was_clean, ws.dropped_by_me, ws.failed_by_me)


def run(host: str, port: int, path: str = DEFAULT_PATH, cases: Union[str, Sequence[str], None] = "*",
        exclude: Union[str, Sequence[str], None] = (), case_timeout: float = DEFAULT_CASE_TIMEOUT,
        scale: float = 1.0, timer_scale: float = 1.0, progress: bool = True) -> Report:
    """Run the selected cases one after the other, each on a new connection, and grade them."""
    from .report import utc_now
    settings = Settings(case_timeout, scale, timer_scale)
    report = Report(f"ws://{host}:{port}{path}", utc_now(), scale, timer_scale, case_timeout)
    start = time.monotonic()
    for spec in select_cases(cases, exclude):
        result = run_case(host, port, path, spec, settings)
        report.results.append(result)
        if progress:
            print(result.line(), flush=True)
    report.duration = time.monotonic() - start
    return report


# -- validation against Node's ws -----------------------------------------------------------

class WsEchoServer:
    """tools/harness/ws_echo_server.js under Node on a free 127.0.0.1 port, for the runner's
    own validation. A context manager: the port once it listens; the process is ended on exit."""

    def __init__(self, timeout: float = 20.0):
        self.timeout = timeout
        self.process: Optional[subprocess.Popen] = None
        self.port = 0
        self.banner = ""

    def __enter__(self) -> "WsEchoServer":
        node = os.environ.get("CORONET_NODE") or shutil.which("node")
        if node is None or not (NODE_MODULES / "ws").is_dir():
            raise AssertionError(f"no node or no {NODE_MODULES / 'ws'} (tools/deps installs them)")
        self.process = subprocess.Popen([node, str(WS_ECHO_SERVER), "0", "127.0.0.1"], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, env={**os.environ, "NODE_PATH": str(NODE_MODULES)})
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], self.timeout)
        line = self.process.stdout.readline().decode(errors="replace").strip() if ready else ""
        m = re.search(r"listening on [^ ]*:(\d+)", line)
        if not m:
            self.__exit__()
            raise AssertionError(f"ws echo server did not start within {self.timeout:g} s: {line!r}")
        self.port, self.banner = int(m.group(1)), line
        return self

    def __exit__(self, *exc: object) -> None:
        p = self.process
        if p is None:
            return
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
        if p.stdout is not None:
            p.stdout.close()


def self_test_ws(cases: Union[str, Sequence[str], None] = "*", exclude: Union[str, Sequence[str], None] = (),
                 scale: float = SELF_TEST_SCALE, case_timeout: float = DEFAULT_CASE_TIMEOUT,
                 timer_scale: float = 1.0, report_path: Optional[Path] = None,
                 text_path: Optional[Path] = None) -> int:
    """Run the cases against Node's ws and fail on anything but OK, NON-STRICT, INFORMATIONAL
    and UNIMPLEMENTED: ws passes Autobahn, so a failure here is the runner's. Exit status."""
    what = "ws_conformance runner against Node's ws"
    try:
        with WsEchoServer() as server:
            print(server.banner, flush=True)
            report = run("127.0.0.1", server.port, "/", cases, exclude, case_timeout, scale, timer_scale)
            report.server = server.banner.split("(")[-1].rstrip(")") if "(" in server.banner else "ws"
    except AssertionError as e:
        return verdict(what, [str(e)])
    print(report.summary_line(), flush=True)
    if report_path:
        report.write_json(report_path)
    if text_path:
        report.write_text(text_path)
    problems = [f"{r.id} {r.behavior}/{r.behaviorClose} ({r.detail})" for r in report.failures()]
    if not report.results:
        problems.append("no case selected")
    return verdict(what, problems)


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m harness.ws_conformance",
                                 description="Autobahn-style WebSocket server conformance runner (cases 1-7, 9, "
                                             "10, 12, 13) against an echo server.")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int)
    ap.add_argument("--path", default=DEFAULT_PATH, help=f"request path (default {DEFAULT_PATH})")
    ap.add_argument("--cases", default="*", help="comma-separated case ids or patterns, e.g. '1.*,2.*,9.1.1'")
    ap.add_argument("--exclude", default="", help="comma-separated case ids or patterns to leave out")
    ap.add_argument("--report", type=Path, help="write the JSON report here")
    ap.add_argument("--text", type=Path, help="write the text report here")
    ap.add_argument("--case-timeout", type=float, default=DEFAULT_CASE_TIMEOUT,
                    help="longest a case may take; Autobahn's longer waits are cut to this (seconds)")
    ap.add_argument("--scale", type=float, help="multiply the message counts of 9.7/9.8/12.x/13.x "
                                                f"(default 1, {SELF_TEST_SCALE} with --self-test-ws)")
    ap.add_argument("--timer-scale", type=float, default=1.0,
                    help="stretch Autobahn's case timers (1 s waits, close timeouts) for slow targets")
    ap.add_argument("--list", action="store_true", help="list the selected cases and exit")
    ap.add_argument("--self-test-ws", action="store_true",
                    help="validate the runner: run the cases against Node's ws (tools/harness/ws_echo_server.js)")
    args = ap.parse_args(argv)
    if args.list:
        for c in select_cases(args.cases, args.exclude):
            print(f"{c.id:<9} {c.description}")
        return 0
    if args.self_test_ws:
        return self_test_ws(args.cases, args.exclude, SELF_TEST_SCALE if args.scale is None else args.scale,
                            args.case_timeout, args.timer_scale, args.report, args.text)
    if args.port is None:
        ap.error("--port is required (or --self-test-ws / --list)")
    report = run(args.host, args.port, args.path, args.cases, args.exclude, args.case_timeout,
                 1.0 if args.scale is None else args.scale, args.timer_scale)
    print(report.summary_line(), flush=True)
    if args.report:
        report.write_json(args.report)
    if args.text:
        report.write_text(args.text)
    return 0 if report.clean() else 1


if __name__ == "__main__":
    sys.exit(main())
