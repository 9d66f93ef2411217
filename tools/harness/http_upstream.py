"""A small HTTP/1.1 upstream for the reverse proxy tests (run by harness.proxy_clients inside
the test's namespace), for what nginx does not do out of the box: tell who asked (the
forwarding headers), answer late, hash an uploaded body of any size, and send a chunked body.
Under PREFIX: GET /whoami (JSON: port and request headers), GET /slow?ms=N, POST /upload
(JSON: length and SHA-256 of the body, read as it streams), GET /chunked (a known chunked
body), GET /index.html (the health path). For the HTTP client's tests: GET /stall-body?ms=N (the
head and part of the body, then nothing for N ms), POST /unread?ms=N (reads none of the body
for N ms), GET /close-next (answers, then closes the connection on its next request unanswered,
as a server whose keep-alive timeout ran out just then). GET /redirect?to=LOCATION (a 302 to it;
"{self}" in it stands for this server's origin, http://ADDRESS:PORT). GET or POST /drop?port=N:
the server on port N closes the connection unanswered, as one that dies on the request; the
others answer as /whoami. Prints `ready` once listening."""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

CHUNKS = [b"first piece\n", b"second, longer piece " * 20 + b"\n", b"last\n"]
STALLED_BODY_LENGTH, STALLED_BODY_SENT = 1000, 100


def chunked_body() -> bytes:
    return b"".join(CHUNKS)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    prefix = ""

    def log_message(self, *args: object) -> None:
        pass

    def reply(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def stripped(self) -> str:
        url = urlsplit(self.path)
        return url.path[len(self.prefix):] if url.path.startswith(self.prefix) else url.path

    def seconds(self) -> float:
        """The ms= parameter, in seconds (1 s when absent)."""
        return int(parse_qs(urlsplit(self.path).query).get("ms", ["1000"])[0]) / 1000

    def dropped(self) -> bool:
        """A request after /close-next on this connection: closed without an answer."""
        if getattr(self, "close_next", False):
            self.close_connection = True
            return True
        return False

    def drops(self) -> bool:
        """/drop?port=N: true on the server on port N, which closes the connection unanswered
        (unread body and all); the others answer as /whoami."""
        if self.stripped() != "/drop":
            return False
        port = int(parse_qs(urlsplit(self.path).query)["port"][0])
        if port == self.server.server_address[1]:
            self.close_connection = True
            return True
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.whoami()
        return True

    def whoami(self) -> None:
        body = json.dumps({"port": self.server.server_address[1], "method": self.command,
                           "headers": {k.lower(): v for k, v in self.headers.items()}})
        self.reply(200, body.encode(), "application/json")

    def do_GET(self) -> None:
        if self.dropped() or self.drops():
            return
        url = urlsplit(self.path)
        path = self.stripped()
        if path == "/whoami":
            self.whoami()
        elif path == "/slow":
            time.sleep(int(parse_qs(url.query).get("ms", ["1000"])[0]) / 1000)
            self.reply(200, b"slow\n")
        elif path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in CHUNKS:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/stall-body":
            self.send_response(200)
            self.send_header("Content-Length", str(STALLED_BODY_LENGTH))
            self.end_headers()
            self.wfile.write(b"x" * STALLED_BODY_SENT)
            time.sleep(self.seconds())
            self.close_connection = True
        elif path == "/redirect":  # 302 to ?to=, "{self}" standing for this server's own origin
            host, port = self.server.server_address[:2]
            to = parse_qs(url.query)["to"][0].replace("{self}", f"http://{host}:{port}")
            self.send_response(302)
            self.send_header("Location", to)
            self.send_header("Content-Length", "6")
            self.end_headers()
            self.wfile.write(b"moved\n")
        elif path == "/close-next":
            self.reply(200, b"the next request on this connection goes unanswered\n")
            self.close_next = True
        elif url.path.endswith("/index.html"):  # the proxy's health path, whatever its prefix
            self.reply(200, b"healthy\n")
        else:
            self.reply(404, b"not here\n")

    def do_POST(self) -> None:
        if self.dropped() or self.drops():
            return
        if self.stripped() == "/unread":  # the upload fills the socket's buffers, then waits
            time.sleep(self.seconds())
            self.close_connection = True
            return
        digest, length = hashlib.sha256(), 0
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                left = size
                while left:
                    piece = self.rfile.read(min(left, 1 << 20))
                    digest.update(piece)
                    left -= len(piece)
                length += size
                self.rfile.readline()
        else:
            left = int(self.headers.get("Content-Length", "0"))
            while left:
                piece = self.rfile.read(min(left, 1 << 20))
                if not piece:
                    break
                digest.update(piece)
                length += len(piece)
                left -= len(piece)
        body = json.dumps({"length": length, "sha256": digest.hexdigest()})
        self.reply(200, body.encode(), "application/json")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--address", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--prefix", default="")
    args = p.parse_args()
    Handler.prefix = args.prefix
    server = ThreadingHTTPServer((args.address, args.port), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
