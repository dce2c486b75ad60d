"""Fetch feeds and article pages over HTTP with every resource cap a public bot needs.

One `Fetcher` serves the whole bot: it sends conditional GETs (a 304 means "do not parse"),
follows at most `max_redirects` redirects by hand (each hop re-checked by the SSRF guard,
loops refused), caps the body on its *decompressed* size while streaming (gzip and deflate
bombs stop at the cap), enforces a total deadline around the whole read (a server dripping
a byte a second is cut), limits concurrent requests per host, and coalesces concurrent
fetches of the same URL into one request however many chats subscribe to it.

Errors (bot.errors): BlockedURLError, FetchTimeoutError, TooLargeError,
TooManyRedirectsError, HTTPStatusError (status, retry_after), FetchError for the rest.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from types import TracebackType
from typing import TYPE_CHECKING

import httpcore
import httpx
import structlog

from bot import __version__
from bot.arguments import looks_like_number, parse_number
from bot.errors import (
    FetchError,
    FetchTimeoutError,
    HTTPStatusError,
    TooLargeError,
    TooManyRedirectsError,
)
from bot.feeds.netguard import GuardedTransport, Resolver, check_scheme

if TYPE_CHECKING:
    from bot.config import Settings

log = structlog.get_logger(__name__)

try:
    _VERSION = metadata.version("veille")
except metadata.PackageNotFoundError:  # running from a bare checkout
    _VERSION = "0"

DEFAULT_USER_AGENT = f"Veille/{_VERSION} (+https://github.com/veille-bot/veille)"
USER_AGENT = f"Veille/{__version__} (+https://github.com/veille-bot/veille)"
DEFAULT_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9,"
    " application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, text/html;q=0.7, */*;q=0.5"
)
MIB = 1024 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What one fetch produced; `url` is the final URL after redirects.

    `permanent_redirect` is the new URL when every hop was 301/308 (the caller should store
    it); `retry_after` is in seconds when the server sent Retry-After.
    """

    url: str
    status: int
    body: bytes
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    permanent_redirect: str | None = None
    retry_after: float | None = None


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Read Retry-After as seconds from now (delta-seconds or HTTP-date); None if unreadable."""
    if not value:
        return None
    value = value.strip()
    seconds = parse_number(value, max_digits=10)  # ASCII digits only: "²".isdigit(), yet float() refuses it
    if seconds is not None:
        return float(seconds)
    if looks_like_number(value):
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


_BINARY_TYPES = (
    "image/",
    "audio/",
    "video/",
    "font/",
    "application/zip",
    "application/pdf",
    "application/gzip",
    "application/x-",
)


def looks_like_text(body: bytes, content_type: str = "") -> bool:
    """Tell whether `body` is plausibly text (a feed or a page), so random bytes become an error.

    The declared type is trusted only to refuse (servers often label feeds as
    application/octet-stream); the bytes themselves decide otherwise.
    """
    media = content_type.split(";", 1)[0].strip().lower()
    if not body or media.startswith(_BINARY_TYPES):
        return False
    sample = body[:8192]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16 with a BOM: NUL bytes are expected
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 3:  # a character cut by the sample's end
            return True
    controls = sum(1 for b in sample if b < 0x20 and b not in b"\t\n\r\f" or b == 0x7F)
    return controls / len(sample) < 0.01


class _BoundedDecoder:
    """Undo Content-Encoding chunk by chunk, never producing more than `limit` bytes.

    zlib's max_length bounds each step, so a bomb costs at most `limit` bytes of memory.
    """

    def __init__(self, encoding: str, limit: int) -> None:
        self._encoding = encoding
        self._limit = limit
        self._produced = 0
        self._raw_seen = b""  # kept until deflate's header is known good, for the raw retry
        self._sure = encoding != "deflate"
        self._zlib = None if encoding == "identity" else zlib.decompressobj(zlib.MAX_WBITS | 32)

    def feed(self, chunk: bytes) -> bytes:
        if self._zlib is None:
            return self._count(chunk)
        if not self._sure:
            self._raw_seen += chunk
        try:
            out = self._inflate(chunk)
        except zlib.error:
            if self._sure:
                raise
            # "deflate" sent as a raw stream, without the zlib header
            self._sure = True
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._inflate(self._raw_seen)
        if out or len(self._raw_seen) > 1024:
            self._sure, self._raw_seen = True, b""
        return out

    def _inflate(self, data: bytes) -> bytes:
        assert self._zlib is not None
        parts = []
        while data:
            piece = self._zlib.decompress(data, self._limit - self._produced + 1)
            parts.append(self._count(piece))
            data = self._zlib.unconsumed_tail
            if self._zlib.eof:  # another gzip member may follow
                data = self._zlib.unused_data + data
                if data:
                    self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 32)
        return b"".join(parts)

    def _count(self, data: bytes) -> bytes:
        self._produced += len(data)
        if self._produced > self._limit:
            raise TooLargeError(f"body over {self._limit} bytes (decompressed)")
        return data


class _HostSlots:
    """Per-host semaphores, dropped when idle so a months-long run does not accumulate them."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._slots: dict[str, tuple[asyncio.Semaphore, int]] = {}

    async def acquire(self, host: str) -> None:
        sem, users = self._slots.get(host) or (asyncio.Semaphore(self._limit), 0)
        self._slots[host] = (sem, users + 1)
        try:
            await sem.acquire()
        except BaseException:
            self._drop(host)
            raise

    def release(self, host: str) -> None:
        self._slots[host][0].release()
        self._drop(host)

    def _drop(self, host: str) -> None:
        sem, users = self._slots[host]
        if users <= 1:
            del self._slots[host]
        else:
            self._slots[host] = (sem, users - 1)


class Fetcher:
    """Fetch URLs for the whole bot; use `async with Fetcher(...)` or `start()`/`close()`."""

    def __init__(
        self,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        allow_private: bool = False,
        connect_timeout: float = 10.0,
        read_timeout: float = 20.0,
        total_timeout: float = 60.0,
        max_bytes: int = 5 * MIB,
        max_redirects: int = 5,
        per_host_limit: int = 4,
        resolver: Resolver | None = None,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.user_agent = user_agent
        self.allow_private = allow_private
        self.total_timeout = total_timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self._timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=total_timeout
        )
        self._resolver = resolver
        self._network_backend = network_backend
        self._hosts = _HostSlots(per_host_limit)
        self._inflight: dict[tuple[str, str | None, str | None, str], asyncio.Task[FetchResult]]
        self._inflight = {}
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        """Open the connection pool."""
        if self._client is not None:
            return
        transport = GuardedTransport(
            resolver=self._resolver,
            allow_private=self.allow_private,
            network_backend=self._network_backend,
        )
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=self._timeout,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": self.user_agent},
        )

    async def close(self) -> None:
        """Cancel in-flight fetches and close the pool."""
        for task in list(self._inflight.values()):
            task.cancel()
        self._inflight.clear()
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    async def __aenter__(self) -> Fetcher:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = DEFAULT_ACCEPT,
    ) -> FetchResult:
        """Fetch `url`, sharing one request among concurrent callers asking the same thing."""
        if self._client is None:
            raise RuntimeError("Fetcher.start() was not called")
        key = (url, etag, last_modified, accept)
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._fetch(url, etag, last_modified, accept))
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._forget(key, done))
        else:
            log.debug("http.coalesced", url=url)
        # shield: one caller giving up must not cancel the request the others wait for
        return await asyncio.shield(task)

    def _forget(self, key: tuple[str, str | None, str | None, str], task: asyncio.Task) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()  # retrieved: a caller may have gone, the error is theirs to see

    async def _fetch(self, url: str, etag: str | None, last_modified: str | None, accept: str) -> FetchResult:
        check_scheme(url)
        headers = {"Accept": accept, "Accept-Encoding": "gzip, deflate"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        started = time.monotonic()
        current = httpx.URL(url)
        seen = {str(current)}
        all_permanent = True
        deadline: float | None = None
        loop = asyncio.get_running_loop()
        try:
            for hop in range(self.max_redirects + 1):
                host = current.host
                if deadline is None:
                    await self._hosts.acquire(host)
                    deadline = loop.time() + self.total_timeout
                else:
                    async with asyncio.timeout_at(deadline):
                        await self._hosts.acquire(host)
                try:
                    async with asyncio.timeout_at(deadline):
                        result = await self._one_hop(current, headers)
                finally:
                    self._hosts.release(host)
                if isinstance(result, FetchResult):
                    log.info(
                        "http.fetched",
                        url=url,
                        final_url=result.url,
                        status=result.status,
                        bytes=len(result.body),
                        redirects=hop,
                        ms=round((time.monotonic() - started) * 1000),
                    )
                    if hop and all_permanent:
                        return dataclasses.replace(result, permanent_redirect=str(current))
                    return result
                status, target = result
                all_permanent = all_permanent and status in PERMANENT_REDIRECTS
                check_scheme(target)
                if str(target) in seen:
                    raise TooManyRedirectsError(f"redirect loop at {target} (from {url})")
                seen.add(str(target))
                log.debug("http.redirected", url=str(current), to=str(target), status=status)
                current = target
        except TimeoutError as exc:
            raise FetchTimeoutError(f"{url}: over the {self.total_timeout:g} s deadline") from exc
        except httpx.TimeoutException as exc:
            raise FetchTimeoutError(f"{url}: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"{url}: {type(exc).__name__}: {exc}") from exc
        except zlib.error as exc:
            raise FetchError(f"{url}: corrupt compressed body: {exc}") from exc
        raise TooManyRedirectsError(f"{url}: more than {self.max_redirects} redirects")

    async def _one_hop(self, url: httpx.URL, headers: dict[str, str]) -> FetchResult | tuple[int, httpx.URL]:
        """Send one request; return the result, or (status, next URL) for a redirect."""
        assert self._client is not None
        async with self._client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            if status in REDIRECT_STATUSES:
                location = response.headers.get("Location")
                if not location:
                    raise FetchError(f"{url}: {status} redirect without Location")
                try:
                    return status, url.join(location.strip())
                except httpx.InvalidURL as exc:
                    raise FetchError(f"{url}: bad redirect Location {location!r}") from exc
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if status >= 400:
                log.info("http.error", url=str(url), status=status, retry_after=retry_after)
                raise HTTPStatusError(f"{url}: HTTP {status}", status=status, retry_after=retry_after)
            etag = response.headers.get("ETag")
            last_modified = response.headers.get("Last-Modified")
            if status == 304:
                return FetchResult(
                    url=str(url),
                    status=304,
                    body=b"",
                    not_modified=True,
                    etag=etag or headers.get("If-None-Match"),
                    last_modified=last_modified or headers.get("If-Modified-Since"),
                    content_type=response.headers.get("Content-Type", ""),
                    retry_after=retry_after,
                )
            if not 200 <= status < 300:
                raise FetchError(f"{url}: unexpected HTTP {status}")
            body = await self._read_body(response)
            return FetchResult(
                url=str(url),
                status=status,
                body=body,
                etag=etag,
                last_modified=last_modified,
                content_type=response.headers.get("Content-Type", ""),
                retry_after=retry_after,
            )

    async def _read_body(self, response: httpx.Response) -> bytes:
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        encoding = {"x-gzip": "gzip", "": "identity"}.get(encoding, encoding)
        if encoding not in ("identity", "gzip", "deflate"):
            raise FetchError(f"{response.url}: unsupported Content-Encoding {encoding!r}")
        declared = response.headers.get("Content-Length", "")
        length = parse_number(declared, max_digits=20)
        if encoding == "identity" and length is not None and length > self.max_bytes:
            raise TooLargeError(f"{response.url}: Content-Length {declared} over {self.max_bytes}")
        decoder = _BoundedDecoder(encoding, self.max_bytes)
        # raw bytes are bounded too: compressed data can be padded with blocks that inflate to
        # nothing, and a stream of those would never trip the decompressed cap
        raw_limit = self.max_bytes + self.max_bytes // 10 + 65536
        raw_total = 0
        chunks = []
        async for raw in response.aiter_raw():
            raw_total += len(raw)
            if raw_total > raw_limit:
                raise TooLargeError(f"{response.url}: compressed body over {raw_limit} bytes")
            try:
                chunks.append(decoder.feed(raw))
            except TooLargeError as exc:
                raise TooLargeError(f"{response.url}: {exc}") from None
        return b"".join(chunks)


def make_fetcher(settings: Settings) -> Fetcher:
    """Build the one fetcher that serves feeds and article pages, with the configured guards."""
    return Fetcher(
        user_agent=USER_AGENT,
        allow_private=settings.allow_private_urls,
        max_bytes=settings.max_body_bytes,
        total_timeout=settings.fetch_timeout,
    )
