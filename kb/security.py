"""What a public Datasette needs beyond its defaults (issue 10; docs/reliability.md).

* Quiet errors: Datasette 0.65 prints every exception it handles, a 404 included, with rich
  and `show_locals=True` when rich is installed (spaCy pulls it in), and `datasette.cli`
  installs rich's traceback hook for the whole process. That made each 404 cost ≈ 190 ms and
  kilobytes of log, and turned `GET /..` into a 500 (rich raising outside an except block).
  `quiet_errors()` turns both off; a real 500 still prints a plain traceback.
* A Content-Security-Policy and a few safe headers on every response. Scripts: this origin's
  files plus the sha256 of every static inline `<script>` in Datasette's and this project's
  templates, and nothing else — no 'unsafe-inline', so a `javascript:` link or an injected
  script never runs. A template that needs data in a script must put it in a data- attribute.
* Cheap refusals: methods other than GET and HEAD get 405, paths with `.`/`..` segments 404,
  before Datasette (which answered `GET /..` with 500, a POST to a table with a traceback).
* Query slots: arbitrary SQL (when allowed) and canned queries may hold at most
  `num_sql_threads - RESERVED_THREADS` of Datasette's SQL threads at once; the others stay free
  for table, row and project pages. A query that finds every slot taken waits briefly, then
  gets 503 with Retry-After after waiting 1.5 time limits, instead of queueing behind slow ones.

`asgi_wrapper` is registered through kb/plugin.py (it imports it), so `kb serve`, tests and
`datasette package` get the same behaviour. It also installs the coarser SQL time-limit check
(kb/timelimit.py) and the once-per-build answers of an immutable database (kb/immutable.py).
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import sys
import urllib.parse
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs

from datasette import hookimpl
from datasette.utils import tilde_decode

DATABASE = "kb"
RESERVED_THREADS = 2          # SQL threads that queries can never take from page views
KB_DIR = Path(__file__).parent

_SCRIPT_RE = re.compile(r"<script(?P<attrs>\s[^>]*)?>(?P<body>.*?)</script>", re.S | re.I)
# Inline scripts of Datasette's templates that hold one template value, with its values.
_KNOWN_VALUES = {"{{ datasette_allow_facet }}": ("true", "false")}


def quiet_errors() -> None:
    """No rich tracebacks with locals in this process (see the module docstring)."""
    import datasette.handle_exception

    datasette.handle_exception.rich = None
    if getattr(sys.excepthook, "__module__", "").startswith("rich"):
        sys.excepthook = sys.__excepthook__


def _template_dirs() -> list[Path]:
    import datasette

    return [Path(datasette.__file__).parent / "templates", KB_DIR]


def inline_scripts(text: str) -> list[str]:
    """The bodies of inline scripts in a template or page (not those with src=)."""
    out = []
    for m in _SCRIPT_RE.finditer(text):
        if m.group("attrs") and re.search(r"\bsrc\s*=", m.group("attrs"), re.I):
            continue
        out.append(m.group("body"))
    return out


def _variants(body: str) -> list[str]:
    for placeholder, values in _KNOWN_VALUES.items():
        if placeholder in body:
            return [body.replace(placeholder, v) for v in values]
    return [body]


def script_hash(body: str) -> str:
    digest = hashlib.sha256(body.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


@lru_cache(maxsize=1)
def content_security_policy() -> str:
    hashes = set()
    for folder in _template_dirs():
        for path in sorted(folder.rglob("*.html")):
            for body in inline_scripts(path.read_text(encoding="utf-8")):
                for variant in _variants(body):
                    if "{{" in variant or "{%" in variant:
                        continue    # dynamic: cannot be allowed by hash (and is not)
                    hashes.add(script_hash(variant))
    return "; ".join([
        "default-src 'self'",
        "script-src 'self' " + " ".join(sorted(hashes)),
        "style-src 'self' 'unsafe-inline'",   # style attributes in Datasette's templates
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def security_headers() -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", content_security_policy().encode("ascii")),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"x-frame-options", b"DENY"),
    ]


def _canned_queries(datasette) -> set[str]:
    metadata = datasette.metadata() or {}
    return set(((metadata.get("databases") or {}).get(DATABASE) or {}).get("queries") or {})


def is_query(path: str, query_string: bytes, canned: set[str]) -> bool:
    """Arbitrary SQL on the kb database, or one of its canned queries."""
    parts = path.strip("/").split("/")
    if parts[0].split(".")[0] != DATABASE:
        return False
    if len(parts) == 1:
        return "sql" in parse_qs(query_string.decode("latin-1"))
    if len(parts) == 2:
        name = parts[1].rsplit(".", 1)[0] if "." in parts[1] else parts[1]
        try:
            return tilde_decode(name) in canned or tilde_decode(parts[1]) in canned
        except Exception:
            return False
    return False


class QuerySlots:
    """At most `slots` queries at once; a query waits at most `wait` seconds for a slot."""

    def __init__(self, slots: int, wait: float):
        self.slots, self.wait = max(1, slots), wait
        self._semaphore: asyncio.Semaphore | None = None

    @property
    def semaphore(self) -> asyncio.Semaphore:
        if self._semaphore is None:       # created on the serving loop
            self._semaphore = asyncio.Semaphore(self.slots)
        return self._semaphore

    async def acquire(self) -> bool:
        try:
            await asyncio.wait_for(self.semaphore.acquire(), self.wait)
        except asyncio.TimeoutError:
            return False
        return True

    def release(self) -> None:
        self.semaphore.release()


async def _plain(send, status: int, body: bytes, *headers: tuple[bytes, bytes]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()), *headers, *security_headers()]})
    await send({"type": "http.response.body", "body": body})


def _refusal(scope) -> tuple[int, bytes, tuple] | None:
    """Requests answered here, cheaply, before Datasette sees them; None for the rest.

    Only GET and HEAD: nothing on this server accepts writes (Datasette answers a POST to a
    table with a 500 and a traceback). Dot segments (`/..`, `/kb/../x`) name no page:
    Datasette would look them up as tables and rows and log the SQL error.
    """
    if scope.get("method") not in ("GET", "HEAD"):
        return 405, b"Only GET and HEAD: this server is read-only.\n", ((b"allow", b"GET, HEAD"),)
    if any(part in (".", "..") for part in scope.get("path", "").split("/")):
        return 404, b"Not found.\n", ()
    return None


# Array filters on provisions go through the indexed tag tables (issue 11): Datasette's own
# `?dimension_codes__arraycontains=PRO` is a json_each over every provision (seconds at a
# million, with every facet timing out), its `_through` over provision_dimensions the same rows
# by index. {JSON column: (tag table, its code column)}
THROUGH = {"dimension_codes": ("provision_dimensions", "dimension_code"),
           "age_group_codes": ("provision_age_groups", "age_group_code")}
_PROVISIONS_TABLE = re.compile(r"^/kb/provisions(\.[a-z]+)?$")


def through_tag_tables(scope: dict) -> dict:
    """The scope with /kb/provisions' arraycontains filters rewritten as `_through` filters."""
    query = scope.get("query_string", b"")
    if b"__arraycontains=" not in query or not _PROVISIONS_TABLE.match(scope.get("path", "")):
        return scope
    pairs, changed = [], False
    for key, value in urllib.parse.parse_qsl(query.decode("utf-8", "replace"),
                                              keep_blank_values=True):
        column, _, op = key.partition("__")
        if op == "arraycontains" and column in THROUGH and value:
            table, code = THROUGH[column]
            key, value = "_through", json.dumps({"table": table, "column": code, "value": value},
                                                ensure_ascii=False)
            changed = True
        pairs.append((key, value))
    if not changed:
        return scope
    return dict(scope, query_string=urllib.parse.urlencode(pairs).encode())


@hookimpl
def asgi_wrapper(datasette):
    quiet_errors()      # however Datasette was started (kb serve, datasette serve, package)
    from kb.timelimit import install

    install()           # the SQL time limit checked every 10^6 instructions, not 10^3
    from kb import immutable

    immutable.install(datasette)    # schema and whole-table aggregates once per served build
    threads = int(datasette.setting("num_sql_threads") or 0)
    limit_s = (datasette.setting("sql_time_limit_ms") or 1000) / 1000
    slots = QuerySlots(threads - RESERVED_THREADS, wait=max(1.0, 1.5 * limit_s)) \
        if threads > RESERVED_THREADS else None
    canned = _canned_queries(datasette)
    extra = security_headers()

    def wrap(app):
        async def wrapped(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)
            refusal = _refusal(scope)
            if refusal:
                return await _plain(send, *refusal[:2], *refusal[2])
            scope = through_tag_tables(scope)

            async def send_with_headers(message):
                if message["type"] == "http.response.start":
                    present = {k.lower() for k, _ in message.get("headers", [])}
                    message = dict(message, headers=list(message.get("headers", []))
                                   + [(k, v) for k, v in extra if k not in present])
                await send(message)

            if slots is None or not is_query(scope.get("path", ""),
                                             scope.get("query_string", b""), canned):
                return await app(scope, receive, send_with_headers)
            if not await slots.acquire():
                return await _plain(send, 503, b"Too many queries are running; page views are "
                                    b"not affected. Try again in a few seconds.\n",
                                    (b"retry-after", str(max(1, round(2 * limit_s))).encode()))
            try:
                await app(scope, receive, send_with_headers)
            finally:
                slots.release()

        return wrapped

    return wrap
