"""Hard limits on one HTTP response (a total deadline, a maximum decoded body size) and on
one saved file (regular files only, up to a size).

httpx's timeouts are per socket operation, so a server sending one byte every few seconds
never trips them. Here every socket operation of a request (connect, TLS, write, read) gets at
most the time left until the request's deadline, so the request ends at the deadline however
the bytes trickle, in the headers as well as in the body.

Bodies are decoded here too, not by httpx: its decoders inflate a whole network chunk at once
(64 KiB of a gzip bomb is 64 MB), while ``BoundedDecoder`` inflates at most the bytes still
allowed, so a bomb is refused after ``limit`` bytes and never held in memory whole.
"""
from __future__ import annotations

import contextlib
import os
import ssl
import stat
import time
import zlib
from collections.abc import Iterator
from contextvars import ContextVar

import httpcore
import httpx

# Only these are asked for (Accept-Encoding) and decoded; brotli and zstd are not requested,
# because their decoders here could not be bounded.
ACCEPT_ENCODING = "gzip, deflate"

_deadline: ContextVar[float | None] = ContextVar("request_deadline", default=None)


class BodyTooLarge(Exception):
    """The body (after decompression) is larger than allowed."""


class UnsupportedEncoding(Exception):
    """A Content-Encoding we did not ask for and do not decode."""


def remaining() -> float | None:
    """Seconds left before the current request's deadline (None: no deadline set)."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[float]:
    """Every socket operation inside the block ends by now + ``seconds`` (real time)."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield seconds
    finally:
        _deadline.reset(token)


def _cap(timeout: float | None, exc_class) -> float | None:
    left = remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise exc_class("total deadline of the request exceeded")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream):
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _cap(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _cap(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(
            ssl_context, server_hostname, _cap(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self):
        self._backend = httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        return _DeadlineStream(self._backend.connect_tcp(
            host, port, _cap(timeout, httpcore.ConnectTimeout), local_address, socket_options))

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        return _DeadlineStream(self._backend.connect_unix_socket(
            path, _cap(timeout, httpcore.ConnectTimeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def deadline_transport(ssl_context: ssl.SSLContext) -> httpx.HTTPTransport:
    """An httpx transport whose socket operations obey ``deadline()``.

    httpx has no public hook for the network backend, so the transport's connection pool is
    replaced by one with the same settings and our backend (tests/test_fetch_limits.py checks
    on a real socket that the deadline holds, so an httpx change that breaks this is caught).
    """
    limits = httpx.Limits()
    transport = httpx.HTTPTransport(verify=ssl_context)
    transport._pool = httpcore.ConnectionPool(
        ssl_context=ssl_context, max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry, network_backend=_DeadlineBackend())
    return transport


class BoundedDecoder:
    """Decodes a Content-Encoding chunk by chunk, never producing more than ``limit`` bytes."""

    def __init__(self, encoding: str | None, limit: int):
        self.limit = limit
        self.size = 0
        self.fed = False
        self.chunks: list[bytes] = []
        names = [e.strip().lower() for e in (encoding or "").split(",") if e.strip()]
        names = [n for n in names if n != "identity"]
        if len(names) > 1:
            raise UnsupportedEncoding(f"stacked Content-Encoding {encoding!r}")
        self.name = names[0] if names else None
        if self.name in ("gzip", "x-gzip"):
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.name == "deflate":
            self._inflate = None      # zlib-wrapped or raw: decided on the first bytes
        elif self.name is not None:
            raise UnsupportedEncoding(f"Content-Encoding {encoding!r} was not asked for "
                                      f"(we accept {ACCEPT_ENCODING})")

    def _emit(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise BodyTooLarge(f"body larger than {self.limit:,} bytes"
                               + (" after decompression" if self.name else ""))
        if data:
            self.chunks.append(data)

    def feed(self, data: bytes) -> None:
        self.fed = self.fed or bool(data)
        if self.name is None:
            self._emit(data)
            return
        if self._inflate is None:
            # RFC 9110 deflate is zlib-wrapped; some servers send raw deflate.
            raw = not (len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0)
            self._inflate = zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
        try:
            while data:
                # At most one byte more than still allowed: enough to know it is too much.
                self._emit(self._inflate.decompress(data, self.limit - self.size + 1))
                data = self._inflate.unconsumed_tail
        except zlib.error as exc:
            raise httpx.DecodingError(f"cannot decode {self.name} body: {exc}") from exc

    def finish(self) -> bytes:
        if self.name is not None and self.fed:
            if not self._inflate.eof:
                raise httpx.RemoteProtocolError(f"truncated {self.name} body (stream never ends)")
        return b"".join(self.chunks)


# --- saved files ---------------------------------------------------------------------------------


class NotARegularFile(OSError):
    """A path that is not a readable regular file of a sane size (device, FIFO, dangling link…)."""


def check_regular_file(path, limit: int | None = None) -> int:
    """The file's size, or NotARegularFile saying what is wrong. Never blocks, never reads."""
    try:
        st = os.stat(path)                      # follows links: a dangling one raises
    except FileNotFoundError:
        raise NotARegularFile(f"{path}: no such file (a dangling symbolic link?)") from None
    except OSError as exc:
        raise NotARegularFile(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        kind = ("a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device" if stat.S_ISCHR(st.st_mode)
                or stat.S_ISBLK(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                else "a directory" if stat.S_ISDIR(st.st_mode) else "not a file")
        raise NotARegularFile(f"{path}: not a regular file ({kind})")
    if limit is not None and st.st_size > limit:
        raise NotARegularFile(f"{path}: {st.st_size:,} bytes, more than the {limit:,}-byte limit")
    return st.st_size


def read_regular_file(path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; never blocks or reads unbounded.

    Opened non-blocking and checked on the open descriptor (so a FIFO swapped in after a check
    cannot hang the read), and read to at most ``limit`` + 1 bytes (a file growing meanwhile).
    """
    check_regular_file(path, limit)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise NotARegularFile(f"{path}: cannot open it ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotARegularFile(f"{path}: not a regular file")
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise NotARegularFile(f"{path}: more than the {limit:,}-byte limit")
    return data
