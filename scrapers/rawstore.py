"""The raw store: every response exactly as received, and a log of every attempt.

Layout (see docs/architecture.md, "Raw store")::

    ROOT/objects/ab/abcdef…      the body bytes, named by their sha256
    ROOT/responses.jsonl         one JSON line per response or failure, append-only

Nothing is ever deleted or overwritten. An object is written to a temporary file beside its
final place and renamed over it, so a crash never leaves a partial object under a real name.
A failure is only a log line: it never touches an object or an earlier record, which is why
``latest_good()`` keeps returning the last good copy after a failed refetch.

One crawl at a time per store: ``CrawlLock`` (``ROOT/crawl.lock``) is held by every crawler
writing live responses (the Adilet fetcher, a live build's indicator fetch), so two crawls
never double the request rate to a site or interleave their logs.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sys
import re
import tempfile
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

KINDS = ("document", "info", "history", "search", "robots", "indicator")
SOURCES = ("live", "corpus")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


class RawStoreError(OSError):
    """A stored object is missing or does not match its name (an I/O failure of the store)."""


class TruncatedLogLine(UserWarning):
    """A line of responses.jsonl could not be read (a crash mid-write); it is skipped."""


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class RawStore:
    """Content-addressed store of raw responses under ``root``."""

    def __init__(self, root: Path | str, *, now: Callable[[], datetime] = utc_now):
        self.root = Path(root)
        self.objects_dir = self.root / "objects"
        self.log_path = self.root / "responses.jsonl"
        self._now = now

    # --- objects ----------------------------------------------------------------------------

    def object_path(self, sha256: str) -> Path:
        if not isinstance(sha256, str) or not _SHA256_RE.match(sha256):
            # The name goes into a path: refuse anything that is not a hex digest.
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.objects_dir / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.object_path(sha256).is_file()

    def get(self, sha256: str) -> bytes:
        """The stored bytes; raises RawStoreError if missing or corrupted."""
        path = self.object_path(sha256)
        try:
            body = path.read_bytes()
        except FileNotFoundError:
            raise RawStoreError(f"no object {sha256} in {self.objects_dir}") from None
        if hashlib.sha256(body).hexdigest() != sha256:
            raise RawStoreError(f"object {path} does not match its sha256 (corrupted on disk)")
        return body

    def _write_object(self, body: bytes) -> str:
        sha = hashlib.sha256(body).hexdigest()
        path = self.object_path(sha)
        if path.is_file():
            # Same bytes already stored: content addressing makes this a no-op, unless the
            # stored copy was damaged on disk, which the good bytes repair.
            with open(path, "rb") as fh:
                if hashlib.file_digest(fh, "sha256").hexdigest() == sha:
                    return sha
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
            _fsync_dir(path.parent)   # the rename itself survives a crash before the log line
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        return sha

    # --- the log ----------------------------------------------------------------------------

    def _append(self, record: dict) -> None:
        line = (json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            # A crash mid-write can leave a last line without its newline; start on a fresh
            # line so the new record is not glued to the broken one.
            size = os.fstat(fd).st_size
            if size:
                with open(self.log_path, "rb") as fh:
                    fh.seek(size - 1)
                    if fh.read(1) != b"\n":
                        line = b"\n" + line
            os.write(fd, line)  # one write call: appends of a line do not interleave
            os.fsync(fd)
        finally:
            os.close(fd)

    def _record(self, *, url: str, final_url: str | None, status: int | None,
                headers: dict | None, sha256: str | None, size: int | None,
                act_id: str | None, lang: str | None, kind: str, ok: bool,
                error: str | None, source: str, retrieved_at: str | None) -> dict:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
        if source not in SOURCES:
            raise ValueError(f"unknown source {source!r} (one of {', '.join(SOURCES)})")
        if not isinstance(url, str) or not url:
            raise ValueError("url is required")
        if not ok and not error:
            raise ValueError("a record with ok=False needs an error")
        return {
            "url": url,
            "final_url": final_url if final_url is not None else url,
            "status": status,
            "headers": dict(headers or {}),
            "retrieved_at": retrieved_at or _iso(self._now()),
            "sha256": sha256,
            "size": size,
            "act_id": act_id,
            "lang": lang,
            "kind": kind,
            "ok": bool(ok),
            "error": error,
            "source": source,
        }

    def put(self, body: bytes, *, url: str, kind: str, final_url: str | None = None,
            status: int | None = None, headers: dict | None = None,
            act_id: str | None = None, lang: str | None = None, ok: bool = True,
            error: str | None = None, source: str = "live",
            retrieved_at: str | None = None) -> dict:
        """Store ``body`` and log it; returns the log record.

        ``ok=False`` keeps bytes that arrived but must not be used (a JavaScript shell):
        they are kept, and ``latest_good()`` ignores them.
        """
        if not isinstance(body, (bytes, bytearray)):
            raise TypeError(f"body must be bytes, not {type(body).__name__}")
        body = bytes(body)
        # Validate the metadata before writing anything.
        record = self._record(url=url, final_url=final_url, status=status, headers=headers,
                              sha256="0" * 64, size=len(body), act_id=act_id, lang=lang,
                              kind=kind, ok=ok, error=error, source=source,
                              retrieved_at=retrieved_at)
        record["sha256"] = self._write_object(body)
        self._append(record)
        return record

    def record_failure(self, url: str, error: str, *, kind: str, final_url: str | None = None,
                       status: int | None = None, headers: dict | None = None,
                       act_id: str | None = None, lang: str | None = None,
                       source: str = "live", retrieved_at: str | None = None) -> dict:
        """Log an attempt that produced no usable bytes; nothing stored is touched."""
        record = self._record(url=url, final_url=final_url, status=status, headers=headers,
                              sha256=None, size=None, act_id=act_id, lang=lang, kind=kind,
                              ok=False, error=str(error) or "unknown error", source=source,
                              retrieved_at=retrieved_at)
        self._append(record)
        return record

    def records(self) -> Iterator[dict]:
        """Every readable log record, oldest first; unreadable lines are skipped with a warning."""
        if not self.log_path.exists():
            return
        with open(self.log_path, "rb") as fh:
            for number, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                try:
                    record = json.loads(raw)
                    if not isinstance(record, dict):
                        raise ValueError("not an object")
                except (ValueError, UnicodeDecodeError):
                    warnings.warn(f"{self.log_path}:{number}: unreadable line skipped "
                                  f"(crash mid-write?)", TruncatedLogLine, stacklevel=2)
                    continue
                yield record

    def latest_good(self, act_id: str | None, lang: str | None, kind: str) -> dict | None:
        """The newest ok record with stored bytes for (act_id, lang, kind), or None."""
        found = None
        for record in self.records():
            if (record.get("ok") and record.get("sha256")
                    and record.get("act_id") == act_id and record.get("lang") == lang
                    and record.get("kind") == kind):
                found = record  # the log is append-only, so the last match is the newest
        return found


# --- one crawl at a time ------------------------------------------------------------------------

LOCK_NAME = "crawl.lock"


class CrawlLocked(RuntimeError):
    """Another running crawl holds the raw store's lock."""


# Locks this process holds, by lock path: [fd, depth]. A process may take its own lock again
# (a live build holds it for the whole build and its fetcher takes it too).
_held: dict[str, list] = {}


class CrawlLock:
    """An exclusive lock on a raw store for one crawl: ``ROOT/crawl.lock`` with the holder's pid.

    The lock is a kernel lock (flock) on that file, so it ends with its process however the
    process ends; the pid, command and start time in the file are what the next crawl reports.
    A lock file left by a process that died (killed, crashed) is taken over, and
    ``took_over`` says whose it was.
    """

    def __init__(self, root: Path | str):
        self.root = Path(root)
        self.path = self.root / LOCK_NAME
        self.took_over: dict | None = None
        self._key: str | None = None

    @staticmethod
    def _holder(fd: int) -> dict | None:
        try:
            data = os.pread(fd, 4096, 0)
            holder = json.loads(data) if data.strip() else None
        except (OSError, ValueError):
            return None
        return holder if isinstance(holder, dict) else None

    def acquire(self) -> CrawlLock:
        self.root.mkdir(parents=True, exist_ok=True)
        key = os.path.realpath(self.path)
        if key in _held:
            _held[key][1] += 1
            self._key = key
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._holder(fd) or {}
            os.close(fd)
            who = ", ".join(str(x) for x in (f"pid {holder.get('pid', '?')}", holder.get("command"),
                                             holder.get("started") and f"since {holder['started']}")
                            if x)
            raise CrawlLocked(f"another crawl is using the raw store {self.root} ({who}); "
                              f"wait for it to finish, or give another --raw folder") from None
        except BaseException:
            os.close(fd)
            raise
        previous = self._holder(fd)
        if previous and previous.get("pid") != os.getpid():
            self.took_over = previous    # its process is gone, or the kernel lock would be held
        me = {"pid": os.getpid(), "command": " ".join(os.path.basename(a) if i == 0 else a
                                                        for i, a in enumerate(sys.argv))[:300],
              "started": _iso(utc_now())}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode(), 0)
        _held[key] = [fd, 1]
        self._key = key
        return self

    def release(self) -> None:
        if self._key is None or self._key not in _held:
            return
        entry = _held[self._key]
        entry[1] -= 1
        if entry[1] == 0:
            del _held[self._key]
            try:
                os.ftruncate(entry[0], 0)   # a clean end leaves no holder to report
            finally:
                os.close(entry[0])          # closing releases the kernel lock
        self._key = None

    def __enter__(self) -> CrawlLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
