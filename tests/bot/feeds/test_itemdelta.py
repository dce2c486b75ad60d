"""A changed feed parses only the items it did not have: same stored entries, a fraction of the parse."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.feeds import pipeline as pipeline_module
from bot.feeds.itemdelta import ItemMemory, scan_items
from bot.feeds.parse import parse_feed
from bot.models import ParsedFeed
from tests.support.core import Item, legal_body, rss, running_core
from tests.support.http import FeedServer
from tests.support.sqlite_rows import stored_entries

DATA = Path(__file__).parents[2] / "data" / "feeds"
URL = "https://news.example.org/feed.xml"
OLD = Item("a1", "Fuite de données chez Assurix", legal_body("la société Assurix"))
OLDER = Item("a0", "Amende pour Lienix", legal_body("la société Lienix"), date="Sun, 22 Nov 2026 10:00:00 GMT")
NEW = Item("a2", "Piratage de Transportia", legal_body("la société Transportia"), date="Tue, 24 Nov 2026 10:00:00 GMT")


def remembered(body: bytes, *, url: str = URL, content_type: str = "") -> ItemMemory:
    memory = ItemMemory()
    memory.remember(1, scan_items(body, url=url, content_type=content_type))
    return memory


def cut(memory: ItemMemory, body: bytes, *, url: str = URL, content_type: str = "") -> bytes:
    return memory.unseen_only(1, body, scan_items(body, url=url, content_type=content_type))


def test_a_changed_feed_is_cut_to_its_new_item_which_parses_as_in_the_whole_feed() -> None:
    before, after = rss([OLD, OLDER]), rss([NEW, OLD, OLDER])
    body = cut(remembered(before), after)
    assert b"a2" in body and b"Assurix" not in body and b"Lienix" not in body
    part, whole = parse_feed(body, url=URL), parse_feed(after, url=URL)
    assert part.entries == tuple(e for e in whole.entries if e.uid == "a2")
    assert (part.title, part.link) == (whole.title, whole.link)


def test_an_end_tag_inside_cdata_does_not_split_an_item() -> None:
    def tricky(doc: bytes) -> bytes:
        return doc.replace(b"<description>x</description>", b"<description><![CDATA[</item><item>]]></description>")

    item = Item("t1", "Balises", "x")
    before, after = tricky(rss([item])), tricky(rss([NEW, item]))
    scan = scan_items(after, url=URL, content_type="")
    assert scan is not None and len(scan.spans) == 2
    assert parse_feed(cut(remembered(before), after), url=URL).entries == parse_feed(rss([NEW]), url=URL).entries


@pytest.mark.parametrize(
    "change",
    [
        lambda doc: doc.replace(b"<channel>", b'<channel xml:base="https://elsewhere.example/">'),
        lambda doc: doc.replace(
            b'<rss version="2.0">', b'<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        ),
    ],
    ids=["xml-base", "namespace"],
)
def test_a_known_item_under_a_changed_parent_is_parsed_again(change: Callable[[bytes], bytes]) -> None:
    before = rss([OLD])
    after = change(rss([NEW, OLD]))
    assert cut(remembered(before), after) == after


def test_a_known_item_is_parsed_again_when_the_feed_url_or_type_changed() -> None:
    before, after = rss([OLD]), rss([NEW, OLD])
    memory = remembered(before)
    assert cut(memory, after, url="https://moved.example.org/feed") == after
    assert cut(memory, after, content_type="application/rss+xml") == after
    assert cut(memory, after) != after


@pytest.mark.parametrize(
    "body",
    [
        rss([OLD]).decode().encode("utf-16"),
        codecs.BOM_UTF8
        + b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "b">]><rss><channel><item>&a;</item></channel></rss>',
        (DATA / "broken_encoding.xml").read_bytes(),  # expat refuses it; feedparser's lenient path reads it
        rss([OLD]).replace(b"<item>", b"<item/><item>", 1),
        rss([OLD]).replace(b"</channel>", b""),
    ],
    ids=["utf-16", "entities", "misdeclared-encoding", "empty-item", "not-well-formed"],
)
def test_documents_that_cannot_be_cut_safely_are_parsed_whole(body: bytes) -> None:
    assert scan_items(body, url=URL, content_type="") is None
    assert ItemMemory().unseen_only(1, body, None) is body


def test_a_feed_with_more_items_than_a_parse_keeps_is_parsed_whole() -> None:
    assert scan_items(rss([OLD, OLDER, NEW]), url=URL, content_type="", max_items=2) is None


def test_the_memory_keeps_a_bounded_number_of_feeds() -> None:
    memory = ItemMemory(max_feeds=2)
    scan = scan_items(rss([OLD]), url=URL, content_type="")
    assert scan is not None
    for feed_id in (1, 2, 3):
        memory.remember(feed_id, scan)
    assert not memory.known(1, scan.context)
    assert memory.known(2, scan.context) and memory.known(3, scan.context)
    memory.remember(3, None)
    assert not memory.known(3, scan.context)


@pytest.mark.parametrize("path", sorted(DATA.glob("*.xml")) + sorted(DATA.glob("*.rdf")), ids=lambda p: p.name)
def test_each_test_feed_cut_to_its_first_item_parses_to_that_item_as_the_whole_does(path: Path) -> None:
    """Differential check over tests/data: the first item taken as new, the rest as known."""
    body = path.read_bytes()
    scan = scan_items(body, url=URL, content_type="")
    if scan is None:
        pytest.skip("parsed whole: expat cannot cut it")
    first = body[slice(*scan.spans[0])]
    memory = ItemMemory()
    memory.remember(1, replace(scan, keys=scan.keys[1:], spans=scan.spans[1:]))
    part = parse_feed(memory.unseen_only(1, body, scan), url=URL)
    alone = parse_feed(body[: scan.spans[0][0]] + first + body[scan.spans[-1][1] :], url=URL)
    whole = parse_feed(body, url=URL)
    assert part.entries == alone.entries
    assert set(part.entries) <= set(whole.entries)
    assert (part.title, part.link) == (whole.title, whole.link)


def recording_parser(bodies: list[bytes], *, poison_call: int = 0) -> Callable[..., ParsedFeed]:
    """The real parser, keeping each body it is handed; call `poison_call` returns an entry SQLite refuses."""

    def parse(body: bytes, *, url: str, **kwargs: Any) -> ParsedFeed:
        bodies.append(body)
        parsed = parse_feed(body, url=url, **kwargs)
        if len(bodies) == poison_call:
            return replace(parsed, entries=tuple(replace(e, title="\ud83d") for e in parsed.entries))
        return parsed

    return parse


async def poll(app: Any, feed_id: int) -> Any:
    feed = await app.storage.feeds.get(feed_id)
    assert feed is not None
    return await app.pipeline.poll_feed(feed)


async def test_a_feed_publishing_one_item_parses_that_item_only_and_stores_it_as_a_full_parse_would(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = feed_server.set("/feed.xml", rss([OLD, OLDER]), content_type="application/rss+xml")
    bodies: list[bytes] = []
    monkeypatch.setattr(pipeline_module, "parse_feed", recording_parser(bodies))
    async with running_core(tmp_path / "cut") as (app, _):
        feed, _ = await app.storage.feeds.add(url)
        await poll(app, feed.id)
        feed_server.set("/feed.xml", rss([NEW, OLD, OLDER]), content_type="application/rss+xml")
        outcome = await poll(app, feed.id)
        rows = await stored_entries(app.storage, feed.id)
    assert outcome.status == "new" and outcome.new_entries == 1
    assert b"a2" in bodies[1] and b"Assurix" not in bodies[1] and len(bodies[1]) < len(bodies[0]) / 1.5
    # the same two polls with the memory wiped before the second: a full parse each time
    async with running_core(tmp_path / "whole") as (app, _):
        feed_server.set("/feed.xml", rss([OLD, OLDER]), content_type="application/rss+xml")
        feed, _ = await app.storage.feeds.add(url)
        await poll(app, feed.id)
        app.pipeline.items = pipeline_module.ItemMemory()
        feed_server.set("/feed.xml", rss([NEW, OLD, OLDER]), content_type="application/rss+xml")
        await poll(app, feed.id)
        whole_rows = await stored_entries(app.storage, feed.id)
    assert bodies[3] == rss([NEW, OLD, OLDER])
    assert rows == whole_rows and len(rows) == 3


async def test_items_whose_store_failed_are_parsed_again_at_the_next_poll(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = feed_server.set("/feed.xml", rss([OLD]), content_type="application/rss+xml")
    bodies: list[bytes] = []
    monkeypatch.setattr(pipeline_module, "parse_feed", recording_parser(bodies, poison_call=2))
    async with running_core(tmp_path) as (app, _):
        feed, _ = await app.storage.feeds.add(url)
        await poll(app, feed.id)
        feed_server.set("/feed.xml", rss([NEW, OLD]), content_type="application/rss+xml")
        failed = await poll(app, feed.id)
        retried = await poll(app, feed.id)
        rows = await stored_entries(app.storage, feed.id)
    assert failed.status == "error" and retried.status == "new" and retried.new_entries == 1
    assert [row.uid for row in rows] == ["a1", "a2"]
