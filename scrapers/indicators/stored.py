"""Live indicator responses kept in the raw store, and read back when a source fails.

``KeepingClient`` wraps the client the live fetchers use (``fetch_worldbank``,
``fetch_unicef_sdmx``: anything with ``get(url, params=, headers=)``): every response and
every failure of one source goes into the raw store as kind ``indicator``, content-addressed
and logged like pages. A source's responses are logged ``ok`` only once the whole source
parsed (``settle``), so the newest good copy is always one that loads.

``ReplayClient`` answers the same requests from the newest good stored response of each URL,
without the network: running the fetcher again over it reproduces the last good observations
when a source fails in a live build (issue 10, row 3).
"""
from __future__ import annotations

import httpx

from scrapers.http import FetchFailed
from scrapers.rawstore import RawStore

KIND = "indicator"


def full_url(url: str, params=None) -> str:
    """The URL with its query, as requested and as logged."""
    return str(httpx.URL(url, params=params)) if params else str(httpx.URL(url))


class KeepingClient:
    def __init__(self, client, store: RawStore):
        self.client = client
        self.store = store
        self._pending: list[tuple[str, httpx.Response | None, Exception | None]] = []

    def get(self, url: str, *, params=None, headers=None) -> httpx.Response:
        url = full_url(url, params)
        try:
            response = self.client.get(url, headers=headers)
        except (FetchFailed, httpx.HTTPError) as exc:
            self._pending.append((url, None, exc))
            raise
        self._pending.append((url, response, None))
        return response

    def settle(self, error: str | None) -> None:
        """Log what this source received: ok if it parsed (``error`` None) and answered 200."""
        pending, self._pending = self._pending, []
        for url, response, exc in pending:
            if response is None:
                self.store.record_failure(url, str(exc) or type(exc).__name__, kind=KIND,
                                          final_url=getattr(exc, "final_url", None),
                                          status=getattr(exc, "status", None),
                                          headers=getattr(exc, "headers", None))
                continue
            ok = error is None and response.status_code == 200
            reason = None if ok else (error if response.status_code == 200
                                      else f"HTTP {response.status_code}")
            meta = dict(url=url, final_url=str(response.url), status=response.status_code,
                        headers=dict(response.headers), kind=KIND)
            if response.content:
                self.store.put(response.content, ok=ok, error=reason or None, **meta)
            else:
                self.store.record_failure(error=reason or "empty body", **meta)


class ReplayClient:
    """GETs answered from the raw store: the newest good response of each URL."""

    def __init__(self, store: RawStore):
        self.store = store
        self.used: list[dict] = []
        self._newest: dict[str, dict] | None = None

    def _index(self) -> dict[str, dict]:
        if self._newest is None:
            self._newest = {}
            for rec in self.store.records():     # append-only: later lines are newer
                if rec.get("kind") == KIND and rec.get("ok") and rec.get("sha256"):
                    self._newest[rec["url"]] = rec
        return self._newest

    def get(self, url: str, *, params=None, headers=None) -> httpx.Response:
        url = full_url(url, params)
        rec = self._index().get(url)
        if rec is None:
            raise FetchFailed(f"no good stored response for {url}", url=url)
        body = self.store.get(rec["sha256"])       # RawStoreError if damaged on disk
        self.used.append(rec)
        return httpx.Response(rec.get("status") or 200, content=body,
                              request=httpx.Request("GET", url))
