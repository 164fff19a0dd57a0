"""A real HTTP server on 127.0.0.1 that misbehaves on purpose, for the fetcher's hard limits.

Started by a test (fixture ``fault_server`` in tests/test_fetch_limits.py), on a free port, in
a thread; it stops by itself at teardown: every slow or hanging answer waits on ``stop``, so
no handler outlives the test. ``routes`` maps a path to a behaviour (a name below, with its
arguments); ``sent`` counts the bytes each path really sent and ``hits`` its requests.

    ("page", body, headers)          200 with the body
    ("gzip", body)                   the body gzip-encoded, with Content-Length
    ("bomb", gib)                    gzip of `gib` GiB of zeros, compressed while sending, no length
    ("big", nbytes, declared)        nbytes of zeros, Content-Length given only if declared
    ("trickle", nbytes, interval)    Content-Length nbytes, then one byte every interval seconds
    ("trickle_headers", interval)    the status line, then the headers one byte at a time
    ("hang",)                        reads the request, never answers
    ("status", code, headers)        an empty answer with that status
"""
from __future__ import annotations

import threading
import zlib
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"       # one request per connection; the end of a body is EOF

    def log_message(self, *args):       # quiet
        pass

    def do_GET(self):
        server: FaultServer = self.server.owner
        path = self.path.split("?")[0]
        server.hits[path] += 1
        server.request_headers.append(dict(self.headers))
        if path == "/robots.txt" and path not in server.routes:
            return self._page(b"User-agent: *\nAllow: /\n", {})
        route = server.routes.get(path, ("status", 404, {}))
        try:
            getattr(self, "_" + route[0])(*route[1:])
        except (BrokenPipeError, ConnectionResetError):
            pass                        # the client hung up: what the limits are for

    def _send(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()
        self.server.owner.sent[self.path.split("?")[0]] += len(data)

    def _page(self, body: bytes, headers: dict) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self._send(body)

    def _gzip(self, body: bytes) -> None:
        c = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        self._page(c.compress(body) + c.flush(), {"Content-Encoding": "gzip"})

    def _bomb(self, gib: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        c = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        block = bytes(1 << 20)
        for _ in range(gib * 1024):
            if self.server.owner.stop.is_set():
                return
            out = c.compress(block)
            if out:
                self._send(out)
        self._send(c.flush())

    def _big(self, nbytes: int, declared: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        if declared:
            self.send_header("Content-Length", str(nbytes))
        self.end_headers()
        block = bytes(64 * 1024)
        left = nbytes
        while left > 0 and not self.server.owner.stop.is_set():
            self._send(block[:left])
            left -= len(block)

    def _trickle(self, nbytes: int, interval: float) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(nbytes))
        self.end_headers()
        for _ in range(nbytes):
            self._send(b"x")
            if self.server.owner.stop.wait(interval):
                return

    def _trickle_headers(self, interval: float) -> None:
        self._send(b"HTTP/1.0 200 OK\r\n")
        for byte in b"X-Slow: " + b"y" * 200:
            self._send(bytes([byte]))
            if self.server.owner.stop.wait(interval):
                return

    def _hang(self) -> None:
        self.server.owner.stop.wait(60)

    def _status(self, code: int, headers: dict) -> None:
        self.send_response(code)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()


class FaultServer:
    def __init__(self):
        self.routes: dict[str, tuple] = {}
        self.sent: Counter = Counter()
        self.hits: Counter = Counter()
        self.request_headers: list[dict] = []
        self.stop = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.owner = self
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
