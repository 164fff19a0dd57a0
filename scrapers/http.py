"""The polite HTTP client every live importer uses.

One ``httpx.Client`` (cookies kept, so the old Adilet host's JSESSIONID survives between
requests), an honest browser-like User-Agent naming the project and a contact, at least
``delay`` seconds (or the host's robots.txt Crawl-delay, if longer) between two requests to
one host, robots.txt read once per host and obeyed, and retries with exponential backoff on
timeouts, dropped connections, truncated bodies, 429 and 5xx. Redirects are followed here, one
hop at a time, so that every hop is spaced, checked against robots.txt and a loop is caught.

Hard limits (issue 10; docs/reliability.md), so no server can make a crawl hang or eat
the machine:

* ``deadline`` (60 s): the total time of one attempt (connect, headers, body), however slowly
  the bytes trickle (``scrapers/limits.py``); ``timeout`` (30 s) still bounds each socket wait.
* ``max_bytes`` (32 MiB): the body after decompression; a larger Content-Length is refused
  before the body is read, a gzip bomb after ``max_bytes`` inflated bytes. Never retried.
* ``max_retry_after`` (60 s): the most one URL waits in total on Retry-After; a server asking
  for longer gets the URL recorded as failed at once, without waiting.
* ``max_host_failures`` (3): after that many URLs of one host in a row fail without an answer
  (timeouts, refused connections, 5xx/429 after retries), the host is given up for the rest
  of the run: its later URLs fail at once with HostGivenUp, without a request.

Time is injectable (``sleep``, ``clock``, ``now``) so tests run instantly and can still assert
every wait the client asked for.
"""
from __future__ import annotations

import email.utils
import os
import re
import ssl
import time
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import certifi
import httpx

from scrapers.limits import (ACCEPT_ENCODING, BodyTooLarge, BoundedDecoder, UnsupportedEncoding,
                             deadline, deadline_transport)

# --- who we are: the one place the crawler's identity is configured -----------------------

PROJECT = "kz-child-law-kb"
PROJECT_VERSION = "0.1"
# Placeholders until the project has a public home: set PROJECT_URL to the repository's
# address and CONTACT to a mailbox somebody reads before any live crawl (README, "Before a
# live crawl"). The KB_CONTACT environment variable overrides CONTACT without an edit.
PROJECT_URL = "https://github.com/kz-child-law-kb/kz-child-law-kb"
CONTACT = "kz-child-law-kb@users.noreply.github.com"
CONTACT_ENV = "KB_CONTACT"


def contact() -> str:
    """Who site operators can write to: $KB_CONTACT, else CONTACT."""
    value = os.environ.get(CONTACT_ENV, "").strip()
    if value and not re.fullmatch(r"[\x20-\x7e]+", value):
        # It goes into an HTTP header: printable ASCII only.
        raise ValueError(f"{CONTACT_ENV} must be printable ASCII (an e-mail address or URL), "
                         f"not {value!r}")
    return value or CONTACT


def default_user_agent() -> str:
    # The old Adilet host answers only browser-like agents (curl or no agent loops on 302),
    # so the string starts like a browser and then says honestly who is asking.
    return ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/124 Safari/537.36 {PROJECT}/{PROJECT_VERSION} (+{PROJECT_URL}; contact {contact()})")


DEFAULT_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "ru,kk;q=0.9,en;q=0.5",
    "Accept-Encoding": ACCEPT_ENCODING,
}

MAX_BODY_BYTES = 32 * 1024 * 1024   # the largest Adilet pages (codes) are a few MB
DEADLINE = 60.0                     # seconds per attempt, all included
MAX_RETRY_AFTER = 60.0              # seconds one URL may wait on Retry-After, in total
MAX_HOST_FAILURES = 3               # failed URLs in a row before a host is given up

CERTS_DIR = Path(__file__).parent / "certs"

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_RETRY_EXCEPTIONS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


class FetchFailed(Exception):
    """A request that produced no usable response (after any retries)."""

    def __init__(self, message: str, *, url: str, final_url: str | None = None,
                 status: int | None = None, headers: dict | None = None):
        super().__init__(message)
        self.url = url
        self.final_url = final_url or url
        self.status = status
        self.headers = headers or {}


class RobotsDisallowed(FetchFailed):
    """robots.txt forbids the URL; it was never requested."""


class HostUnavailable(FetchFailed):
    """No usable answer from the host (timeouts, connection errors, 5xx/429 after retries)."""


class HostGivenUp(FetchFailed):
    """The host failed too often in a row this run; the URL was skipped without a request."""


class ResponseRefused(FetchFailed):
    """The host answered, but the response breaks a hard limit (too large, unknown encoding)."""


class CertificateBundleError(ValueError):
    """A PEM file in scrapers/certs/ cannot be loaded."""


def build_ssl_context(cert_dir: Path | None = CERTS_DIR) -> ssl.SSLContext:
    """Verification ON: certifi's roots plus every PEM in ``cert_dir``.

    The old Adilet host has been seen sending its leaf certificate without the intermediate;
    shipping that intermediate here completes the chain instead of turning verification off.
    """
    ctx = ssl.create_default_context(cafile=certifi.where())
    if cert_dir is not None and Path(cert_dir).is_dir():
        for pem in sorted(Path(cert_dir).glob("*.pem")):
            try:
                ctx.load_verify_locations(cafile=str(pem))
            except (ssl.SSLError, ValueError, OSError) as exc:
                raise CertificateBundleError(f"cannot load CA certificate {pem}: {exc}") from exc
    return ctx


@dataclass
class _Host:
    last_request: float | None = None
    crawl_delay: float = 0.0          # robots.txt Crawl-delay for our agent, when longer
    robots: urllib.robotparser.RobotFileParser | None = None
    robots_error: str | None = None
    failures: int = 0                 # URLs in a row that got no usable answer
    gave_up: str | None = None        # why the host is skipped for the rest of the run


def _origin(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.netloc.decode('ascii')}"


class PoliteClient:
    """A rate-limited, robots-aware, retrying GET client.

    ``get(url)`` returns the final ``httpx.Response`` (any status that is not retried: 2xx,
    3xx without Location, 4xx) or raises FetchFailed / RobotsDisallowed.
    ``on_robots(url, response_or_exc)`` lets the caller keep robots.txt in its raw store.
    """

    def __init__(self, *, delay: float = 1.0, transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] | None = None,
                 clock: Callable[[], float] | None = None,
                 now: Callable[[], datetime] | None = None,
                 timeout: float = 30.0, max_redirects: int = 10, max_attempts: int = 4,
                 backoff: float = 2.0, max_backoff: float = 60.0,
                 max_retry_after: float = MAX_RETRY_AFTER, deadline: float = DEADLINE,
                 max_bytes: int = MAX_BODY_BYTES, max_host_failures: int = MAX_HOST_FAILURES,
                 user_agent: str | None = None,
                 obey_robots: bool = True, robots_agent: str = PROJECT, cert_dir: Path | None = CERTS_DIR,
                 on_robots: Callable[[str, httpx.Response | None, str | None], None] | None = None):
        if delay < 0:
            raise ValueError("delay must be >= 0")
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        if not deadline > 0 or not timeout > 0:
            raise ValueError("deadline and timeout must be > 0")
        if max_bytes < 1 or max_host_failures < 1 or max_retry_after < 0:
            raise ValueError("max_bytes and max_host_failures must be >= 1, max_retry_after >= 0")
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.max_host_failures = max_host_failures
        self.delay = delay
        self.max_redirects = max_redirects
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.user_agent = user_agent or default_user_agent()
        self.obey_robots = obey_robots
        # robots.txt groups are matched on a product token; ours is the project name, so a
        # site can address this crawler by name (the browser prefix would match "Mozilla").
        self.robots_agent = robots_agent
        self.on_robots = on_robots
        self._sleep = sleep or time.sleep
        self._clock = clock or time.monotonic
        self._now = now or (lambda: datetime.now(timezone.utc))
        self._hosts: dict[str, _Host] = {}
        headers = dict(DEFAULT_HEADERS, **{"User-Agent": self.user_agent})
        kwargs = {}
        if transport is None:
            kwargs["transport"] = deadline_transport(build_ssl_context(cert_dir))
        else:
            kwargs["transport"] = transport
        # Redirects are followed by get() itself, hop by hop (spacing, robots, loops).
        self._client = httpx.Client(headers=headers, follow_redirects=False,
                                    timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
                                    **kwargs)

    # --- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._client.cookies

    # --- politeness -------------------------------------------------------------------------

    def _host(self, url: httpx.URL) -> _Host:
        return self._hosts.setdefault(_origin(url), _Host())

    def _wait_turn(self, url: httpx.URL) -> None:
        host = self._host(url)
        if host.last_request is not None:
            wait = host.last_request + max(self.delay, host.crawl_delay) - self._clock()
            if wait > 0:
                self._sleep(wait)
        host.last_request = self._clock()

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            self._sleep(seconds)

    def _robots_for(self, url: httpx.URL) -> _Host:
        host = self._host(url)
        if host.robots is not None or host.robots_error is not None:
            return host
        robots_url = f"{_origin(url)}/robots.txt"
        parser = urllib.robotparser.RobotFileParser(robots_url)
        response = None
        try:
            response = self.get(robots_url)  # follows redirects; /robots.txt is always allowed
        except FetchFailed as exc:
            # RFC 9309: an unreachable robots.txt means "assume everything is disallowed".
            host.robots_error = f"robots.txt unreachable ({exc}); not crawling {_origin(url)}"
            if self.on_robots:
                self.on_robots(robots_url, None, str(exc))
            return host
        if self.on_robots:
            self.on_robots(robots_url, response, None)
        if response.is_success:
            parser.parse(response.content.decode("utf-8", errors="replace").splitlines())
        elif 400 <= response.status_code < 500:
            parser.allow_all = True  # no robots.txt: everything is allowed
        else:
            host.robots_error = (f"robots.txt answered HTTP {response.status_code}; "
                                 f"not crawling {_origin(url)}")
            return host
        host.robots = parser
        if self.obey_robots:
            # A site that asks for more spacing than ours gets it.
            try:
                host.crawl_delay = float(parser.crawl_delay(self.robots_agent) or 0)
            except (TypeError, ValueError):
                host.crawl_delay = 0.0
        return host

    def allowed(self, url: str) -> tuple[bool, str | None]:
        """Whether robots.txt lets us fetch ``url``; the reason when it does not."""
        if not self.obey_robots:
            return True, None
        parsed = httpx.URL(url)
        if parsed.path == "/robots.txt":
            return True, None
        host = self._robots_for(parsed)
        if host.robots_error:
            return False, host.robots_error
        if not host.robots.can_fetch(self.robots_agent, url):
            return False, f"robots.txt of {_origin(parsed)} disallows {parsed.path}"
        return True, None

    # --- requests ---------------------------------------------------------------------------

    def _retry_after(self, response: httpx.Response) -> float | None:
        value = response.headers.get("Retry-After")
        if not value:
            return None
        value = value.strip()
        if value.isdigit():
            seconds = float(value)
        else:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            seconds = (when - self._now()).total_seconds()
        return max(0.0, seconds)     # uncapped: _request refuses to wait beyond the cap

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff * (2 ** (attempt - 1)), self.max_backoff)

    def _send_once(self, url: str, headers=None) -> httpx.Response:
        """One request within the deadline, body read in full and within max_bytes.

        Raises httpx errors (a short body included) or BodyTooLarge / UnsupportedEncoding.
        """
        parsed = httpx.URL(url)
        self._wait_turn(parsed)
        request = self._client.build_request("GET", url, headers=headers)
        started = time.monotonic()
        try:
            with deadline(self.deadline):
                response = self._client.send(request, stream=True)
                try:
                    body, received = self._read_body(response)
                finally:
                    response.close()
        except httpx.TimeoutException as exc:
            if time.monotonic() - started >= self.deadline - 0.05:
                raise httpx.ReadTimeout(f"total deadline of {self.deadline:g} s per request "
                                        f"exceeded ({exc or type(exc).__name__})",
                                        request=request) from exc
            raise
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and received is not None and received != int(declared):
            raise httpx.RemoteProtocolError(
                f"truncated body: Content-Length {declared}, received {received} bytes",
                request=request)
        # The body is decoded here (BoundedDecoder), so the response handed on carries it as
        # content, with the headers exactly as received.
        out = httpx.Response(response.status_code, content=body, request=request,
                             extensions=response.extensions)
        out.headers = response.headers
        return out

    def _read_body(self, response: httpx.Response) -> tuple[bytes, int | None]:
        """(decoded body, raw bytes received or None when unknown), within max_bytes."""
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise BodyTooLarge(f"Content-Length {int(declared):,} is more than the "
                               f"{self.max_bytes:,}-byte limit; body not read")
        if response.is_stream_consumed:
            # A body handed over already in memory (MockTransport), decoded by httpx.
            body = response.content
            if len(body) > self.max_bytes:
                raise BodyTooLarge(f"body larger than {self.max_bytes:,} bytes")
            identity = response.headers.get("Content-Encoding", "identity") == "identity"
            return body, len(body) if identity else None
        decoder = BoundedDecoder(response.headers.get("Content-Encoding"), self.max_bytes)
        received = 0
        for chunk in response.iter_raw():
            received += len(chunk)
            decoder.feed(chunk)
        return decoder.finish(), received

    def _attempts(self, url: str, headers=None) -> httpx.Response:
        """GET with retries; returns a non-retryable response or raises FetchFailed."""
        last_error = None
        waited_retry_after = 0.0
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = self._send_once(url, headers)
            except (BodyTooLarge, UnsupportedEncoding) as exc:
                raise ResponseRefused(f"refused: {exc}", url=url) from exc
            except _RETRY_EXCEPTIONS as exc:
                message = str(exc) or type(exc).__name__
                if "CERTIFICATE_VERIFY_FAILED" in message:
                    raise HostUnavailable(
                        f"TLS verification failed ({message}); add the missing intermediate "
                        f"CA to scrapers/certs/ (see its README)", url=url) from exc
                last_error = HostUnavailable(f"{type(exc).__name__}: {message}", url=url)
                if attempt < self.max_attempts:
                    self._pause(self._backoff(attempt))
                continue
            except httpx.HTTPError as exc:  # invalid URL, undecodable body …: no retry
                raise FetchFailed(f"{type(exc).__name__}: {exc}", url=url) from exc
            if response.status_code not in RETRY_STATUSES:
                return response
            last_error = HostUnavailable(f"HTTP {response.status_code} after {attempt} attempt(s)",
                                         url=url, status=response.status_code,
                                         headers=dict(response.headers))
            if attempt < self.max_attempts:
                wait = self._retry_after(response) if response.status_code in (429, 503) else None
                if wait is not None and waited_retry_after + wait > self.max_retry_after:
                    # Waiting that long holds the whole crawl up; the URL is recorded as
                    # failed now and the next build tries again.
                    last_error = HostUnavailable(
                        f"HTTP {response.status_code}: the server asks to retry after {wait:g} s; "
                        f"more than the {self.max_retry_after:g} s cap per URL, not retried",
                        url=url, status=response.status_code, headers=dict(response.headers))
                    break
                if wait is not None:
                    waited_retry_after += wait
                self._pause(wait if wait is not None else self._backoff(attempt))
        raise last_error

    def _request(self, url: str, *, check_robots: bool = True, headers=None) -> httpx.Response:
        """One URL (no redirects): robots, the host's give-up, retries."""
        host = self._host(httpx.URL(url))
        if host.gave_up:
            raise HostGivenUp(host.gave_up, url=url)
        if check_robots:
            ok, reason = self.allowed(url)
            if not ok:
                raise RobotsDisallowed(f"refused by robots.txt: {reason}", url=url)
        try:
            response = self._attempts(url, headers)
        except HostUnavailable as exc:
            host.failures += 1
            if host.failures >= self.max_host_failures:
                host.gave_up = (f"skipped: gave up on {_origin(httpx.URL(url))} after "
                                f"{host.failures} failed requests in a row (last: {exc})")
            raise
        host.failures = 0
        return response

    def get(self, url: str, *, params=None, headers=None) -> httpx.Response:
        """GET ``url`` politely, following redirects; see the class docstring.

        `params` are merged into the URL's query string; `headers` are added to this request.
        """
        if params:
            url = str(httpx.URL(url, params=params))
        if httpx.URL(url).scheme not in ("http", "https"):
            raise ValueError(f"not an http(s) URL: {url!r}")
        chain = [str(httpx.URL(url))]
        current = url
        for _ in range(self.max_redirects + 1):
            try:
                response = self._request(current, headers=headers)
            except FetchFailed as exc:
                exc.url, exc.final_url = url, current
                raise
            location = response.headers.get("Location")
            if not (response.is_redirect and location):
                return response
            target = str(response.url.join(location))
            if target in chain:
                # The old host loops on 302 for agents it does not like.
                raise FetchFailed("redirect loop: " + " -> ".join(chain + [target]),
                                  url=url, final_url=current, status=response.status_code)
            chain.append(target)
            current = target
        raise FetchFailed(f"more than {self.max_redirects} redirects: " + " -> ".join(chain),
                          url=url, final_url=current)
