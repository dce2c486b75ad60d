"""Roles in one test process: what a poller, a chat process and `all` each do with one store.

The real-process version (several `veille run --role …`, a poller killed mid-cycle) is
tests/bot/test_roles_processes.py; these prove each role's share of the work directly.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest

from adapters.console import ConsoleAdapter
from bot.compose import build
from bot.store.sqlite import SqliteStore
from tests.support.core import Item, legal_body, make_settings, rss
from tests.support.http import FeedServer

RSS = "application/rss+xml"
ITEM = Item("r1", "Escroquerie au faux support : deux suspects mis en examen", legal_body("la société Delta"))


async def _subscribed_feed(tmp_path: Path, url: str) -> None:
    async with SqliteStore(make_settings(tmp_path).db) as db:
        feed, _ = await db.feeds.add(url, "Flux")
        chat = await db.chats.upsert("console", "console", "Console")
        await db.chats.subscribe(chat.id, feed.id)


async def test_a_poller_digests_and_queues_but_sends_nothing_and_the_chat_process_sends_it(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    url = feed_server.set("/feed.xml", rss([ITEM]), content_type=RSS)
    await _subscribed_feed(tmp_path, url)
    settings = make_settings(tmp_path)

    seen_by_poller = ConsoleAdapter(stream=StringIO())
    async with build(settings, [seen_by_poller], role="poller") as poller:
        assert poller.platforms == {}, "a poller runs no chat platform"
        outcomes = await poller.poll_once()
        assert [o.status for o in outcomes] == ["new"]
        assert await poller.storage.outbox.pending_count() == 1
    assert seen_by_poller.messages == []

    console = ConsoleAdapter(stream=StringIO())
    async with build(settings, [console], role="chat") as chat:
        assert await chat.poll_once() == [], "a chat process polls no feed"
        assert [d.title for d in console.digests_for("console")] == [ITEM.title]
    assert feed_server.hits("/feed.xml") == 1


async def test_a_chat_process_leaves_new_entries_to_the_pollers(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", rss([ITEM]), content_type=RSS)
    console = ConsoleAdapter(stream=StringIO())
    async with build(make_settings(tmp_path), [console], role="chat") as chat:
        await console.command(f"/abonner {url}")  # fetched to check it, its newest item stored
        await chat.settle()
        assert console.digests_for("console") == []
        assert len(await chat.storage.entries.pending()) == 1, "waiting for a poller's digest"


async def test_a_chat_process_schedules_daily_digests_only_for_its_own_platforms(tmp_path: Path) -> None:
    async with SqliteStore(make_settings(tmp_path).db) as db:
        for platform in ("console", "telegram"):
            chat = await db.chats.upsert(platform, "1")
            await db.chats.update(chat.id, daily_time="08:00", mode="quotidien")
    async with build(make_settings(tmp_path), [ConsoleAdapter(stream=StringIO())], role="chat") as app:
        jobs = {job.id for job in app.scheduler.get_jobs()}
        console = await app.storage.chats.get("console", "1")
        telegram = await app.storage.chats.get("telegram", "1")
        assert console is not None and telegram is not None
        assert jobs == {f"daily:{console.id}"}, "the Telegram chat's digest is another process's job"


async def test_an_unknown_role_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown role"):
        build(make_settings(tmp_path), [], role="scheduler")
