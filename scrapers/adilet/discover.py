"""Find child-related acts that are not on the seed list.

Two ways, both through the fetcher (so every page lands in the raw store and is spaced):

1. search: each query (per act form) on the old host's full-text search, following the
   «next page» link up to ``max_pages`` pages;
2. links: breadth-first over ``/{lang}/docs/{ID}`` links inside the body (``article``) of the
   start acts' and found acts' Russian text, up to ``max_depth`` hops. Links in the page
   chrome (the sidebar lists popular codes on every page) are not followed.

Each newly found ID comes back with why it was found: the search, or the act linking to it.
"""
from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from scrapers.adilet.errors import ParseError
from scrapers.adilet.ids import is_act_id, validate_act_id
from scrapers.adilet.seeds import SearchTarget

_DOC_LINK_RE = re.compile(r"/(?:rus|kaz|eng)/docs/([A-Za-z0-9_]{11})(?=$|[/#?])")


@dataclass
class Discovered:
    act_id: str
    reasons: list[str]
    title: str | None = None
    repealed: bool | None = None
    depth: int = 0


@dataclass
class DiscoveryResult:
    found: dict[str, Discovered] = field(default_factory=dict)   # new IDs, in finding order
    fetched: list = field(default_factory=list)                  # every FetchResult
    problems: list[str] = field(default_factory=list)            # pages fetched but unreadable

    @property
    def act_ids(self) -> list[str]:
        return list(self.found)

    @property
    def failures(self) -> list:
        return [r for r in self.fetched if not r.ok]


def links_in_body(html: bytes) -> list[str]:
    """Act IDs linked from the document body (``article``), in order, without repeats."""
    try:
        root = lxml.html.fromstring(html)
    except (ValueError, etree.ParserError):
        return []
    ids = []
    for a in root.xpath("//article//a[@href]"):
        m = _DOC_LINK_RE.search(a.get("href"))
        if m and is_act_id(m[1]) and m[1] not in ids:
            ids.append(m[1])
    return ids


def _searches(queries, forms) -> list[tuple[str | None, str | None]]:
    forms = list(forms) or [None]
    out = []
    for q in queries:
        if isinstance(q, SearchTarget):
            out.append((q.query, q.form))
        elif isinstance(q, tuple):
            out.append(q)
        else:
            out += [(q, form) for form in forms]
    return out


class _Crawl:
    def __init__(self, fetcher, result, *, known, limit, refetch):
        self.fetcher = fetcher
        self.store = fetcher.store
        self.result = result
        self.known = known
        self.limit = limit
        self.refetch = refetch

    @property
    def full(self) -> bool:
        return len(self.result.found) >= self.limit

    def add(self, act_id, reason, *, depth, title=None, repealed=None) -> bool:
        """Record a find; True if the ID is new to this run."""
        if act_id in self.known:
            return False
        entry = self.result.found.get(act_id)
        if entry is not None:
            if reason not in entry.reasons:
                entry.reasons.append(reason)
            return False
        if self.full:
            return False
        self.result.found[act_id] = Discovered(act_id, [reason], title, repealed, depth)
        return True

    def fetch(self, call, *args, **kwargs):
        res = call(*args, **kwargs)
        self.result.fetched.append(res)
        return res

    def search(self, query, form, *, max_pages, pagesize):
        from scrapers.adilet.parse import parse_search  # the parser module is heavy

        reason = f"search «{query}»" + (f" va={form}" if form else "") if query else \
            f"search va={form}"
        host = urlsplit(self.fetcher.source.search_url(query, form, 1, pagesize)).netloc
        res = self.fetch(self.fetcher.fetch_search, query, form, 1, pagesize)
        seen_pages = {res.url}
        for page_no in range(1, max_pages + 1):
            if not res.ok or self.full:
                return
            try:
                page = parse_search(self.store.get(res.sha256), url=res.record["final_url"])
            except ParseError as exc:
                self.result.problems.append(f"{res.url}: {exc}")
                return
            for hit in page.hits:
                self.add(hit.act_id, reason, depth=0, title=hit.title, repealed=hit.repealed)
            nxt = page.next_url
            if not nxt or page_no == max_pages or nxt in seen_pages:
                return
            parts = urlsplit(nxt)
            if parts.netloc != host or not parts.path.startswith("/rus/search/"):
                self.result.problems.append(f"{res.url}: next page {nxt} left the search; "
                                            f"not followed")
                return
            seen_pages.add(nxt)
            res = self.fetch(self.fetcher.fetch_url, nxt, kind="search", lang="rus")

    def document(self, act_id) -> bytes | None:
        """The act's Russian text: the stored good copy, else fetched now."""
        if not self.refetch:
            record = self.store.latest_good(act_id, "rus", "document")
            if record:
                return self.store.get(record["sha256"])
        res = self.fetch(self.fetcher.fetch_document, act_id, "rus")
        return self.store.get(res.sha256) if res.ok else None

    def follow_links(self, start, *, max_depth):
        queue = deque((a, 0) for a in start)
        queue.extend((a, d.depth) for a, d in self.result.found.items())
        visited = set()
        while queue and not self.full:
            act_id, depth = queue.popleft()
            if act_id in visited or depth >= max_depth:
                continue
            visited.add(act_id)
            body = self.document(act_id)
            if body is None:
                continue
            for linked in links_in_body(body):
                if linked == act_id:
                    continue
                if self.add(linked, f"linked from {act_id}", depth=depth + 1):
                    queue.append((linked, depth + 1))


def discover(fetcher, *, queries: Iterable = (), forms: Iterable[str | None] = (),
             max_pages: int = 5, follow_links: bool = True, limit: int = 300,
             start: Iterable[str] = (), known: Iterable[str] = (), max_depth: int = 1,
             pagesize: int = 100, refetch: bool = False) -> DiscoveryResult:
    """Search and follow links for acts not in ``known``; see the module docstring.

    ``queries``: keywords (each searched once per form in ``forms``; no forms: all forms),
    or ``SearchTarget`` / ``(query, form)`` pairs searched as given. ``start``: acts whose
    text is read for links first (usually the seed list; they are known, never "found").
    ``limit`` caps the number of new IDs, which also bounds how many documents are read.
    """
    start = [validate_act_id(a) for a in start]
    known = {validate_act_id(a) for a in known} | set(start)
    if max_pages < 0 or max_depth < 0 or limit < 0:
        raise ValueError("max_pages, max_depth and limit must not be negative")
    result = DiscoveryResult()
    crawl = _Crawl(fetcher, result, known=known, limit=limit, refetch=refetch)
    if max_pages:
        for query, form in _searches(queries, forms):
            if crawl.full:
                break
            crawl.search(query, form, max_pages=max_pages, pagesize=pagesize)
    if follow_links and max_depth:
        crawl.follow_links(start, max_depth=max_depth)
    return result
