"""Fetch Adilet pages into the raw store.

Every response and every failure ends up in the raw store (scrapers/rawstore.py). A page that
arrived but cannot be law text (a JavaScript shell, a page without article markers) is kept as
bytes but logged ok=false, so it is never parsed and never hides the last good copy.

Where the bytes come from is a ``Source``: today only the old server-rendered host; a second
source (the zan.gov.kz JSON API, see SOURCES.md) would be another ``Source`` beside it.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
from tqdm import tqdm

from scrapers.adilet.ids import LANGS, OLD_HOST, validate_act_id
from scrapers.adilet.markup import body_cut_off
from scrapers.http import FetchFailed, PoliteClient
from scrapers.rawstore import CrawlLock, RawStore

NO_MARKERS = "no article markers (JavaScript shell?)"
JS_SHELL = "JavaScript shell (div#root / <!--SEO_BODY-->), no law text"
CUT_OFF = "the document body never closes (no </article>): truncated"
PAGE_SIZES = (10, 20, 50, 100)
_FORM_RE = re.compile(r"^[А-ЯЁ]{2,12}$")


# --- page checks ----------------------------------------------------------------------------

# Anchors are `z` + digits (`<a name="z12">`, `<p id="z12">`, `<h3 id="z3">`); requiring the
# digit keeps ids such as "zoom" from counting as a marker.
_ANCHOR_RE = re.compile(r"""<(?:a\b[^>]*\bname|[a-z0-9]+\b[^>]*\bid)\s*=\s*["']?z\d""", re.I)
_ARTICLE_RE = re.compile(r"Статья\s+\d+(?:-\d+)?\.|\b\d+(?:-\d+)?-бап\.")
_SHELL_RE = re.compile(r"""<!--\s*SEO_BODY\s*-->|<div\b[^>]*\bid\s*=\s*["']?root["'\s>]""", re.I)
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.I)


def decode_leniently(body: bytes, content_type: str | None = None) -> str:
    """Text for checks only (the stored bytes are never re-encoded).

    A wrong charset header is common, so UTF-8 is tried first, then the declared charset
    (header, then <meta>), then UTF-8 with replacement characters.
    """
    candidates = ["utf-8"]
    if content_type and "charset=" in content_type.lower():
        candidates.append(content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'"))
    meta = _META_CHARSET_RE.search(body[:4096])
    if meta:
        candidates.append(meta.group(1).decode("ascii").lower())
    for charset in candidates:
        try:
            return body.decode(charset)
        except (UnicodeDecodeError, LookupError):
            continue
    return body.decode("utf-8", errors="replace")


def is_js_shell(text: str) -> bool:
    return bool(_SHELL_RE.search(text))


def has_article_markers(text: str) -> bool:
    return bool(_ANCHOR_RE.search(text) or _ARTICLE_RE.search(text))


# --- sources --------------------------------------------------------------------------------


class Source:
    """Where Adilet pages come from: how to address them and how to tell a usable one.

    A second source (zan.gov.kz JSON) would subclass this with its own URLs and check.
    """

    name = "abstract"

    def document_url(self, act_id: str, lang: str) -> str:
        raise NotImplementedError

    def info_url(self, act_id: str, lang: str) -> str:
        raise NotImplementedError

    def history_url(self, act_id: str, lang: str) -> str:
        raise NotImplementedError

    def search_url(self, query: str | None, form: str | None, page: int, pagesize: int) -> str:
        raise NotImplementedError

    def check(self, kind: str, body: bytes, headers: httpx.Headers | dict,
              url: str | None = None) -> str | None:
        """None if the body is usable for ``kind``, else why not."""
        raise NotImplementedError


class OldAdiletSource(Source):
    """The server-rendered host ``old.adilet.zan.kz``, path-form URLs only.

    Path forms avoid the ``?fulltext=`` redirect (which also sets the session cookie).
    """

    name = "old.adilet.zan.kz"

    def __init__(self, base_url: str = OLD_HOST):
        self.base_url = base_url.rstrip("/")

    def _doc(self, act_id: str, lang: str) -> str:
        validate_act_id(act_id)  # before the ID goes anywhere near a URL
        if lang not in LANGS:
            raise ValueError(f"unknown language {lang!r} (one of {', '.join(LANGS)})")
        return f"{self.base_url}/{lang}/docs/{act_id}"

    def document_url(self, act_id: str, lang: str) -> str:
        return self._doc(act_id, lang)

    def info_url(self, act_id: str, lang: str) -> str:
        return self._doc(act_id, lang) + "/info"

    def history_url(self, act_id: str, lang: str) -> str:
        return self._doc(act_id, lang) + "/history"

    def search_url(self, query: str | None, form: str | None, page: int = 1,
                   pagesize: int = 100) -> str:
        if pagesize not in PAGE_SIZES:
            raise ValueError(f"pagesize must be one of {PAGE_SIZES}, not {pagesize!r}")
        if not isinstance(page, int) or page < 1:
            raise ValueError(f"page must be a positive integer, not {page!r}")
        if form is not None and not _FORM_RE.match(form):
            raise ValueError(f"not an act form code: {form!r} (e.g. ЗАК, КОД, ПОСТ, ПРИК, УКАЗ)")
        if query is not None and not query.strip():
            raise ValueError("empty search query")
        parts = []
        if query is not None:
            parts.append("fulltext=" + quote(query.strip(), safe=""))
        parts += [f"page={page}", f"pagesize={pagesize}"]
        if form is not None:
            parts.append("va=" + quote(form, safe=""))
        return f"{self.base_url}/rus/search/docs/" + "&".join(parts)

    def check(self, kind: str, body: bytes, headers: httpx.Headers | dict,
              url: str | None = None) -> str | None:
        if kind in ("robots", "indicator"):
            return None
        if not body.strip():
            return "empty body"
        text = decode_leniently(body, dict(headers).get("content-type")
                                or dict(headers).get("Content-Type"))
        if kind == "document":
            if is_js_shell(text) or not has_article_markers(text):
                return NO_MARKERS
            if body_cut_off(text):
                return CUT_OFF
            return unparseable(body, url) if url else None
        if is_js_shell(text):
            return JS_SHELL
        return None


def unparseable(body: bytes, url: str) -> str | None:
    """Why a document page that looks like law text still cannot be used, or None.

    Markers are only a hint (an error page may carry «Статья 1.»): a page logged ok is one the
    build can parse into provisions, so a bad re-fetch never hides the last good copy.
    """
    from scrapers.adilet.errors import ParseError
    from scrapers.adilet.parse import parse_document

    try:
        doc = parse_document(body, url=url)
    except ParseError as exc:       # NotALawPage is a ParseError
        return f"does not parse: {exc}"
    if not doc.provisions:
        return "does not parse: no provisions"
    return None


# --- results --------------------------------------------------------------------------------


@dataclass
class FetchResult:
    url: str
    ok: bool
    status: int | None
    sha256: str | None
    error: str | None
    act_id: str | None
    lang: str | None
    kind: str
    record: dict

    @classmethod
    def from_record(cls, record: dict) -> FetchResult:
        return cls(url=record["url"], ok=record["ok"], status=record["status"],
                   sha256=record["sha256"], error=record["error"], act_id=record["act_id"],
                   lang=record["lang"], kind=record["kind"], record=record)


# --- the fetcher ----------------------------------------------------------------------------


class AdiletFetcher:
    """Polite fetching of Adilet pages into a RawStore. Use as a context manager."""

    def __init__(self, raw_dir: Path | str, *, delay: float = 1.0,
                 transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] | None = None,
                 store: RawStore | None = None, source: Source | None = None,
                 clock: Callable[[], float] | None = None,
                 client: PoliteClient | None = None):
        self.store = store if store is not None else RawStore(Path(raw_dir))
        self.source = source or OldAdiletSource()
        # One crawl per raw store at a time: taken by claim(), at the latest before the first
        # request (so a fetcher that never fetches creates nothing on disk).
        self.lock = CrawlLock(self.store.root)
        self._claimed = False
        self.client = client or PoliteClient(delay=delay, transport=transport, sleep=sleep,
                                             clock=clock, on_robots=self._keep_robots)
        self._owns_client = client is None

    def claim(self) -> AdiletFetcher:
        """Take the raw store's crawl lock (CrawlLocked if another crawl holds it)."""
        if not self._claimed:
            self.lock.acquire()
            self._claimed = True
        return self

    def close(self) -> None:
        try:
            if self._owns_client:
                self.client.close()
        finally:
            if self._claimed:
                self._claimed = False
                self.lock.release()

    def __enter__(self) -> AdiletFetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _keep_robots(self, url: str, response: httpx.Response | None, error: str | None) -> None:
        if response is None:
            self.store.record_failure(url, error or "robots.txt unreachable", kind="robots")
        else:
            self.store.put(response.content, url=url, final_url=str(response.url),
                           status=response.status_code, headers=dict(response.headers),
                           kind="robots", ok=True)

    # --- generic ----------------------------------------------------------------------------

    def fetch_url(self, url: str, *, kind: str, act_id: str | None = None,
                  lang: str | None = None) -> FetchResult:
        """Fetch any URL politely and log it; failures are recorded, never raised."""
        if act_id is not None:
            validate_act_id(act_id)
        self.claim()
        meta = {"kind": kind, "act_id": act_id, "lang": lang}
        try:
            response = self.client.get(url)
        except FetchFailed as exc:
            record = self.store.record_failure(url, str(exc), final_url=exc.final_url,
                                               status=exc.status, headers=exc.headers, **meta)
            return FetchResult.from_record(record)
        body = response.content
        if not response.is_success:
            error = f"HTTP {response.status_code}"
        else:
            error = self.source.check(kind, body, response.headers, url=url)
        common = dict(url=url, final_url=str(response.url), status=response.status_code,
                      headers=dict(response.headers), **meta)
        if body:
            # Whatever arrived whole is kept, even when it is not usable.
            record = self.store.put(body, ok=error is None, error=error, **common)
        else:
            record = self.store.record_failure(error=error or "empty body", **common)
        return FetchResult.from_record(record)

    # --- Adilet pages -----------------------------------------------------------------------

    def fetch_document(self, act_id: str, lang: str = "rus") -> FetchResult:
        url = self.source.document_url(act_id, lang)  # validates before anything else
        return self.fetch_url(url, kind="document", act_id=act_id, lang=lang)

    def fetch_info(self, act_id: str, lang: str = "rus") -> FetchResult:
        url = self.source.info_url(act_id, lang)
        return self.fetch_url(url, kind="info", act_id=act_id, lang=lang)

    def fetch_history(self, act_id: str, lang: str = "rus") -> FetchResult:
        url = self.source.history_url(act_id, lang)
        return self.fetch_url(url, kind="history", act_id=act_id, lang=lang)

    def fetch_search(self, query: str | None = None, form: str | None = None, page: int = 1,
                     pagesize: int = 100) -> FetchResult:
        url = self.source.search_url(query, form, page, pagesize)
        return self.fetch_url(url, kind="search", lang="rus")

    def fetch_acts(self, act_ids: Iterable[str], langs: Iterable[str] = ("rus", "kaz"),
                   with_info: bool = True, progress: bool = False,
                   skip: Iterable[tuple[str, str, str]] = ()) -> list[FetchResult]:
        """Text in every language; /info and /history once per act (in the first language).

        Metadata and history are the same act whichever language they are read in, so one
        copy halves the load on the host. Every ID is checked before the first request;
        a failed page is recorded and the run goes on. `skip` holds (act_id, lang, kind)
        triples already fetched in this run (e.g. by discovery), which are not fetched again.
        """
        skip = set(skip)
        act_ids = [validate_act_id(a) for a in act_ids]
        langs = list(langs)
        for lang in langs:
            if lang not in LANGS:
                raise ValueError(f"unknown language {lang!r} (one of {', '.join(LANGS)})")
        jobs = []
        for act_id in act_ids:
            jobs += [(self.fetch_document, act_id, lang) for lang in langs
                     if (act_id, lang, "document") not in skip]
            if with_info and langs:
                jobs += [(method, act_id, langs[0])
                         for method, kind in ((self.fetch_info, "info"), (self.fetch_history, "history"))
                         if (act_id, langs[0], kind) not in skip]
        results = []
        with tqdm(total=len(jobs), disable=not progress, unit="page") as bar:
            for method, act_id, lang in jobs:
                bar.set_postfix_str(f"{act_id} {lang}", refresh=False)
                results.append(method(act_id, lang))
                bar.update(1)
        return results
