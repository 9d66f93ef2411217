"""Redis clients for the appliance's Redis server tests: the same command scripts sent to the
appliance and to a reference redis-server with the replies compared byte for byte
(differential), the real clients (redis-cli, redis-benchmark, python3-redis, ioredis) and raw sockets
for what no client sends on purpose (bad_input).

Each scenario raises AssertionError (or a socket error) on failure and prints one `ok:` line
per check. Run as a program against HOST:PORT, e.g. from inside a network namespace:
`ip netns exec ns env PYTHONPATH=tools python3 -m harness.redis_clients --host 10.77.0.2
--port 6379 differential --families strings` (net_test.py --client redis starts it so, through
Appliance). The reference redis-server is started by the scenario itself, on 127.0.0.1 in the
same namespace (the harness's namespace has its loopback up).

The differential scripts are data: tools/harness/redis_scripts/<family>.txt, one command a
line (see load_script for the format), plus the seeded `random` family generated here.
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import importlib.util
import io
import os
import random
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence, Union

from . import ROOT, module_command
from .echo_clients import connect, raise_file_limit

TIMEOUT = 10.0          # any one socket operation
REPLY_TIMEOUT = 30.0    # one whole reply, however many reads it takes
MAX_REPLY = 256 << 20   # a reply larger than this is a broken server, not a big value
SCRIPTS = Path(__file__).resolve().parent / "redis_scripts"
FAMILIES = ["connection", "strings", "keyspace", "lists", "hashes", "sets", "zsets", "transactions", "resp3",
            "random"]
# ioredis, installed by tools/deps from tools/harness/node's lock (CORONET_CACHE as tools/deps).
NODE_MODULES = Path(os.environ.get("CORONET_CACHE", ROOT / ".cache")) / "node" / "node_modules"
IOREDIS_SCRIPT = Path(__file__).resolve().parent / "redis_ioredis.js"
DEBIAN_PYTHON = "/usr/bin/python3"  # Debian's, with python3-redis (the `python3` on PATH may be another one)

Arg = Union[bytes, str, int]


def check(condition: bool, what: str, detail: object = "") -> None:
    if not condition:
        raise AssertionError(f"{what}: {detail}" if detail != "" else what)
    print(f"ok: {what}", flush=True)


def clip(data: bytes, limit: int = 400) -> str:
    """A raw reply for a message: repr, cut in the middle when long."""
    if len(data) <= limit:
        return repr(data)
    return f"{data[:limit // 2]!r} ... ({len(data)} bytes) ... {data[-limit // 4:]!r}"


# -- RESP ---------------------------------------------------------------------------------------

def encode(*args: Arg) -> bytes:
    """One command as a RESP multibulk of bulk strings (what every client library sends)."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


class Incomplete(Exception):
    """The buffer ends inside a reply."""


@dataclass
class Node:
    """One parsed reply: its type byte (as a one-character string), its raw bytes, the text of a
    simple or blob reply (None for a null), and the elements of an aggregate (pairs flattened
    for maps and attributes)."""

    kind: str
    raw: bytes
    value: Optional[bytes] = None
    items: Optional[list["Node"]] = None

    @property
    def header(self) -> bytes:
        return self.raw[:self.raw.index(b"\r\n") + 2]

    def integer(self) -> Optional[int]:
        return int(self.value) if self.kind == ":" and self.value is not None else None


SIMPLE = "+-:_,#("      # one line: simple string, error, integer, null, double, boolean, big number
BLOB = "$!="            # length-prefixed: bulk string, blob error, verbatim string
AGGREGATE = "*~>%|"     # array, set, push, map, attribute


def parse(buf: bytes, pos: int = 0) -> tuple[Node, int]:
    """The reply (RESP2 or RESP3) starting at buf[pos] and the offset after it. Raises
    Incomplete when the buffer ends first and AssertionError when the bytes are not RESP."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        if len(buf) - pos > 1 << 20:
            raise AssertionError(f"no line end in {clip(buf[pos:pos + 200])}")
        raise Incomplete
    kind, line, after = chr(buf[pos]), buf[pos + 1:end], end + 2
    if kind in SIMPLE:
        return Node(kind, buf[pos:after], line), after
    try:
        length = int(line)
    except ValueError:
        raise AssertionError(f"not a RESP length: {clip(buf[pos:after])}") from None
    if kind in BLOB:
        if length < 0:
            return Node(kind, buf[pos:after]), after
        if len(buf) < after + length + 2:
            raise Incomplete
        if buf[after + length:after + length + 2] != b"\r\n":
            raise AssertionError(f"a {length}-byte blob not followed by CRLF: {clip(buf[pos:after + length + 2])}")
        return Node(kind, buf[pos:after + length + 2], buf[after:after + length]), after + length + 2
    if kind in AGGREGATE:
        if length < 0:
            return Node(kind, buf[pos:after]), after
        items, p = [], after
        for _ in range(length * 2 if kind in "%|" else length):
            item, p = parse(buf, p)
            items.append(item)
        if kind == "|":  # an attribute: metadata in front of the reply it belongs to
            reply, p = parse(buf, p)
            return Node(reply.kind, buf[pos:p], reply.value, reply.items), p
        return Node(kind, buf[pos:p], None, items), p
    raise AssertionError(f"not a RESP type byte: {clip(buf[pos:pos + 80])}")


class ConnectionClosed(AssertionError):
    """The server ended the connection where a reply was expected."""


class RespConnection:
    """A socket to a Redis server that sends commands and reads replies one at a time,
    returning each as a Node with its raw bytes. Every read is bounded by TIMEOUT and every
    reply by REPLY_TIMEOUT."""

    def __init__(self, host: str, port: int, timeout: float = TIMEOUT):
        self.sock = connect(host, port, timeout)
        self.buffer = b""

    def __enter__(self) -> "RespConnection":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self, timeout: float = REPLY_TIMEOUT) -> Node:
        deadline = time.monotonic() + timeout
        while True:
            if self.buffer:
                try:
                    node, end = parse(self.buffer)
                    self.buffer = self.buffer[end:]
                    return node
                except Incomplete:
                    pass
            if time.monotonic() > deadline:
                raise AssertionError(f"no whole reply in {timeout:g} s: {clip(self.buffer)}")
            if len(self.buffer) > MAX_REPLY:
                raise AssertionError(f"a reply over {MAX_REPLY} bytes")
            data = self.sock.recv(1 << 20)
            if not data:
                raise ConnectionClosed(f"connection closed before a whole reply: {clip(self.buffer)}")
            self.buffer += data

    def command(self, *args: Arg) -> Node:
        self.send(encode(*args))
        return self.reply()

    def closed_by_peer(self, timeout: float = 5.0) -> bool:
        """True when the server ends the connection (FIN or reset) within `timeout`, with no
        more data before that."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.sock.settimeout(max(0.01, deadline - time.monotonic()))
                data = self.sock.recv(65536)
                if not data:
                    return True
                self.buffer += data
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            pass
        finally:
            self.sock.settimeout(TIMEOUT)
        return False

    def drain(self, quiet: float = 0.5, timeout: float = 10.0) -> tuple[list[Node], bool]:
        """Every reply that arrives until the server closes the connection or is quiet for
        `quiet` seconds: (the replies, whether it closed)."""
        replies: list[Node] = []
        closed = False
        deadline = time.monotonic() + timeout
        self.sock.settimeout(quiet)
        try:
            while time.monotonic() < deadline:
                try:
                    data = self.sock.recv(65536)
                except socket.timeout:
                    break
                except (ConnectionResetError, BrokenPipeError):
                    closed = True
                    break
                if not data:
                    closed = True
                    break
                self.buffer += data
        finally:
            self.sock.settimeout(TIMEOUT)
        while self.buffer:
            try:
                node, end = parse(self.buffer)
            except Incomplete:
                break
            replies.append(node)
            self.buffer = self.buffer[end:]
        return replies, closed


def ping(host: str, port: int) -> None:
    """A fresh connection's PING answers +PONG."""
    with RespConnection(host, port) as c:
        got = c.command("PING")
    assert got.raw == b"+PONG\r\n", f"PING on a fresh connection: {clip(got.raw)}"


# -- comparing replies --------------------------------------------------------------------------

# A rule says how a command's reply is compared: "sorted" (aggregate elements in any order),
# "pairs" (field-value pairs in any order), "scan"/"hscan" (cursor, then elements or pairs in any
# order), "ttl" (any positive integer stands for "expires": the value itself is checked with
# @range), a list (EXEC: one rule per queued command), or None (byte for byte).
Rule = Union[None, str, list]
RULES: dict[bytes, Rule] = {
    b"KEYS": "sorted", b"SMEMBERS": "sorted", b"SINTER": "sorted", b"SUNION": "sorted",
    b"SDIFF": "sorted", b"HKEYS": "sorted", b"HVALS": "sorted", b"HGETALL": "pairs",
    b"SCAN": "scan", b"SSCAN": "scan", b"HSCAN": "hscan", b"TTL": "ttl", b"PTTL": "ttl",
    # Random picks: only the reply's shape (how many, and of what) is compared.
    b"ZRANDMEMBER": "shape", b"ZSCAN": "hscan",
}


def rule_of(args: Sequence[bytes]) -> Rule:
    return RULES.get(args[0].upper()) if args else None


def canonical(node: Node, rule: Rule) -> bytes:
    """The reply's bytes with what the rule leaves unspecified put in a fixed form."""
    if rule == "shape":
        return shape(node).encode()
    if rule is None or node.items is None:
        if rule == "ttl" and node.kind == ":" and node.integer() > 0:
            return b":<positive>\r\n"
        return node.raw
    items = node.items
    if isinstance(rule, list):
        if len(rule) != len(items):
            return node.raw
        return node.header + b"".join(canonical(i, r) for i, r in zip(items, rule))
    if rule == "sorted":
        return node.header + b"".join(sorted(i.raw for i in items))
    if rule == "pairs":
        return node.header + b"".join(sorted(items[k].raw + items[k + 1].raw for k in range(0, len(items) - 1, 2)))
    if rule in ("scan", "hscan") and len(items) == 2:
        return node.header + items[0].raw + canonical(items[1], "sorted" if rule == "scan" else "pairs")
    return node.raw


def shape(node: Node) -> str:
    """The structure of a reply without its values, except map keys: `%{server:$,...}`."""
    if node.items is None:
        return node.kind if node.value is not None or node.kind in SIMPLE else node.kind + "null"
    if node.kind == "%" or (node.kind == "*" and all(i.kind in "$+" for i in node.items[::2])
                            and len(node.items) % 2 == 0 and len(node.items) >= 2 and node.items[0].value == b"server"):
        fields = [f"{k.value.decode(errors='replace')}:{shape(v)}" for k, v in zip(node.items[::2], node.items[1::2])]
        return node.kind + "{" + ",".join(fields) + "}"
    return node.kind + "[" + ",".join(shape(i) for i in node.items) + "]"


# -- the reference redis-server ---------------------------------------------------------------

def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class ReferenceServer:
    """Debian's redis-server on 127.0.0.1 and a free port, with no persistence, in a temporary
    directory; started on entering (ready once it answers PING), killed on leaving."""

    def __init__(self, binary: str = "redis-server", host: str = "127.0.0.1", extra: Sequence[str] = ()):
        self.binary, self.host, self.extra = binary, host, list(extra)
        self.port = 0
        self.process: Optional[subprocess.Popen] = None
        self.dir: Optional[tempfile.TemporaryDirectory] = None

    def __enter__(self) -> "ReferenceServer":
        if not shutil.which(self.binary):
            raise AssertionError(f"no {self.binary} (tools/deps installs redis-server)")
        self.dir = tempfile.TemporaryDirectory(prefix="coronet-redis-")
        self.port = free_port(self.host)
        log = Path(self.dir.name) / "redis.log"
        argv = [self.binary, "--port", str(self.port), "--bind", self.host, "--save", "", "--appendonly", "no",
                "--daemonize", "no", "--dir", self.dir.name, "--logfile", str(log), *self.extra]
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while True:
            try:
                with RespConnection(self.host, self.port, timeout=2) as c:
                    if c.command("PING").raw == b"+PONG\r\n":
                        break
            except (OSError, AssertionError):
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                text = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                self.__exit__(None, None, None)
                raise AssertionError(f"reference redis-server did not start on {self.host}:{self.port} "
                                     f"(is loopback up in this namespace?): {text}")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.dir:
            self.dir.cleanup()
            self.dir = None


# -- the differential scripts -------------------------------------------------------------------

@dataclass
class Step:
    """One line of a script: a directive ("command", "raw", "range", "shape", "sleep", "conn",
    "closed") with its arguments, and where it came from."""

    op: str
    args: list[bytes]
    where: str
    count: int = 1       # raw: replies to read
    low: int = 0         # range: bounds
    high: int = 0


_ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "a": b"\a", "b": b"\b", "\\": b"\\", '"': b'"', "'": b"'"}


def tokens(line: str, where: str) -> list[bytes]:
    """A script line's words. Unquoted words are taken as they are, with `{now+N}` / `{nowms+N}`
    replaced by the Unix time in seconds / milliseconds plus N. "double quotes" take \\xHH, \\n,
    \\r, \\t, \\\\ and \\" escapes; 'single quotes' are literal. A quoted word followed by `*N` is
    repeated N times ("ab"*3 is ababab)."""
    out: list[bytes] = []
    i, n = 0, len(line)
    while i < n:
        if line[i].isspace():
            i += 1
            continue
        if line[i] in "\"'":
            quote, i, word = line[i], i + 1, b""
            while True:
                if i >= n:
                    raise ValueError(f"{where}: unbalanced quotes")
                c = line[i]
                if c == quote:
                    i += 1
                    break
                if c == "\\" and i + 1 < n:
                    e = line[i + 1]
                    if quote == '"' and e == "x" and i + 3 < n:
                        word += bytes([int(line[i + 2:i + 4], 16)])
                        i += 4
                        continue
                    if quote == '"' and e in _ESCAPES or quote == "'" and e == "'":
                        word += _ESCAPES[e]
                        i += 2
                        continue
                word += c.encode()
                i += 1
            m = re.match(r"\*(\d+)", line[i:])
            if m:
                word *= int(m.group(1))
                i += m.end()
            if i < n and not line[i].isspace():
                raise ValueError(f"{where}: text right after a closing quote")
            out.append(word)
            continue
        j = i
        while j < n and not line[j].isspace():
            j += 1
        word = re.sub(r"\{(now|nowms)([+-]\d+)\}",
                      lambda m: str(int(time.time() * (1000 if m.group(1) == "nowms" else 1)) + int(m.group(2))),
                      line[i:j])
        out.append(word.encode())
        i = j
    return out


def load_script(family: str) -> list[Step]:
    """redis_scripts/<family>.txt. Each line is a command sent to both servers, replies compared
    (see RULES for the commands whose element order is unspecified), or a directive:
      @conn NAME           later commands on connection pair NAME (opened on first use; the
                           first pair is `main`)
      @raw N WORD          WORD's bytes sent as they are (no RESP framing), N replies compared
      @range LOW HIGH CMD  not compared: each server's reply must be an integer in [LOW, HIGH]
      @shape CMD           only the structure compared (types, lengths, map keys): HELLO
      @closed              both servers must close the current pair's connections now
      @sleep SECONDS
    `#` starts a comment line."""
    steps: list[Step] = []
    path = SCRIPTS / f"{family}.txt"
    for number, line in enumerate(path.read_text().splitlines(), 1):
        where = f"{path.name}:{number}"
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        words = tokens(text, where)
        head = words[0].decode(errors="replace")
        if head == "@raw":
            steps.append(Step("raw", words[2:3], where, count=int(words[1])))
        elif head == "@range":
            steps.append(Step("range", words[3:], where, low=int(words[1]), high=int(words[2])))
        elif head in ("@shape", "@conn", "@sleep", "@closed"):
            steps.append(Step(head[1:], words[1:], where))
        elif head.startswith("@"):
            raise ValueError(f"{where}: unknown directive {head}")
        else:
            steps.append(Step("command", words, where))
    return steps


class FamilyAborted(Exception):
    """A server stopped answering: the rest of the family cannot be compared."""


@dataclass
class Pair:
    """One connection to each server, with the MULTI state: the rules of the commands queued
    so far (None outside MULTI), so that EXEC's reply is compared element by element."""

    appliance: RespConnection
    reference: RespConnection
    queued: Optional[list] = None

    def close(self) -> None:
        self.appliance.close()
        self.reference.close()


@dataclass
class Differ:
    """Runs steps on the appliance and the reference side by side and records mismatches."""

    family: str
    appliance: tuple[str, int]
    reference: tuple[str, int]
    verbose: bool = False
    pairs: dict[str, Pair] = field(default_factory=dict)
    current: str = "main"
    compared: int = 0
    checked: int = 0
    mismatches: list[str] = field(default_factory=list)

    def pair(self) -> Pair:
        if self.current not in self.pairs:
            try:
                self.pairs[self.current] = Pair(RespConnection(*self.appliance), RespConnection(*self.reference))
            except OSError as e:
                raise FamilyAborted(f"cannot connect: {e}") from None
        return self.pairs[self.current]

    def close(self) -> None:
        for p in self.pairs.values():
            p.close()
        self.pairs.clear()

    def _exchange(self, data: bytes, count: int = 1) -> tuple[list[Node], list[Node]]:
        p = self.pair()
        got: list[list[Node]] = []
        for side, conn in (("appliance", p.appliance), ("redis-server", p.reference)):
            try:
                conn.send(data)
                got.append([conn.reply() for _ in range(count)])
            except (OSError, AssertionError) as e:
                raise FamilyAborted(f"{side}: {e}") from None
        return got[0], got[1]

    def mismatch(self, where: str, what: str, appliance: bytes, reference: bytes, note: str = "") -> None:
        text = (f"MISMATCH {self.family} {where}: {what}{note}\n"
                f"  appliance:    {clip(appliance)}\n  redis-server: {clip(reference)}")
        print(text, flush=True)
        self.mismatches.append(text)

    def command(self, args: Sequence[bytes], where: str) -> None:
        p = self.pair()
        name = args[0].upper() if args else b""
        rule = rule_of(args)
        if name == b"EXEC" and p.queued is not None:
            rule = p.queued
        mine, theirs = self._exchange(encode(*args))
        a, r = mine[0], theirs[0]
        self.compared += 1
        if canonical(a, rule) != canonical(r, rule):
            self.mismatch(where, describe(args), a.raw, r.raw)
        elif self.verbose:
            print(f"  same {where}: {describe(args)} -> {clip(r.raw, 120)}", flush=True)
        # MULTI bookkeeping, by the reference's replies.
        if name == b"MULTI" and p.queued is None and r.raw == b"+OK\r\n":
            p.queued = []
        elif name in (b"EXEC", b"DISCARD") and p.queued is not None:
            p.queued = None
        elif p.queued is not None and r.raw == b"+QUEUED\r\n":
            p.queued.append(rule)

    def raw(self, data: bytes, count: int, where: str) -> None:
        mine, theirs = self._exchange(data, count)
        self.compared += count
        for i, (a, r) in enumerate(zip(mine, theirs)):
            if a.raw != r.raw:
                self.mismatch(where, f"raw {clip(data, 120)}", a.raw, r.raw, f" (reply {i + 1} of {count})")
            elif self.verbose:
                print(f"  same {where}: raw {clip(data, 60)} -> {clip(r.raw, 120)}", flush=True)

    def range(self, args: Sequence[bytes], low: int, high: int, where: str) -> None:
        mine, theirs = self._exchange(encode(*args))
        self.checked += 1
        for side, node in (("appliance", mine[0]), ("redis-server", theirs[0])):
            value = node.integer()
            if value is None or not low <= value <= high:
                self.mismatch(where, describe(args), mine[0].raw, theirs[0].raw,
                              f" ({side}'s reply is not an integer in [{low}, {high}])")
                return

    def shape(self, args: Sequence[bytes], where: str) -> None:
        mine, theirs = self._exchange(encode(*args))
        self.checked += 1
        if shape(mine[0]) != shape(theirs[0]):
            self.mismatch(where, describe(args), mine[0].raw, theirs[0].raw,
                          f" (shapes differ: {shape(mine[0])} vs {shape(theirs[0])})")

    def closed(self, where: str) -> None:
        p = self.pair()
        self.checked += 1
        a, r = p.appliance.closed_by_peer(), p.reference.closed_by_peer()
        if a != r:
            self.mismatch(where, "connection closed by the server?", str(a).encode(), str(r).encode())
        p.close()
        del self.pairs[self.current]

    def run(self, steps: Sequence[Step]) -> None:
        for s in steps:
            if s.op == "command":
                self.command(s.args, s.where)
            elif s.op == "raw":
                self.raw(s.args[0], s.count, s.where)
            elif s.op == "range":
                self.range(s.args, s.low, s.high, s.where)
            elif s.op == "shape":
                self.shape(s.args, s.where)
            elif s.op == "closed":
                self.closed(s.where)
            elif s.op == "sleep":
                time.sleep(float(s.args[0]))
            elif s.op == "conn":
                self.current = s.args[0].decode()


def describe(args: Sequence[bytes], limit: int = 160) -> str:
    """A command as a line of text: printable words as they are, others quoted."""
    words = []
    for a in args:
        if len(a) > 60:
            words.append(f"<{len(a)} bytes {a[:20]!r}...>")
        elif a and re.fullmatch(rb"[\x21-\x7e]+", a) and b'"' not in a:
            words.append(a.decode())
        else:
            words.append(repr(a)[1:])
    text = " ".join(words)
    return text if len(text) <= limit else text[:limit] + "..."


# -- the random family ----------------------------------------------------------------------------

# Values the random commands store. Numbers stay small and increments binary fractions, so every
# INCRBYFLOAT result is exact in a double as in Redis's long double and prints alike.
VALUES = [b"", b"a", b"b", b"hello", b"hello world", b"0", b"1", b"-1", b"42", b"3.5", b"-0.25", b"10.50",
          b"007", b" 1", b"1e3", b"\x00\xff\r\n", b"x" * 100, b"\xe2\x82\xac", b"9999999999"]
# What APPEND and SETRANGE write: no digits, so no number is made that a double, an x87 long
# double and a quad precision one would round differently.
PIECES = [b"", b"a", b" world", b"\x00\xff", b"x" * 100, b"\xe2\x82\xac", b"!"]
INCREMENTS = [b"0", b"1", b"-1", b"5", b"-100", b"1000000", b"x", b"1.5", b""]
FLOAT_INCREMENTS = [b"0.5", b"-0.25", b"1.5e2", b"3", b"-7.125", b"0", b"abc", b"1e3"]
# Each type has its keys, used by its commands 19 times in 20 (WRONGTYPE the rest of the time);
# each type's DEL puts back keys that another type took over.
KEYS = {"strings": [b"s0", b"s1", b"s2"], "lists": [b"l0", b"l1", b"l2"], "hashes": [b"h0", b"h1", b"h2"],
        "sets": [b"t0", b"t1", b"t2"]}
ALL_KEYS = [k for keys in KEYS.values() for k in keys]
FIELDS = [b"f0", b"f1", b"f2", b"f3", b""]


def random_commands(seed: int, ops: int, families: Sequence[str] = ()) -> Iterator[list[bytes]]:
    """`ops` commands over a small key space mixing the commands of `families` (of strings,
    keyspace, lists, hashes and sets; all of them when none is named; SET and GET always), so
    that types collide (WRONGTYPE) and keys appear and vanish. Nothing whose reply depends on
    time or chance: expiries are far away or already past, no SPOP/SRANDMEMBER/RANDOMKEY."""
    rng = random.Random(seed)
    family = ["strings"]
    key = lambda: rng.choice(KEYS[family[0]] if family[0] in KEYS and rng.random() < 0.95 else ALL_KEYS)  # noqa: E731
    val = lambda: rng.choice(VALUES)  # noqa: E731
    fld = lambda: rng.choice(FIELDS)  # noqa: E731
    num = lambda lo, hi: str(rng.randint(lo, hi)).encode()  # noqa: E731
    side = lambda: rng.choice([b"LEFT", b"RIGHT"])  # noqa: E731
    makers: list[tuple[str, int, Callable[[], list[bytes]]]] = [
        ("core", 6, lambda: [b"SET", key(), val()]),
        ("strings", 1, lambda: [b"SET", key(), val(), rng.choice([b"NX", b"XX", b"GET", b"KEEPTTL"])]),
        ("strings", 1, lambda: [b"SET", key(), val(), b"EX", num(1000, 100000)]),
        ("core", 5, lambda: [b"GET", key()]),
        ("strings", 1, lambda: [b"GETSET", key(), val()]),
        ("strings", 1, lambda: [b"GETDEL", key()]),
        ("strings", 1, lambda: [b"SETNX", key(), val()]),
        ("strings", 1, lambda: [b"MSET", key(), val(), key(), val()]),
        ("strings", 1, lambda: [b"MSETNX", key(), val(), key(), val()]),
        ("strings", 2, lambda: [b"MGET", key(), key(), key()]),
        ("strings", 2, lambda: [b"APPEND", key(), rng.choice(PIECES)]),
        ("strings", 1, lambda: [b"STRLEN", key()]),
        ("strings", 1, lambda: [b"GETRANGE", key(), num(-5, 5), num(-5, 20)]),
        ("strings", 1, lambda: [b"SETRANGE", key(), num(0, 12), rng.choice(PIECES)]),
        ("strings", 2, lambda: [b"INCR", key()]),
        ("strings", 1, lambda: [b"DECR", key()]),
        ("strings", 2, lambda: [b"INCRBY", key(), rng.choice(INCREMENTS)]),
        ("strings", 1, lambda: [b"DECRBY", key(), rng.choice(INCREMENTS)]),
        ("strings", 2, lambda: [b"INCRBYFLOAT", key(), rng.choice(FLOAT_INCREMENTS)]),
        ("strings", 1, lambda: [b"SETBIT", key(), num(0, 40), num(0, 1)]),
        ("strings", 1, lambda: [b"GETBIT", key(), num(0, 50)]),
        ("strings", 1, lambda: [b"BITCOUNT", key()]),
        ("strings", 1, lambda: [b"BITPOS", key(), num(0, 1)]),
        ("keyspace", 2, lambda: [b"DEL", key(), key()]),
        ("keyspace", 2, lambda: [b"EXISTS", key(), key()]),
        ("keyspace", 2, lambda: [b"TYPE", key()]),
        ("keyspace", 1, lambda: [b"RENAME", key(), key()]),
        ("keyspace", 1, lambda: [b"RENAMENX", key(), key()]),
        ("keyspace", 1, lambda: [b"COPY", key(), key()] + rng.choice([[], [b"REPLACE"]])),
        ("keyspace", 1, lambda: [b"EXPIRE", key(), rng.choice([b"100000", b"-1", b"0", b"5000"])]
            + rng.choice([[], [b"NX"], [b"XX"], [b"GT"], [b"LT"]])),
        ("keyspace", 1, lambda: [b"PERSIST", key()]),
        ("keyspace", 1, lambda: [rng.choice([b"TTL", b"PTTL"]), key()]),
        ("keyspace", 1, lambda: [b"KEYS", rng.choice([b"*", b"s[0-1]", b"?1", b"x*"])]),
        ("keyspace", 1, lambda: [b"DBSIZE"]),
        ("lists", 1, lambda: [b"DEL", key()]),
        ("lists", 3, lambda: [rng.choice([b"LPUSH", b"RPUSH"]), key(), val(), val()]),
        ("lists", 1, lambda: [rng.choice([b"LPUSHX", b"RPUSHX"]), key(), val()]),
        ("lists", 2, lambda: [rng.choice([b"LPOP", b"RPOP"]), key()] + rng.choice([[], [num(0, 3)]])),
        ("lists", 3, lambda: [b"LRANGE", key(), num(-4, 2), num(-2, 10)]),
        ("lists", 1, lambda: [b"LINDEX", key(), num(-4, 4)]),
        ("lists", 1, lambda: [b"LSET", key(), num(-3, 3), val()]),
        ("lists", 1, lambda: [b"LINSERT", key(), rng.choice([b"BEFORE", b"AFTER"]), val(), val()]),
        ("lists", 1, lambda: [b"LREM", key(), num(-2, 2), val()]),
        ("lists", 1, lambda: [b"LTRIM", key(), num(-3, 3), num(-3, 5)]),
        ("lists", 2, lambda: [b"LLEN", key()]),
        ("lists", 1, lambda: [b"LPOS", key(), val()] + rng.choice([[], [b"RANK", b"-1"], [b"COUNT", b"0"]])),
        ("lists", 1, lambda: [b"LMOVE", key(), key(), side(), side()]),
        ("lists", 1, lambda: [b"LMPOP", b"2", key(), key(), rng.choice([b"LEFT", b"RIGHT"]), b"COUNT", num(1, 3)]),
        ("hashes", 1, lambda: [b"DEL", key()]),
        ("hashes", 3, lambda: [b"HSET", key(), fld(), val()] + rng.choice([[], [fld(), val()]])),
        ("hashes", 1, lambda: [b"HSETNX", key(), fld(), val()]),
        ("hashes", 2, lambda: [b"HGET", key(), fld()]),
        ("hashes", 1, lambda: [b"HMGET", key(), fld(), fld()]),
        ("hashes", 1, lambda: [b"HDEL", key(), fld(), fld()]),
        ("hashes", 2, lambda: [b"HGETALL", key()]),
        ("hashes", 1, lambda: [rng.choice([b"HKEYS", b"HVALS", b"HLEN"]), key()]),
        ("hashes", 1, lambda: [b"HEXISTS", key(), fld()]),
        ("hashes", 1, lambda: [b"HSTRLEN", key(), fld()]),
        ("hashes", 1, lambda: [b"HINCRBY", key(), fld(), rng.choice(INCREMENTS)]),
        ("hashes", 1, lambda: [b"HINCRBYFLOAT", key(), fld(), rng.choice(FLOAT_INCREMENTS)]),
        ("sets", 1, lambda: [b"DEL", key()]),
        ("sets", 3, lambda: [b"SADD", key(), val(), val()]),
        ("sets", 1, lambda: [b"SADD", key(), num(-3, 20), num(-3, 20)]),  # integer sets (intset encoding)
        ("sets", 1, lambda: [b"SREM", key(), val(), num(-3, 20)]),
        ("sets", 2, lambda: [b"SMEMBERS", key()]),
        ("sets", 1, lambda: [b"SISMEMBER", key(), val()]),
        ("sets", 1, lambda: [b"SMISMEMBER", key(), val(), val()]),
        ("sets", 1, lambda: [b"SCARD", key()]),
        ("sets", 1, lambda: [b"SMOVE", key(), key(), val()]),
        ("sets", 1, lambda: [rng.choice([b"SINTER", b"SUNION", b"SDIFF"]), key(), key()]),
        ("sets", 1, lambda: [rng.choice([b"SINTERSTORE", b"SUNIONSTORE", b"SDIFFSTORE"]), key(), key(), key()]),
        ("sets", 1, lambda: [b"SINTERCARD", b"2", key(), key()] + rng.choice([[], [b"LIMIT", num(0, 3)]])),
    ]
    named = {f for f, _, _ in makers} & set(families)
    chosen = [(f, w, make) for f, w, make in makers if not named or f in named or f == "core"]
    weights = [w for _, w, _ in chosen]
    for _ in range(ops):
        f, _, make = rng.choices(chosen, weights)[0]
        # Keyspace commands (RENAME, COPY...) take their keys mostly from one type's, chosen per command.
        family[0] = "strings" if f == "core" else rng.choice(list(KEYS)) if f == "keyspace" else f
        yield make()


def run_random(d: Differ, seed: int, ops: int, families: Sequence[str], batch: int = 32) -> None:
    """The random commands, pipelined `batch` at a time to each server, every reply compared.
    Stops after 20 differences: later ones follow from the state already differing."""
    commands = list(random_commands(seed, ops, families))
    for start in range(0, len(commands), batch):
        chunk = commands[start:start + batch]
        mine, theirs = d._exchange(b"".join(encode(*c) for c in chunk), len(chunk))
        for i, (c, a, r) in enumerate(zip(chunk, mine, theirs)):
            rule = rule_of(c)
            d.compared += 1
            if canonical(a, rule) != canonical(r, rule):
                d.mismatch(f"seed {seed} op {start + i}", describe(c), a.raw, r.raw)
        if len(d.mismatches) >= 20:
            raise FamilyAborted(f"stopped after {len(d.mismatches)} differences at op {start + len(chunk)}")


def flushall(where: tuple[str, int]) -> None:
    try:
        with RespConnection(*where) as c:
            reply = c.command("FLUSHALL")
    except (OSError, AssertionError) as e:
        raise FamilyAborted(f"FLUSHALL on {where[0]}:{where[1]}: {e}") from None
    if reply.raw != b"+OK\r\n":
        raise FamilyAborted(f"FLUSHALL on {where[0]}:{where[1]}: {clip(reply.raw)}")


def differential(host: str, port: int, families: Sequence[str] = FAMILIES, seed: int = 1, ops: int = 5000,
                 redis_server: str = "redis-server", verbose: bool = False) -> None:
    """Every family's script on the appliance and on a reference redis-server, replies compared
    byte for byte (order-free where Redis leaves the order unspecified), both FLUSHALLed and on
    fresh connections before each family. All families run; the scenario fails at the end if any
    reply differed, after printing each difference. `random` mixes the commands of the other
    families named (all when none is)."""
    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        raise AssertionError(f"unknown families {unknown} (known: {', '.join(FAMILIES)})")
    failed: list[str] = []
    with ReferenceServer(redis_server) as ref:
        print(f"reference: {redis_version(redis_server)} on {ref.host}:{ref.port}", flush=True)
        for family in families:
            d = Differ(family, (host, port), (ref.host, ref.port), verbose)
            aborted = ""
            try:
                flushall((host, port))
                flushall((ref.host, ref.port))
                if family == "random":
                    run_random(d, seed, ops, families)
                else:
                    d.run(load_script(family))
            except FamilyAborted as e:
                aborted = str(e)
                print(f"ABORTED {family}: {e}", flush=True)
            finally:
                d.close()
            if d.mismatches or aborted:
                print(f"FAILED {family}: {len(d.mismatches)} of {d.compared + d.checked} replies differ"
                      + (f", then aborted ({aborted})" if aborted else ""), flush=True)
                failed.append(family)
                continue
            what = f"{family}: {d.compared} replies identical to redis-server's"
            if d.checked:
                what += f", {d.checked} more checks"
            if family == "random":
                what += f" (seed {seed}, {ops} operations)"
            check(True, what)
    if failed:
        raise AssertionError(f"replies differ from redis-server's in: {', '.join(failed)}")


def redis_version(binary: str) -> str:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return binary
    m = re.search(r"v=(\S+)", out)
    return f"redis-server {m.group(1)}" if m else binary


# -- redis-cli ------------------------------------------------------------------------------------

def redis_cli(host: str, port: int, *args: Union[str, bytes], data: Optional[bytes] = None,
              timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(["redis-cli", "-h", host, "-p", str(port), *args], input=data,
                          capture_output=True, timeout=timeout)


def mass_insert(count: int) -> bytes:
    """`count` SET commands as RESP, what `redis-cli --pipe` reads (key:N -> value:N)."""
    return b"".join(encode(b"SET", b"key:%d" % i, b"value:%d" % i) for i in range(count))


def cli(host: str, port: int, count: int = 100000) -> None:
    r = redis_cli(host, port, "PING")
    check(r.returncode == 0 and r.stdout == b"PONG\n", "redis-cli PING: PONG", r.stdout + r.stderr)

    value = b"a value with spaces, \x01\x7f\xc3\xa9\xff and a tab\t"
    r = redis_cli(host, port, "SET", "cli:text", value)
    check(r.returncode == 0 and r.stdout == b"OK\n", "redis-cli SET of a value with spaces and high bytes",
          r.stdout + r.stderr)
    r = redis_cli(host, port, "--raw", "GET", "cli:text")
    check(r.stdout == value + b"\n", "redis-cli --raw GET returns it unchanged", r.stdout)
    binary = bytes(range(256)) * 4
    r = redis_cli(host, port, "-x", "SET", "cli:binary", data=binary)
    check(r.returncode == 0 and r.stdout == b"OK\n", "redis-cli -x SET of 1 KiB of every byte value",
          r.stdout + r.stderr)
    r = redis_cli(host, port, "--raw", "GET", "cli:binary")
    check(r.stdout == binary + b"\n", "redis-cli --raw GET returns every byte", clip(r.stdout))
    r = redis_cli(host, port, "--no-raw", "GET", "cli:binary")
    check(r.stdout.startswith(b'"\\x00\\x01\\x02') and r.stdout.endswith(b'\\xfe\\xff"\n'),
          "redis-cli shows it escaped", clip(r.stdout))
    r = redis_cli(host, port, "--no-raw", "GET", "cli:missing")
    check(r.stdout == b"(nil)\n", "redis-cli GET of a missing key: (nil)", r.stdout)
    r = redis_cli(host, port, "--no-raw", "INCR", "cli:text")
    check(r.stdout == b"(error) ERR value is not an integer or out of range\n",
          "redis-cli shows an error reply", r.stdout)

    # RESP3: redis-cli -3 says HELLO 3 on connecting and prints replies by their RESP3 type:
    # HELLO's own reply is a map (`1# "server" => ...`), a RESP2 array without -3.
    r = redis_cli(host, port, "-3", "HELLO", "3")
    lines = r.stdout.decode(errors="replace").splitlines()
    check(r.returncode == 0 and "proto 3" in lines and any(l.startswith("server ") for l in lines),
          "redis-cli -3 HELLO 3: the map says proto 3", r.stdout + r.stderr)
    r = redis_cli(host, port, "-3", "--no-raw", "HELLO", "3")
    lines = r.stdout.decode(errors="replace").splitlines()
    check(r.returncode == 0 and len(lines) >= 3 and lines[0].startswith('1# "server" => ')
          and '3# "proto" => (integer) 3' in lines,
          "redis-cli -3 shows HELLO's reply as a RESP3 map", r.stdout + r.stderr)
    r = redis_cli(host, port, "--no-raw", "HELLO", "2")
    lines = r.stdout.decode(errors="replace").splitlines()
    check(r.returncode == 0 and [l.strip() for l in lines[:2]] == ['1) "server"', '2) "redis"'],
          "and HELLO 2 as a RESP2 array", r.stdout + r.stderr)
    r = redis_cli(host, port, "-3", "--no-raw", "GET", "cli:missing")
    check(r.stdout == b"(nil)\n", "redis-cli -3 GET of a missing key: (nil)", r.stdout + r.stderr)
    r = redis_cli(host, port, "-3", "--raw", "GET", "cli:text")
    check(r.stdout == value + b"\n", "redis-cli -3 GET of the value", r.stdout + r.stderr)

    # Mass insertion: redis-cli --pipe writes the RESP as it is and ends with an ECHO of 20
    # random bytes, whose echo tells it the last reply has come.
    r = redis_cli(host, port, "FLUSHALL")
    check(r.stdout == b"OK\n", "FLUSHALL", r.stdout + r.stderr)
    started = time.monotonic()
    r = redis_cli(host, port, "--pipe", data=mass_insert(count), timeout=300)
    seconds = time.monotonic() - started
    text = (r.stdout + r.stderr).decode(errors="replace")
    check(r.returncode == 0 and f"errors: 0, replies: {count}" in text,
          f"redis-cli --pipe: {count} SETs, errors: 0, replies: {count} ({seconds:.1f} s)", text[-500:])
    r = redis_cli(host, port, "DBSIZE")
    check(r.stdout == b"%d\n" % count, f"DBSIZE = {count}", r.stdout)
    for i in (0, 1, count // 2, count - 1):
        r = redis_cli(host, port, "GET", f"key:{i}")
        check(r.stdout == b"value:%d\n" % i, f"GET key:{i} = value:{i}", r.stdout)
    ping(host, port)
    check(True, "still serving PING")


# -- redis-benchmark ------------------------------------------------------------------------------

BENCHMARK_TESTS = ["ping_inline", "ping_mbulk", "set", "get", "incr", "lpush", "rpush", "lpop", "rpop",
                   "sadd", "hset", "spop", "lrange_100", "mset"]


def run_benchmark(host: str, port: int, requests: int, clients: int = 50, pipeline: int = 1,
                  tests: Sequence[str] = BENCHMARK_TESTS, timeout: float = 600) -> dict[str, float]:
    """redis-benchmark --csv: requests/s by test name as given in `tests`. Fails on a non-zero
    exit or any error reply: redis-benchmark 7.0 prints `Error from server: ...` (and exits 1)
    on the first one. A missing CONFIG (its `WARNING: Could not fetch server CONFIG`) is fine."""
    argv = ["redis-benchmark", "-h", host, "-p", str(port), "-t", ",".join(tests), "-n", str(requests),
            "-c", str(clients), "-P", str(pipeline), "--csv"]
    label = f"redis-benchmark -c {clients} -n {requests}" + (f" -P {pipeline}" if pipeline > 1 else "")
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"{label} did not finish in {timeout:g} s: {(e.stdout or b'')[-500:]!r}") from None
    output = r.stdout + r.stderr
    errors = [l for l in output.splitlines() if re.search(r"\berror\b|^ERR|Error from server", l, re.I)]
    check(r.returncode == 0 and not errors, f"{label}: exit 0, no error replies",
          f"exit {r.returncode}: {errors[:5] or output[-800:]}")
    rates: dict[str, float] = {}
    for row in csv.reader(io.StringIO(r.stdout)):
        if len(row) >= 2 and row[0] != "test":
            name = row[0].split(" (")[0].lower()
            if "needed to" not in row[0]:
                rates[name] = float(row[1])
    missing = [t for t in tests if rates.get(t, 0) <= 0]
    check(not missing, f"{label}: every test reports a rate", f"missing or zero: {missing}: {r.stdout[-800:]}")
    print(f"{label}: " + ", ".join(f"{t} {rates[t]:.0f}/s" for t in tests), flush=True)
    return rates


def benchmark(host: str, port: int, requests: int = 20000) -> None:
    run_benchmark(host, port, requests)
    run_benchmark(host, port, requests, pipeline=16)
    ping(host, port)
    check(True, "still serving PING")


# -- python3-redis --------------------------------------------------------------------------------

def library(host: str, port: int) -> None:
    if importlib.util.find_spec("redis") is None:
        if os.path.realpath(sys.executable) == os.path.realpath(DEBIAN_PYTHON) or not Path(DEBIAN_PYTHON).is_file():
            raise AssertionError("no python3-redis (tools/deps installs it)") from None
        # python3-redis is Debian's: run this scenario again under Debian's Python.
        print(f"python3-redis is not importable here: running the scenario under {DEBIAN_PYTHON}", flush=True)
        argv = module_command("harness.redis_clients", "--host", host, "--port", str(port), "library",
                              python=DEBIAN_PYTHON)
        r = subprocess.run(argv, timeout=600)
        check(r.returncode == 0, f"the library scenario under {DEBIAN_PYTHON}", f"exit {r.returncode}")
        return
    _library(host, port)


def ioredis(host: str, port: int) -> None:
    """tools/harness/redis_ioredis.js: the Node.js client's own calls (its output is its checks)."""
    node = shutil.which("node")
    if node is None or not (NODE_MODULES / "ioredis").is_dir():
        raise AssertionError(f"no node or no {NODE_MODULES / 'ioredis'} (tools/deps installs them)")
    r = subprocess.run([node, str(IOREDIS_SCRIPT), host, str(port)], timeout=120,
                       env={**os.environ, "NODE_PATH": str(NODE_MODULES)})
    check(r.returncode == 0, "the ioredis scenario", f"exit {r.returncode}")


def _library(host: str, port: int) -> None:
    import redis

    options = dict(host=host, port=port, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
    r = redis.Redis(**options)
    check(r.ping() is True, f"redis-py {redis.__version__}: PING")
    r.flushall()
    check(r.set("lib:key", b"\x00binary\xff") is True and r.get("lib:key") == b"\x00binary\xff",
          "SET/GET of binary bytes")
    check(r.set("lib:nx", "1", nx=True) is True and r.set("lib:nx", "2", nx=True) is None, "SET NX")
    check(r.set("lib:ttl", "v", ex=1000) and 990 <= r.ttl("lib:ttl") <= 1000, "SET EX, TTL")
    check(r.incrbyfloat("lib:float", 2.5) == 2.5 and r.incrbyfloat("lib:float", 0.25) == 2.75, "INCRBYFLOAT")
    try:
        r.incr("lib:key")
        raise AssertionError("INCR of a non-number did not fail")
    except redis.ResponseError as e:
        check(str(e) == "value is not an integer or out of range", "an error reply raises ResponseError", e)
    try:
        r.lpush("lib:key", "x")
        raise AssertionError("LPUSH on a string did not fail")
    except redis.ResponseError as e:
        check(str(e).startswith("WRONGTYPE"), "WRONGTYPE raises ResponseError", e)

    # The connection handshake with a database: redis-py says SELECT 1 on connecting.
    db1 = redis.Redis(db=1, **options)
    db1.set("lib:db1", "one")
    check(db1.get("lib:db1") == b"one" and r.get("lib:db1") is None and db1.dbsize() == 1,
          "db=1 (SELECT on connect) keeps its keys apart from db 0")
    db1.close()

    pipe = r.pipeline(transaction=False)
    for i in range(1000):
        if i % 3 == 0:
            pipe.set(f"lib:p:{i}", i)
        elif i % 3 == 1:
            pipe.incr("lib:counter")
        else:
            pipe.rpush("lib:list", i)
    results = pipe.execute()
    expected = [True if i % 3 == 0 else (i // 3 + 1) for i in range(1000)]
    check(results == expected, "pipeline(transaction=False) of 1 000 commands, every reply in order",
          [(i, a, b) for i, (a, b) in enumerate(zip(results, expected)) if a != b][:5])
    check(r.get("lib:p:999") == b"999" and r.llen("lib:list") == 333, "and they all took effect")

    with r.pipeline() as t:
        t.set("lib:tx", "a").append("lib:tx", "b").get("lib:tx").lpush("lib:tx", "x")
        try:
            out = t.execute(raise_on_error=False)
        except redis.ResponseError as e:
            raise AssertionError(f"MULTI/EXEC: {e}") from None
    check(out[:3] == [True, 2, b"ab"] and isinstance(out[3], redis.ResponseError),
          "pipeline(transaction=True): MULTI/EXEC, a runtime error stays in its slot", out)

    # Optimistic locking: two clients increment one counter through WATCH/MULTI/EXEC.
    r.set("lib:watched", 0)
    per_client, retries, problems = 200, [0, 0], []

    def worker(index: int) -> None:
        client = redis.Redis(**options)
        try:
            for _ in range(per_client):
                for _attempt in range(1000):
                    with client.pipeline() as p:
                        try:
                            p.watch("lib:watched")
                            value = int(p.get("lib:watched"))
                            p.multi()
                            p.set("lib:watched", value + 1)
                            p.execute()
                            break
                        except redis.WatchError:
                            retries[index] += 1
                else:
                    problems.append(f"client {index}: 1 000 WatchErrors in a row")
                    return
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            problems.append(f"client {index}: {e!r}")
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(300)
    check(not problems and not any(th.is_alive() for th in threads), "WATCH clients finished", problems)
    final = int(r.get("lib:watched"))
    check(final == 2 * per_client, f"WATCH/MULTI/EXEC from 2 clients: counter {final} = {2 * per_client} "
          f"({sum(retries)} retries on WatchError)", final)

    exec_atomicity(host, port)
    _library_pubsub(redis, r, options)
    _library_blocking(redis, r, options)

    text = redis.Redis(decode_responses=True, **options)
    text.hset("lib:hash", mapping={"a": "1", "b": "é"})
    text.sadd("lib:set", "x", "y")
    check(text.hgetall("lib:hash") == {"a": "1", "b": "é"} and text.smembers("lib:set") == {"x", "y"}
          and text.get("lib:missing") is None and text.mget("lib:p:0", "lib:missing") == ["0", None],
          "decode_responses=True: str values, dict and set replies")
    text.close()
    r.close()


def _next_message(pubsub, timeout: float = TIMEOUT) -> dict:
    """The next message (not a subscription confirmation), within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
        if message is not None:
            return message
    raise AssertionError(f"no pub/sub message within {timeout} s")


def exec_atomicity(host: str, port: int) -> None:
    """EXEC runs its queue with nothing in between, even when its reply is big and the client
    reads it slowly: another client hammering the same key must not get in."""
    with RespConnection(host, port) as c:
        c.command("DEL", "atom:big", "atom:k")
        for start in range(0, 20000, 1000):
            c.command("RPUSH", "atom:big", *[b"x" * 100 for _ in range(1000)])
    slow = socket.create_connection((host, port), timeout=TIMEOUT)
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.sendall(encode("MULTI") + encode("SET", "atom:k", "mine") + encode("LRANGE", "atom:big", 0, -1)
                 + encode("GET", "atom:k") + encode("EXEC"))
    stop = threading.Event()

    def hammer() -> None:
        with RespConnection(host, port) as other:
            while not stop.is_set():
                other.command("SET", "atom:k", "theirs")

    th = threading.Thread(target=hammer)
    th.start()
    time.sleep(0.5)  # the EXEC's 2 MB reply meets a client that is not reading yet
    buffer = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            chunk = slow.recv(4096)
            if not chunk:
                break
            buffer += chunk
            time.sleep(0.0005)
            if buffer.endswith(b"$4\r\nmine\r\n") or buffer.endswith(b"$6\r\ntheirs\r\n"):
                break
    finally:
        stop.set()
        th.join(30)
        slow.close()
    check(buffer.endswith(b"$4\r\nmine\r\n"),
          "EXEC with a 2 MB reply read slowly: its GET still sees its own SET (nothing ran in between)",
          clip(buffer[-60:]))


def _library_pubsub(redis, r, options: dict) -> None:
    """Pub/sub through redis-py: channels and patterns, counts, PUBSUB introspection, and
    keyspace notifications of expired keys."""
    p = r.pubsub()
    p.subscribe("lib:news")
    p.psubscribe("lib:n*")
    for _ in range(2):  # the two confirmations
        check(p.get_message(timeout=TIMEOUT) is not None, "SUBSCRIBE/PSUBSCRIBE confirmed")
    check(r.publish("lib:news", "hello") == 2, "PUBLISH reaches the channel and the pattern subscriber")
    got = sorted((m["type"], m["channel"], m["data"], m.get("pattern")) for m in
                 (_next_message(p), _next_message(p)))
    check(got == [("message", b"lib:news", b"hello", None), ("pmessage", b"lib:news", b"hello", b"lib:n*")],
          "a message and a pmessage, with channel, pattern and payload", got)
    check(r.publish("lib:other", "x") == 0, "PUBLISH to a channel nobody listens to counts 0")
    check(r.pubsub_numsub("lib:news") == [(b"lib:news", 1)] and r.pubsub_numpat() == 1
          and b"lib:news" in r.pubsub_channels("lib:*"), "PUBSUB NUMSUB, NUMPAT, CHANNELS")
    for i in range(100):
        r.publish("lib:news", f"m{i}")
    order = [_next_message(p) for _ in range(200)]
    check([m["data"] for m in order if m["type"] == "message"] == [f"m{i}".encode() for i in range(100)],
          "100 messages arrive in publication order")
    p.unsubscribe()
    p.punsubscribe()
    p.close()
    check(r.pubsub_numsub("lib:news") == [(b"lib:news", 0)], "after UNSUBSCRIBE nobody listens")

    r.config_set("notify-keyspace-events", "Ex")
    events = r.pubsub()
    events.psubscribe("__keyevent@0__:expired")
    events.get_message(timeout=TIMEOUT)
    r.set("lib:short", "v", px=50)
    message = _next_message(events)
    check(message["channel"] == b"__keyevent@0__:expired" and message["data"] == b"lib:short",
          "notify-keyspace-events Ex: an expired key is announced (active expiry, nobody read it)", message)
    events.close()
    r.config_set("notify-keyspace-events", "")


def _library_blocking(redis, r, options: dict) -> None:
    """Blocking pops through redis-py: served in arrival order by pushes from another client,
    before that client's next pipelined command, and timeouts."""
    r.delete("lib:q", "lib:q2", "lib:src", "lib:dst")
    results: dict[str, object] = {}

    def pop(name: str, keys: list[str], timeout: float) -> None:
        client = redis.Redis(**options)
        started = time.monotonic()
        results[name] = (client.blpop(keys, timeout), time.monotonic() - started)
        client.close()

    waiters = []
    for i in range(3):
        th = threading.Thread(target=pop, args=(f"w{i}", ["lib:q", "lib:q2"], 20))
        th.start()
        waiters.append(th)
        time.sleep(0.3)  # so that they block in this order
    r.rpush("lib:q", "a", "b")
    r.rpush("lib:q2", "c")
    for th in waiters:
        th.join(30)
    got = [results[f"w{i}"][0] for i in range(3)]
    check(got == [(b"lib:q", b"a"), (b"lib:q", b"b"), (b"lib:q2", b"c")],
          "BLPOP: three blocked clients served in arrival order", got)
    check(r.exists("lib:q", "lib:q2") == 0, "the popped lists are gone")

    started = time.monotonic()
    check(r.blpop(["lib:none"], 1) is None, "BLPOP times out with a null reply")
    waited = time.monotonic() - started
    check(0.9 <= waited < 5, f"after its 1 s timeout ({waited:.2f} s)")

    mover = threading.Thread(target=lambda: results.update(
        m=redis.Redis(**options).blmove("lib:src", "lib:dst", 20, "LEFT", "RIGHT")))
    mover.start()
    time.sleep(0.3)
    pipe = r.pipeline(transaction=False)
    pipe.lpush("lib:src", "x")
    pipe.rpop("lib:src")
    out = pipe.execute()
    mover.join(30)
    check(out == [1, None] and results.get("m") == b"x" and r.lrange("lib:dst", 0, -1) == [b"x"],
          "BLMOVE is served right after the push, before the pusher's next pipelined command", (out, results))

    zwaiter = threading.Thread(target=lambda: results.update(
        z=redis.Redis(**options).bzpopmin(["lib:znone", "lib:z"], 20)))
    zwaiter.start()
    time.sleep(0.3)
    r.zadd("lib:z", {"b": 2, "a": 1})
    zwaiter.join(30)
    check(results.get("z") == (b"lib:z", b"a", 1.0) and r.zcard("lib:z") == 1,
          "BZPOPMIN: a blocked client gets the lowest score once ZADD fills the key", results.get("z"))
    got = r.execute_command("BZMPOP", 1, 2, "lib:znone", "lib:z", "MAX", "COUNT", 5)
    check(got == [b"lib:z", [[b"b", b"2"]]] and r.exists("lib:z") == 0,
          "BZMPOP pops at once when a key has members, deleting the emptied key", got)

    with r.pipeline() as t:
        t.blpop(["lib:none"], 5)
        started = time.monotonic()
        check(t.execute() == [None] and time.monotonic() - started < 3,
              "BLPOP inside MULTI/EXEC does not block")

    def blocked() -> None:
        client = redis.Redis(**options)
        try:
            results["k"] = client.execute_command("BLPOP", "lib:never", 0)
        except redis.ConnectionError as e:
            results["k"] = e
        client.close()

    victim = threading.Thread(target=blocked)
    victim.start()
    time.sleep(0.3)
    ids = [c["id"] for c in r.client_list() if c.get("cmd") == "blpop"]
    check(len(ids) == 1 and r.execute_command("CLIENT", "KILL", "ID", ids[0]) == 1, "CLIENT KILL of a blocked client")
    victim.join(10)
    check(not victim.is_alive(), "the killed client's BLPOP returns", results.get("k"))


# -- bad input ------------------------------------------------------------------------------------

MEMORY_MARGIN = 4 << 20

# (what, bytes sent, Redis 7.0's reply, whether it closes the connection): the replies are
# checked against the reference redis-server too, so a different Redis shows up here.
BAD_INPUT: list[tuple[str, bytes, bytes, bool]] = [
    ("multibulk length not a number", b"*abc\r\n", b"-ERR Protocol error: invalid multibulk length\r\n", True),
    ("'$' missing", b"*1\r\nx3\r\nGET\r\n", b"-ERR Protocol error: expected '$', got 'x'\r\n", True),
    ("bulk length 10^12", b"*1\r\n$1000000000000\r\n", b"-ERR Protocol error: invalid bulk length\r\n", True),
    ("bulk length negative", b"*1\r\n$-5\r\n", b"-ERR Protocol error: invalid bulk length\r\n", True),
    ("bulk length over 512 MiB (proto-max-bulk-len)", b"*1\r\n$536870913\r\n",
     b"-ERR Protocol error: invalid bulk length\r\n", True),
    ("bulk length line of 70 000 digits", b"*1\r\n$" + b"1" * 70000,
     b"-ERR Protocol error: too big bulk count string\r\n", True),
    ("inline line of 70 000 bytes without a newline", b"a" * 70000,
     b"-ERR Protocol error: too big inline request\r\n", True),
    ("inline line with unbalanced quotes", b'SET "k v\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n",
     True),
    ("multibulk header line of 70 000 bytes", b"*" + b"1" * 70000,
     b"-ERR Protocol error: too big mbulk count string\r\n", True),
]


def _exchange(host: str, port: int, data: bytes, close_after: bool = False) -> tuple[list[Node], bool]:
    """Sends `data` on a fresh connection, then collects what comes back until the server closes
    or goes quiet: (replies, closed)."""
    with RespConnection(host, port) as c:
        try:
            c.send(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if close_after:
            return [], False
        return c.drain(quiet=1.0)


def stuck_reader(host: str, port: int, gets: int = 10000, size: int = 4096) -> None:
    """A client pipelining `gets` GETs of a `size`-byte value and never reading: the server must
    go on serving others, and once that client is gone, serve as before."""
    with RespConnection(host, port) as c:
        check(c.command("SET", "bad:big", b"v" * size).raw == b"+OK\r\n", f"SET a {size}-byte value")
    data = encode("GET", "bad:big") * gets
    hog = socket.create_connection((host, port), timeout=TIMEOUT)
    hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    hog.setblocking(False)
    sent, deadline = 0, time.monotonic() + 10
    try:
        while sent < len(data) and time.monotonic() < deadline:
            _, writable, _ = select.select([], [hog], [], 0.2)
            if writable:
                try:
                    sent += hog.send(data[sent:sent + 65536])
                except BlockingIOError:
                    pass
        print(f"the client that never reads sent {sent} of {len(data)} bytes of GETs "
              f"({'all' if sent == len(data) else 'the server stopped reading'})", flush=True)
        for i in range(20):
            with RespConnection(host, port) as c:
                ok = (c.command("PING").raw == b"+PONG\r\n" and c.command("SET", f"bad:other{i}", i).raw == b"+OK\r\n"
                      and c.command("GET", f"bad:other{i}").raw == b"$%d\r\n%d\r\n" % (len(str(i)), i))
            assert ok, f"another client was not served while one never reads (round {i})"
        check(True, f"while a client pipelines {gets} GETs of {size} bytes and never reads, others are served")
    finally:
        hog.close()
    time.sleep(0.5)
    ping(host, port)
    check(True, "after it is closed, a fresh connection's PING answers +PONG")


def used_memory(host: str, port: int) -> int:
    with RespConnection(host, port) as c:
        info = c.command("INFO", "memory").raw.decode(errors="replace")
    match = re.search(r"used_memory:(\d+)", info)
    assert match, f"INFO memory without used_memory: {info[:200]!r}"
    return int(match.group(1))


def slow_subscriber(host: str, port: int, size: int = 65536, most: int = 8192) -> None:
    """A subscriber that never reads while messages pour in: disconnected at the pub/sub output
    limit (it does not eat the heap), and everybody else served meanwhile."""
    hog = socket.create_connection((host, port), timeout=TIMEOUT)
    hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    hog.sendall(encode("SUBSCRIBE", "bad:flood"))
    time.sleep(0.3)
    message = b"m" * size
    published = 0
    with RespConnection(host, port) as c:
        for published in range(1, most + 1):
            if c.command("PUBLISH", "bad:flood", message).integer() == 0:
                break
        else:
            raise AssertionError(f"{most} messages of {size} bytes later the subscriber is still there")
        check(c.command("PING").raw == b"+PONG\r\n", f"a subscriber that never reads is disconnected after "
              f"{published} messages of {size} bytes ({published * size >> 20} MiB), the publisher still served")
    hog.settimeout(10)
    closed = False
    try:
        while hog.recv(1 << 20):
            pass
        closed = True
    except (ConnectionResetError, socket.timeout, OSError):
        closed = True
    hog.close()
    check(closed, "its connection is closed")


async def _crowd(host: str, port: int, clients: int, timeout: float) -> list[str]:
    """`clients` connections opened at once, each then doing PING, SET, GET: the problems."""
    problems: list[str] = []

    async def one(i: int) -> Optional[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
        try:
            return await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        except (OSError, asyncio.TimeoutError) as e:
            problems.append(f"client {i}: connect: {e!r}")
            return None

    async def talk(i: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        value = b"value-%d" % i
        expected = b"+PONG\r\n+OK\r\n$%d\r\n%s\r\n" % (len(value), value)
        try:
            writer.write(encode("PING") + encode("SET", f"crowd:{i}", value) + encode("GET", f"crowd:{i}"))
            await writer.drain()
            got = await asyncio.wait_for(reader.readexactly(len(expected)), timeout)
            if got != expected:
                problems.append(f"client {i}: {got!r}")
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as e:
            problems.append(f"client {i}: {e!r}")

    connections = await asyncio.gather(*(one(i) for i in range(clients)))
    try:
        await asyncio.gather(*(talk(i, *c) for i, c in enumerate(connections) if c))
    finally:
        for c in connections:
            if c:
                c[1].close()
    return problems


def crowd(host: str, port: int, clients: int = 1000, timeout: float = 60) -> None:
    raise_file_limit(clients + 256)
    started = time.monotonic()
    problems = asyncio.run(_crowd(host, port, clients, timeout))
    seconds = time.monotonic() - started
    check(not problems, f"{clients} clients connecting at once, each PING/SET/GET answered ({seconds:.1f} s)",
          f"{len(problems)} failed: {problems[:5]}")
    with RespConnection(host, port) as c:
        c.command("SELECT", 0)
        keys = c.command("DBSIZE").integer()
    check(keys is not None and keys >= clients, f"their {clients} keys are there (DBSIZE {keys})")


def bad_input(host: str, port: int, clients: int = 1000, redis_server: str = "redis-server") -> None:
    raise_file_limit(clients + 256)  # before the reference starts: it sizes maxclients by it
    with ReferenceServer(redis_server, extra=["--maxclients", str(clients + 100)]) as ref:
        print(f"reference: {redis_version(redis_server)} on {ref.host}:{ref.port}", flush=True)
        servers = {"appliance": (host, port), "redis-server": (ref.host, ref.port)}
        for where in servers.values():
            with RespConnection(*where) as c:
                c.command("FLUSHALL")
        baseline = used_memory(host, port)

        # Truncated multibulk, then the client goes: nothing half-done, nothing stuck.
        for name, where in servers.items():
            _exchange(*where, b"*3\r\n$3\r\nSET\r\n$7\r\nbad:key\r\n$5\r\nval", close_after=True)
            time.sleep(0.2)
            with RespConnection(*where) as c:
                assert c.command("PING").raw == b"+PONG\r\n", f"{name}: PING after a truncated command"
                got = c.command("EXISTS", "bad:key").raw
            assert got == b":0\r\n", f"{name}: a truncated SET was executed"
        check(True, "a truncated multibulk, then close: not executed, PING still answers")

        for what, data, expected, closes in BAD_INPUT:
            seen = {}
            for name, where in servers.items():
                replies, closed = _exchange(*where, data)
                seen[name] = (b"".join(n.raw for n in replies), closed)
            assert seen["redis-server"] == (expected, closes), \
                f"{what}: the reference redis-server answered {seen['redis-server']}, not {(expected, closes)}"
            check(seen["appliance"] == seen["redis-server"],
                  f"{what}: {expected.strip().decode()}" + (", connection closed" if closes else ""),
                  f"appliance {seen['appliance']}, redis-server {seen['redis-server']}")
            ping(host, port)

        # Binary garbage without NUL bytes: read as inline commands (unknown ones), the same
        # replies as Redis's, and the PING after it answered.
        rng = random.Random(7)
        noise = bytes(b for b in rng.randbytes(3000) if b not in b"\x00\r\n\"'")
        garbage = b"\x16\x03\x01\x02\x01\x01\xfc\x03\x03" + noise + b"\r\n\x01\x02\r\n\xff\xfe\r\nPING\r\n"
        seen = {name: _exchange(*where, garbage) for name, where in servers.items()}
        a, r = seen["appliance"], seen["redis-server"]
        assert r[0] and r[0][-1].raw == b"+PONG\r\n", f"redis-server's replies to the garbage: {r}"
        check([n.raw for n in a[0]] == [n.raw for n in r[0]] and a[1] == r[1],
              f"binary garbage: the same {len(r[0])} replies as redis-server's (the last +PONG)",
              f"appliance {[clip(n.raw, 120) for n in a[0]]} closed={a[1]}, "
              f"redis-server {[clip(n.raw, 120) for n in r[0]]} closed={r[1]}")
        # With NUL bytes Redis 7.0 never finds the line's end (it looks with strchr) and waits
        # for more: no reply to compare, only that nothing breaks.
        for name, where in servers.items():
            _exchange(*where, rng.randbytes(5000), close_after=True)
            ping(*where)
        check(True, "random bytes with NULs, then close: PING still answers")
        ping(host, port)

        seen = {name: blocked_hang_up(*where) for name, where in servers.items()}
        check(seen["appliance"] == seen["redis-server"] == (0, 0, encode("hangup:list", "only"), 0),
              "a client blocked in BLPOP that hangs up stops waiting at once; the element pushed "
              "next goes to the client still waiting",
              f"appliance {seen['appliance']}, redis-server {seen['redis-server']}")

        seen = {name: over_maxclients(*where) for name, where in servers.items()}
        check(seen["appliance"] == seen["redis-server"] and seen["redis-server"][0] != b"",
              f"maxclients: a client over it reads {seen['redis-server'][0].strip().decode()!r} and "
              "is closed, one more rejected_connections, the others carry on",
              f"appliance {seen['appliance']}, redis-server {seen['redis-server']}")

        for name, where in servers.items():
            print(f"-- {name}", flush=True)
            stuck_reader(*where)
            crowd(*where, clients=clients)
        print("-- appliance", flush=True)
        slow_subscriber(host, port)
        ping(host, port)
        check(True, "the appliance still answers PING")
        with RespConnection(host, port) as c:
            c.command("FLUSHALL")
        # What the clients held goes back: connection state and buffers, the flood's messages.
        # (lwIP keeps the closed connections' control blocks in TIME-WAIT a while: a margin.)
        deadline = time.monotonic() + 20
        while True:
            after = used_memory(host, port)
            if after <= baseline + MEMORY_MARGIN or time.monotonic() > deadline:
                break
            time.sleep(1)
        check(after <= baseline + MEMORY_MARGIN, f"used_memory back to its baseline: {after} bytes, "
              f"{baseline} before the bad input (margin {MEMORY_MARGIN >> 20} MiB)")


def over_maxclients(host: str, port: int) -> tuple[bytes, bool, int, bytes]:
    """CONFIG SET maxclients to the clients connected plus one, a second client, then a third
    over the limit: what the third reads and whether it was closed, how many more
    rejected_connections INFO counts, and the second client's PING reply meanwhile."""
    with RespConnection(host, port) as c:
        original = c.command("CONFIG", "GET", "maxclients").items[1].value
        connected = int(_info_field(c, "clients", "connected_clients"))
        rejected = int(_info_field(c, "stats", "rejected_connections"))
        assert c.command("CONFIG", "SET", "maxclients", str(connected + 1)).raw == b"+OK\r\n"
        try:
            with RespConnection(host, port) as second:
                replies, closed = _exchange(host, port, b"PING\r\n")
                pong = second.command("PING").raw
        finally:
            c.command("CONFIG", "SET", "maxclients", original)
        more = int(_info_field(c, "stats", "rejected_connections")) - rejected
    return b"".join(n.raw for n in replies), closed, more, pong


def blocked_hang_up(host: str, port: int) -> tuple[int, int, bytes, int]:
    """A client blocked in BLPOP hangs up, another blocks on the same key, one element is
    pushed: blocked_clients after the hang-up, then what the second client got, and the
    list's length and blocked_clients afterwards."""
    key = "hangup:list"
    with RespConnection(host, port) as c:
        c.command("DEL", key)
        gone = RespConnection(host, port)
        gone.send(encode("BLPOP", key, "0"))
        time.sleep(0.3)
        gone.close()
        time.sleep(0.3)
        after_hang_up = int(_info_field(c, "clients", "blocked_clients"))
        with RespConnection(host, port) as second:
            second.send(encode("BLPOP", key, "0"))
            time.sleep(0.3)
            c.command("RPUSH", key, "only")
            got = second.reply().raw
        return (after_hang_up, c.command("LLEN", key).integer(), got,
                int(_info_field(c, "clients", "blocked_clients")))


# -- memory ---------------------------------------------------------------------------------------

def _info_field(c: "RespConnection", section: str, field_name: str) -> str:
    text = c.command("INFO", section).raw.decode(errors="replace")
    match = re.search(rf"^{field_name}:(.*?)\r?$", text, re.M)
    assert match, f"INFO {section} without {field_name}"
    return match.group(1)


def settle(host: str, port: int, base: int, timeout: float = 60) -> None:
    """Waits until used_memory is back near `base` (FLUSHALL frees in the background)."""
    deadline = time.monotonic() + timeout
    while used_memory(host, port) > base + MEMORY_MARGIN and time.monotonic() < deadline:
        time.sleep(0.2)


def _fill(c: "RespConnection", prefix: str, count: int, size: int, ttl: Optional[int] = None) -> tuple[int, bytes]:
    """SETs `count` keys of `size` bytes, pipelined; returns how many were stored and the first
    error reply."""
    stored, error = 0, b""
    batch = 200
    for start in range(0, count, batch):
        commands = []
        for i in range(start, min(count, start + batch)):
            args = ["SET", f"{prefix}:{i}", b"v" * size] + (["EX", ttl] if ttl else [])
            commands.append(encode(*args))
        c.sock.sendall(b"".join(commands))
        for _ in commands:
            reply = c.reply()
            if reply.raw == b"+OK\r\n":
                stored += 1
            elif not error:
                error = reply.raw
    return stored, error


def memory(host: str, port: int, unbounded: bool = False) -> None:
    """maxmemory: noeviction refuses writes with Redis's -OOM error while reads, deletes and the
    data already there carry on; the eviction policies make room instead (LRU keeps what is
    read, volatile-ttl takes keys with an expiry only), announced as keyspace events. With
    `unbounded` (no maxmemory, a small guest): writes until malloc itself fails, which must
    answer an error and leave everything else serving."""
    with RespConnection(host, port) as c:
        c.command("FLUSHALL")
        if unbounded:
            stored, error = _fill(c, "oom", 400000, 1024)
            check(error.startswith(b"-OOM"), f"with no maxmemory, writes until the heap is gone: {stored} "
                  f"SETs of 1 KiB stored, then {error.strip().decode(errors='replace')}", error)
            check(c.command("PING").raw == b"+PONG\r\n" and c.command("GET", "oom:0").raw.startswith(b"$1024"),
                  "the connection and the data survive the refusal")
            c.command("FLUSHALL")
            time.sleep(0.5)
            again, error = _fill(c, "oom2", 1000, 1024)
            check(again == 1000, "after FLUSHALL the memory is there again", error)
            c.command("FLUSHALL")
            return
        original = _info_field(c, "memory", "maxmemory")
        base = int(_info_field(c, "memory", "used_memory"))
        limit = base + (4 << 20)
        try:
            c.command("CONFIG", "SET", "maxmemory", str(limit), "maxmemory-policy", "noeviction")
            check(c.command("CONFIG", "GET", "maxmemory").raw.endswith(b"%d\r\n" % limit),
                  f"CONFIG SET maxmemory {limit} (used_memory {base})")
            stored, error = _fill(c, "ne", 20000, 1024)
            check(error == b"-OOM command not allowed when used memory > 'maxmemory'.\r\n",
                  f"noeviction: {stored} SETs of 1 KiB, then Redis's -OOM error", error)
            check(stored > 1000 and c.command("DBSIZE").integer() == stored, f"the {stored} accepted keys are all there")
            check(c.command("GET", "ne:0").raw.startswith(b"$1024") and c.command("DEL", "ne:1").integer() == 1,
                  "reads and deletes still work over the limit")
            c.command("FLUSHALL")
            settle(host, port, base)

            c.command("CONFIG", "SET", "maxmemory-policy", "allkeys-lru", "notify-keyspace-events", "Ee")
            events = RespConnection(host, port)
            events.command("SUBSCRIBE", "__keyevent@0__:evicted")
            hot = [f"hot:{i}" for i in range(50)]
            for key in hot:
                c.command("SET", key, b"h" * 1024)
            written = 0
            for round_ in range(40):
                stored, error = _fill(c, f"lru{round_}", 500, 1024)
                written += stored
                assert not error, f"allkeys-lru refused a write: {error!r}"
                for key in hot:  # read often: the least recently used keys go first
                    c.command("GET", key)
            evicted = int(_info_field(c, "stats", "evicted_keys"))
            kept = sum(1 for key in hot if c.command("EXISTS", key).integer() == 1)
            check(evicted > 0 and c.command("DBSIZE").integer() < written,
                  f"allkeys-lru: {written} SETs of 1 KiB all accepted, {evicted} keys evicted")
            # Approximated LRU (a few keys sampled per eviction, as Redis does): the keys read all
            # along mostly stay, the first batch (written once, never read) mostly goes.
            cold = sum(1 for i in range(500) if c.command("EXISTS", f"lru0:{i}").integer() == 1)
            check(kept >= len(hot) // 2 and kept / len(hot) > 5 * cold / 500,
                  f"the keys read all along stay ({kept} of {len(hot)}), the first written go "
                  f"({cold} of 500 left)")
            used = int(_info_field(c, "memory", "used_memory"))
            check(used <= limit + (1 << 20), f"used_memory {used} stays near maxmemory {limit}")
            events.sock.settimeout(TIMEOUT)
            message = events.reply()
            check(b"evicted" in message.raw, "notify-keyspace-events Ee announces evicted keys",
                  clip(message.raw))
            events.close()
            c.command("FLUSHALL")
            settle(host, port, base)

            c.command("CONFIG", "SET", "maxmemory-policy", "volatile-ttl")
            _fill(c, "persistent", 1000, 1024)
            stored, error = _fill(c, "volatile", 8000, 1024, ttl=1000)
            check(c.command("EXISTS", *[f"persistent:{i}" for i in range(1000)]).integer() == 1000,
                  f"volatile-ttl: keys with an expiry make room ({stored} stored), keys without stay")
            c.command("FLUSHALL")

            c.command("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
            c.command("SET", "freq", "v")
            for _ in range(100):
                c.command("GET", "freq")
            freq = c.command("OBJECT", "FREQ", "freq").integer()
            check(freq is not None and freq > 5, f"allkeys-lfu: OBJECT FREQ counts reads ({freq})")
        finally:
            c.command("CONFIG", "SET", "maxmemory", original, "maxmemory-policy", "noeviction",
                      "notify-keyspace-events", "")
            c.command("FLUSHALL")


def big_delete(host: str, port: int, members: int = 200000) -> None:
    """DEL of big collections: the key is gone at once, the memory comes back (freed in slices
    by the appliance, so the time DEL takes is printed, not asserted)."""
    with RespConnection(host, port) as c:
        c.command("FLUSHALL")
        time.sleep(1)
        base = used_memory(host, port)
        for kind, command, element in (("set", "SADD", lambda j: [f"m{j}"]),
                                       ("hash", "HSET", lambda j: [f"f{j}", "v"]),
                                       ("list", "RPUSH", lambda j: [f"e{j}"])):
            key = f"big:{kind}"
            for start in range(0, members, 1000):
                args: list[Arg] = [command, key]
                for j in range(start, start + 1000):
                    args += element(j)
                c.command(*args)
            started = time.monotonic()
            deleted = c.command("DEL", key).integer()
            seconds = time.monotonic() - started
            check(deleted == 1 and c.command("EXISTS", key).integer() == 0,
                  f"DEL of a {members}-element {kind}: gone at once ({seconds * 1000:.0f} ms)")
        def settles(what: str) -> None:
            deadline = time.monotonic() + 60
            while used_memory(host, port) > base + MEMORY_MARGIN and time.monotonic() < deadline:
                time.sleep(0.5)
            after = used_memory(host, port)
            check(after <= base + MEMORY_MARGIN, f"{what}: used_memory {after}, {base} before")

        settles("their memory comes back")
        # A big collection inside a flushed database: handed on while the database is freed.
        for start in range(0, members, 1000):
            c.command("RPUSH", "big:flushed", *[f"e{j}" for j in range(start, start + 1000)])
        c.command("SET", "small", "v")
        check(c.command("FLUSHALL").raw == b"+OK\r\n", "FLUSHALL with a big list in the database")
        settles("its memory comes back too")


# -- main -----------------------------------------------------------------------------------------

SCENARIOS = ["differential", "cli", "benchmark", "library", "ioredis", "bad_input", "memory",
             "memory_unbounded", "big_delete"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, default=6379)
    p.add_argument("--families", default=",".join(FAMILIES),
                   help=f"for 'differential': which command families (default all: {','.join(FAMILIES)})")
    p.add_argument("--seed", type=int, default=1, help="for 'differential': the random family's seed")
    p.add_argument("--ops", type=int, default=5000, help="for 'differential': the random family's operations")
    p.add_argument("--verbose", action="store_true", help="for 'differential': print every compared reply")
    p.add_argument("--requests", type=int, default=20000, help="for 'benchmark': requests per test")
    p.add_argument("--clients", type=int, default=1000, help="for 'bad_input': clients connecting at once")
    p.add_argument("--redis-server", default="redis-server", help="the reference server's binary")
    p.add_argument("scenario", nargs="+", choices=SCENARIOS)
    args = p.parse_args()
    for name in args.scenario:
        print(f"== {name}", flush=True)
        if name == "differential":
            differential(args.host, args.port, [f for f in args.families.split(",") if f], args.seed, args.ops,
                         args.redis_server, args.verbose)
        elif name == "cli":
            cli(args.host, args.port)
        elif name == "benchmark":
            benchmark(args.host, args.port, args.requests)
        elif name == "library":
            library(args.host, args.port)
        elif name == "ioredis":
            ioredis(args.host, args.port)
        elif name == "memory":
            memory(args.host, args.port)
        elif name == "big_delete":
            big_delete(args.host, args.port)
        elif name == "memory_unbounded":
            memory(args.host, args.port, unbounded=True)
        elif name == "bad_input":
            bad_input(args.host, args.port, args.clients, args.redis_server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
