"""Hostile and ill-formed feeds: bombs, drips, entity expansion, garbage, and the mess real feeds contain.

Each fault is served by a real server on 127.0.0.1 or read from tests/data, and each test
proves that the guard holds: the fetch stops at its cap or deadline with bounded memory,
the parser refuses what is dangerous and still reads what is merely messy.
"""

from __future__ import annotations

import asyncio
import codecs
import functools
import random
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web

from bot.errors import FeedParseError, FetchTimeoutError, TooLargeError
from bot.feeds.fetch import Fetcher, looks_like_text
from bot.feeds.parse import DEFAULT_MAX_ENTRIES, parse_feed
from tests.support.http import FeedServer

DATA = Path(__file__).parents[2] / "data"
NOW = datetime(2024, 6, 1, tzinfo=UTC)
MIB = 1024 * 1024


@functools.cache
def zero_bomb(wbits: int, size: int = 100 * MIB) -> bytes:
    """Compress `size` zero bytes (about 100 KB for 100 MB) without holding them in memory."""
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(MIB)
    return b"".join(packer.compress(block) for _ in range(size // MIB)) + packer.flush()


@pytest.fixture
def peak_memory() -> Iterator[Callable[[], int]]:
    """Trace Python allocations during the test; call the fixture's value to read the peak."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        yield lambda: tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def parse_data(name: str, **options: int) -> object:
    return parse_feed((DATA / name).read_bytes(), url="https://hostile.example.org/feed", now=NOW, **options)


@pytest.mark.parametrize(("encoding", "wbits"), [("gzip", 16 + zlib.MAX_WBITS), ("deflate", zlib.MAX_WBITS)])
async def test_a_compression_bomb_stops_at_the_decompressed_cap(
    feed_server: FeedServer, peak_memory: Callable[[], int], encoding: str, wbits: int
) -> None:
    bomb = zero_bomb(wbits)
    assert len(bomb) < MIB  # 100 MB of zeros on the wire is tiny
    url = feed_server.set(
        "/bomb.xml", bomb, content_type="application/rss+xml", headers={"Content-Encoding": encoding}
    )
    async with Fetcher(allow_private=True, max_bytes=MIB, total_timeout=10) as fetcher:
        started = time.monotonic()
        with pytest.raises(TooLargeError, match="decompressed"):
            await fetcher.fetch(url)
    assert time.monotonic() - started < 5
    assert peak_memory() < 16 * MIB  # a few times the 1 MiB cap, never the 100 MB


async def test_endless_empty_gzip_members_are_cut_by_the_raw_byte_cap(feed_server: FeedServer) -> None:
    empty_member = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS).flush()

    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Encoding": "gzip"})
        await response.prepare(request)
        while True:
            await response.write(empty_member * 500)

    url = feed_server.set_handler("/empty-members", endless)
    async with Fetcher(allow_private=True, max_bytes=100_000, total_timeout=10) as fetcher:
        with pytest.raises(TooLargeError, match="compressed body"):
            await fetcher.fetch(url)


async def test_a_server_dripping_a_byte_at_a_time_is_cut_at_the_total_deadline(
    feed_server: FeedServer,
) -> None:
    async def drip(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        for byte in b"<rss>" * 1000:
            await response.write(bytes([byte]))
            await asyncio.sleep(0.1)
        return response

    url = feed_server.set_handler("/drip", drip)
    # each byte arrives well within the read timeout: only the total deadline can stop this
    async with Fetcher(allow_private=True, read_timeout=5, total_timeout=1) as fetcher:
        started = time.monotonic()
        with pytest.raises(FetchTimeoutError, match="deadline"):
            await fetcher.fetch(url)
    assert 0.9 < time.monotonic() - started < 3


async def test_garbage_served_as_a_feed_is_an_error_not_a_digest(feed_server: FeedServer) -> None:
    garbage = random.Random(3).randbytes(64 * 1024)
    url = feed_server.set("/feed.xml", garbage, content_type="application/rss+xml")
    async with Fetcher(allow_private=True) as fetcher:
        result = await fetcher.fetch(url)
    assert not looks_like_text(result.body, result.content_type)
    with pytest.raises(FeedParseError):
        parse_feed(result.body, url=url, content_type=result.content_type)


@pytest.mark.parametrize("name", ["billion_laughs.xml", "quadratic_blowup.xml", "xxe.xml"])
def test_entity_declarations_are_refused_fast_with_bounded_memory(
    peak_memory: Callable[[], int], name: str
) -> None:
    started = time.monotonic()
    with pytest.raises(FeedParseError, match="entities"):
        parse_data(f"hostile/{name}")
    assert time.monotonic() - started < 1
    assert peak_memory() < 4 * MIB


@pytest.mark.parametrize(
    "disguise",
    [
        lambda doc: codecs.BOM_UTF8 + doc,
        lambda doc: b"<!-- harmless -->\n<?xml-stylesheet href='s.xsl'?>\n" + doc.split(b"\n", 1)[1],
        lambda doc: codecs.BOM_UTF16_LE + doc.decode().encode("utf-16-le"),
        lambda doc: doc.decode().encode("utf-16-be"),
        lambda doc: doc.replace(b"<!DOCTYPE", b"<!doctype").replace(b"<!ENTITY", b"<!entity"),
    ],
    ids=["utf8-bom", "after-comment-and-pi", "utf16-bom", "utf16-no-bom", "lower-case"],
)
def test_disguised_billion_laughs_is_refused_too(disguise: Callable[[bytes], bytes]) -> None:
    body = disguise((DATA / "hostile" / "billion_laughs.xml").read_bytes())
    with pytest.raises(FeedParseError):
        parse_feed(body, url="https://hostile.example.org/feed", now=NOW)


async def test_an_entity_bomb_served_over_http_never_becomes_entries(feed_server: FeedServer) -> None:
    url = feed_server.set("/lol.xml", (DATA / "hostile" / "billion_laughs.xml").read_bytes())
    async with Fetcher(allow_private=True) as fetcher:
        result = await fetcher.fetch(url)
    with pytest.raises(FeedParseError):
        parse_feed(result.body, url=result.url, content_type=result.content_type)


def test_a_feed_declared_utf8_but_written_in_latin1_is_still_read() -> None:
    feed = parse_data("feeds/broken_encoding.xml")
    assert feed.title == "Encodage cassé"
    assert [e.title for e in feed.entries] == [
        "Décision du tribunal de Créteil",
        "Deuxième article en vrai UTF-8",
    ]


def test_undeclared_html_entities_are_read_as_characters() -> None:
    feed = parse_data("feeds/undeclared_entities.xml")
    assert feed.entries[0].title == "L’arrêt du 3\xa0mars"
    assert feed.entries[1].title == "Second — article"


def test_items_with_missing_fields_get_a_uid_and_a_title_and_empty_items_are_dropped() -> None:
    entries = parse_data("feeds/missing_fields.xml").entries
    assert len(entries) == 3
    untitled, linked, bare = entries
    assert untitled.title.startswith("Un article sans titre") and untitled.url == ""
    assert untitled.uid.startswith("sha256:")
    assert linked.uid == linked.url == "https://missing.example.org/avec-lien"
    assert bare.uid.startswith("sha256:") and bare.uid != untitled.uid
    assert bare.published == datetime(2024, 3, 6, 10, 0, tzinfo=UTC)


def test_future_epoch_and_unreadable_dates_become_unknown() -> None:
    by_uid = {e.uid: e.published for e in parse_data("feeds/odd_dates.xml").entries}
    assert by_uid["d-future"] is None
    assert by_uid["d-epoch"] is None
    assert by_uid["d-junk"] is None
    assert by_uid["d-ok"] == datetime(2024, 3, 1, 11, 0, tzinfo=UTC)


def test_a_repeated_guid_keeps_its_first_entry() -> None:
    entries = parse_data("feeds/duplicate_guids.xml").entries
    assert [(e.uid, e.title) for e in entries] == [("same", "Première version"), ("other", "Autre")]


def test_a_feed_without_xml_declaration_and_with_wrapped_links_is_read() -> None:
    entry = parse_data("feeds/no_declaration_wrapped_links.xml").entries[0]
    assert entry.url == "https://wrap.example.org/2024/01/un-article-au-lien-coupe"
    assert entry.uid == "https://wrap.example.org/tiny/1/"
    assert entry.title == "Un titre sur plusieurs lignes"


def test_a_ten_thousand_entry_feed_is_capped() -> None:
    items = "".join(
        f"<item><title>Article {n}</title><link>https://big.example.org/{n}</link><guid>g{n}</guid></item>"
        for n in range(10_000)
    )
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'.encode()
    )
    feed = parse_feed(body, url="https://big.example.org/feed", now=NOW)
    assert len(feed.entries) == DEFAULT_MAX_ENTRIES
    assert feed.entries[0].uid == "g0" and feed.entries[-1].uid == f"g{DEFAULT_MAX_ENTRIES - 1}"
