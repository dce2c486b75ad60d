"""The fetcher against a real local server: validators, encodings, caps, redirects, errors, sharing."""

from __future__ import annotations

import asyncio
import gzip
import random
import zlib
from datetime import UTC, datetime

import pytest
from aiohttp import web

from bot.errors import (
    BlockedURLError,
    FetchTimeoutError,
    HTTPStatusError,
    TooLargeError,
    TooManyRedirectsError,
)
from bot.feeds.fetch import DEFAULT_USER_AGENT, Fetcher, looks_like_text, parse_retry_after
from tests.support.http import FeedServer

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


def local_fetcher() -> Fetcher:
    return Fetcher(allow_private=True, total_timeout=5.0)


async def test_a_plain_fetch_returns_body_type_and_validators(feed_server: FeedServer) -> None:
    url = feed_server.set(
        "/feed.xml",
        RSS,
        content_type="application/rss+xml; charset=utf-8",
        etag='"v1"',
        last_modified="Tue, 12 Mar 2024 08:00:00 GMT",
    )
    async with local_fetcher() as fetcher:
        result = await fetcher.fetch(url)
    assert (result.status, result.body, result.url) == (200, RSS, url)
    assert result.content_type == "application/rss+xml; charset=utf-8"
    assert (result.etag, result.last_modified) == ('"v1"', "Tue, 12 Mar 2024 08:00:00 GMT")
    assert not result.not_modified and result.permanent_redirect is None


async def test_requests_name_the_bot_and_its_url_in_the_user_agent(feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", RSS)
    async with local_fetcher() as fetcher:
        await fetcher.fetch(url)
    agent = feed_server.requests[0].headers["User-Agent"]
    assert agent == DEFAULT_USER_AGENT
    assert agent.startswith("Veille/") and "(+https://github.com/veille-bot/veille)" in agent
    assert "application/rss+xml" in feed_server.requests[0].headers["Accept"]


async def test_a_matching_etag_gives_not_modified_and_no_body(feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", RSS, etag='"v1"')
    async with local_fetcher() as fetcher:
        result = await fetcher.fetch(url, etag='"v1"')
    assert result.not_modified and result.status == 304
    assert result.body == b""
    assert result.etag == '"v1"'
    assert feed_server.requests[0].headers["If-None-Match"] == '"v1"'


async def test_a_matching_last_modified_gives_not_modified(feed_server: FeedServer) -> None:
    stamp = "Tue, 12 Mar 2024 08:00:00 GMT"
    url = feed_server.set("/feed.xml", RSS, last_modified=stamp)
    async with local_fetcher() as fetcher:
        result = await fetcher.fetch(url, last_modified=stamp)
    assert result.not_modified and result.body == b""
    assert result.last_modified == stamp
    assert feed_server.requests[0].headers["If-Modified-Since"] == stamp


async def test_a_changed_feed_is_fetched_again_despite_old_validators(feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", RSS, etag='"v1"')
    async with local_fetcher() as fetcher:
        first = await fetcher.fetch(url)
        feed_server.set("/feed.xml", RSS + b"<!-- v2 -->", etag='"v2"')
        second = await fetcher.fetch(url, etag=first.etag)
    assert not second.not_modified
    assert second.body.endswith(b"<!-- v2 -->") and second.etag == '"v2"'


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
    ],
)
async def test_compressed_bodies_are_decoded(feed_server: FeedServer, encoding: str, compress) -> None:
    url = feed_server.set("/feed.xml", compress(RSS * 50), headers={"Content-Encoding": encoding})
    async with local_fetcher() as fetcher:
        result = await fetcher.fetch(url)
    assert result.body == RSS * 50
    assert "gzip" in feed_server.requests[0].headers["Accept-Encoding"]


async def test_a_body_at_the_cap_passes_and_one_byte_more_is_refused(feed_server: FeedServer) -> None:
    exact = feed_server.set("/exact", b"x" * 1000)
    over = feed_server.set("/over", b"x" * 1001)
    async with Fetcher(allow_private=True, max_bytes=1000) as fetcher:
        assert len((await fetcher.fetch(exact)).body) == 1000
        with pytest.raises(TooLargeError):
            await fetcher.fetch(over)


async def test_a_streamed_body_without_length_is_cut_at_the_cap(feed_server: FeedServer) -> None:
    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        while True:
            await response.write(b"<item>" * 1000)

    url = feed_server.set_handler("/endless", endless)
    async with Fetcher(allow_private=True, max_bytes=100_000, total_timeout=5) as fetcher:
        with pytest.raises(TooLargeError):
            await fetcher.fetch(url)


async def test_a_stalled_response_hits_the_read_timeout(feed_server: FeedServer) -> None:
    async def stall(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await asyncio.sleep(30)
        return response

    url = feed_server.set_handler("/stall", stall)
    async with Fetcher(allow_private=True, read_timeout=0.3, total_timeout=10) as fetcher:
        with pytest.raises(FetchTimeoutError):
            await fetcher.fetch(url)


async def test_up_to_five_redirects_are_followed(feed_server: FeedServer) -> None:
    for hop in range(5):
        feed_server.redirect(f"/r{hop}", f"/r{hop + 1}", status=302)
    feed_server.set("/r5", RSS)
    async with local_fetcher() as fetcher:
        result = await fetcher.fetch(feed_server.url("/r0"))
    assert result.url == feed_server.url("/r5") and result.body == RSS


async def test_a_sixth_redirect_is_refused(feed_server: FeedServer) -> None:
    for hop in range(6):
        feed_server.redirect(f"/r{hop}", f"/r{hop + 1}", status=302)
    feed_server.set("/r6", RSS)
    async with local_fetcher() as fetcher:
        with pytest.raises(TooManyRedirectsError):
            await fetcher.fetch(feed_server.url("/r0"))
    assert feed_server.hits("/r6") == 0


async def test_a_redirect_loop_is_detected_without_going_round(feed_server: FeedServer) -> None:
    feed_server.redirect("/a", "/b", status=302)
    feed_server.redirect("/b", feed_server.url("/a"), status=302)
    async with local_fetcher() as fetcher:
        with pytest.raises(TooManyRedirectsError, match="loop"):
            await fetcher.fetch(feed_server.url("/a"))
    assert (feed_server.hits("/a"), feed_server.hits("/b")) == (1, 1)


@pytest.mark.parametrize("statuses", [(301,), (308,), (301, 308)])
async def test_permanent_redirects_report_the_new_url(
    feed_server: FeedServer, statuses: tuple[int, ...]
) -> None:
    for hop, status in enumerate(statuses):
        feed_server.redirect(f"/old{hop}", f"/old{hop + 1}", status=status)
    new_url = feed_server.set(f"/old{len(statuses)}", RSS)
    async with local_fetcher() as fetcher:
        result = await fetcher.fetch(feed_server.url("/old0"))
    assert result.permanent_redirect == new_url


async def test_a_chain_with_a_temporary_hop_is_not_permanent(feed_server: FeedServer) -> None:
    feed_server.redirect("/old", "/middle", status=301)
    feed_server.redirect("/middle", "/new", status=302)
    feed_server.set("/new", RSS)
    async with local_fetcher() as fetcher:
        result = await fetcher.fetch(feed_server.url("/old"))
    assert result.url == feed_server.url("/new") and result.permanent_redirect is None


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_in_seconds_is_kept_on_the_error(feed_server: FeedServer, status: int) -> None:
    url = feed_server.set("/busy", "slow down", status=status, headers={"Retry-After": "120"})
    async with local_fetcher() as fetcher:
        with pytest.raises(HTTPStatusError) as caught:
            await fetcher.fetch(url)
    assert (caught.value.status, caught.value.retry_after) == (status, 120.0)
    assert str(status) in caught.value.french


async def test_retry_after_as_an_http_date_becomes_seconds(feed_server: FeedServer) -> None:
    url = feed_server.set("/busy", status=503, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"})
    async with local_fetcher() as fetcher:
        with pytest.raises(HTTPStatusError) as caught:
            await fetcher.fetch(url)
    assert caught.value.retry_after is not None and caught.value.retry_after > 365 * 86400


def test_retry_after_parsing_handles_dates_seconds_and_junk() -> None:
    now = datetime(2024, 3, 12, 8, 0, 0, tzinfo=UTC)
    assert parse_retry_after("30", now=now) == 30.0
    assert parse_retry_after("Tue, 12 Mar 2024 08:01:30 GMT", now=now) == 90.0
    assert parse_retry_after("Tue, 12 Mar 2024 07:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("bientôt", now=now) is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize("header", ["²", "١٢", "³⁰", "9" * 5000])
def test_retry_after_in_digits_int_refuses_is_unreadable_not_a_crash(header: str) -> None:
    assert parse_retry_after(header) is None


async def test_gone_is_reported_as_status_410(feed_server: FeedServer) -> None:
    url = feed_server.set("/gone", status=410)
    async with local_fetcher() as fetcher:
        with pytest.raises(HTTPStatusError) as caught:
            await fetcher.fetch(url)
    assert caught.value.status == 410 and caught.value.retry_after is None


async def test_concurrent_fetches_of_one_url_make_one_request(feed_server: FeedServer) -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.2)
        return web.Response(body=RSS)

    url = feed_server.set_handler("/popular", slow)
    async with local_fetcher() as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(url) for _ in range(20)))
    assert feed_server.hits("/popular") == 1
    assert {r.body for r in results} == {RSS}


async def test_fetches_with_different_validators_are_not_merged(feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", RSS, etag='"v1"')
    async with local_fetcher() as fetcher:
        fresh, cached = await asyncio.gather(fetcher.fetch(url), fetcher.fetch(url, etag='"v1"'))
    assert feed_server.hits("/feed.xml") == 2
    assert not fresh.not_modified and cached.not_modified


async def test_one_caller_giving_up_does_not_cancel_the_shared_fetch(feed_server: FeedServer) -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.3)
        return web.Response(body=RSS)

    url = feed_server.set_handler("/popular", slow)
    async with local_fetcher() as fetcher:
        impatient = asyncio.create_task(fetcher.fetch(url))
        patient = asyncio.create_task(fetcher.fetch(url))
        await asyncio.sleep(0.1)
        impatient.cancel()
        assert (await patient).body == RSS
    assert feed_server.hits("/popular") == 1


class ConcurrencyProbe:
    """A slow handler that records how many requests it served at once."""

    def __init__(self) -> None:
        self.active = self.peak = 0

    async def __call__(self, request: web.Request) -> web.Response:
        self.active += 1
        self.peak = max(self.peak, self.active)
        await asyncio.sleep(0.15)
        self.active -= 1
        return web.Response(body=RSS)


async def test_requests_to_one_host_never_exceed_the_per_host_limit(feed_server: FeedServer) -> None:
    slow = ConcurrencyProbe()
    for n in range(6):
        feed_server.set_handler(f"/f{n}", slow)
    async with Fetcher(allow_private=True, per_host_limit=2) as fetcher:
        await asyncio.gather(*(fetcher.fetch(feed_server.url(f"/f{n}")) for n in range(6)))
    assert slow.peak == 2
    assert len(feed_server.requests) == 6


async def test_the_per_host_limit_does_not_hold_back_other_hosts(feed_server: FeedServer) -> None:
    slow = ConcurrencyProbe()

    feed_server.set_handler("/a", slow)
    feed_server.set_handler("/b", slow)
    other_host = feed_server.base_url.replace("127.0.0.1", "localhost")
    async with Fetcher(allow_private=True, per_host_limit=1) as fetcher:
        await asyncio.gather(
            fetcher.fetch(feed_server.url("/a")),
            fetcher.fetch(feed_server.url("/b")),
            fetcher.fetch(other_host + "/a"),
        )
    assert slow.peak == 2


async def test_a_cookie_one_site_sets_is_never_sent_back(feed_server: FeedServer) -> None:
    # one cookie jar shared by every feed and page of a public bot would only grow, and
    # would carry one chat's site session into another's fetches
    url = feed_server.set("/feed.xml", RSS, headers={"Set-Cookie": "session=abc; Path=/"})
    async with local_fetcher() as fetcher:
        await fetcher.fetch(url)
        await fetcher.fetch(url)
    assert [r.headers.get("Cookie") for r in feed_server.requests] == [None, None]


async def test_fetching_before_start_is_a_programming_error() -> None:
    with pytest.raises(RuntimeError, match="start"):
        await Fetcher().fetch("https://example.org/")


async def test_a_non_http_url_is_refused_by_the_fetcher() -> None:
    async with Fetcher(allow_private=True) as fetcher:
        with pytest.raises(BlockedURLError):
            await fetcher.fetch("file:///etc/passwd")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (RSS, "application/rss+xml"),
        ("<p>Café, thé</p>".encode(), "text/html"),
        ("<p>Café</p>".encode("latin-1"), "application/octet-stream"),
        ("<rss>é</rss>".encode("utf-16"), ""),
    ],
)
def test_text_in_any_common_encoding_looks_like_text(body: bytes, content_type: str) -> None:
    assert looks_like_text(body, content_type)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (random.Random(1).randbytes(4096), "application/rss+xml"),
        (random.Random(2).randbytes(4096), ""),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "text/html"),
        (RSS, "image/png"),
        (b"", "text/xml"),
    ],
)
def test_random_bytes_and_binary_types_do_not_look_like_text(body: bytes, content_type: str) -> None:
    assert not looks_like_text(body, content_type)
