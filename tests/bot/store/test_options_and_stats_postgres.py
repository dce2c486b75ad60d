"""The subscription options and stats stores on PostgreSQL: the same answers as on SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.models import Entry, utcnow
from bot.store.postgres import PostgresStore
from bot.store.protocols import PollRecord, PollSuccess
from tests.support.newsroom import make_digest
from tests.support.postgres import fresh_schema


@pytest.fixture
async def store(postgres_server_url: str) -> AsyncIterator[PostgresStore]:
    async with fresh_schema(postgres_server_url) as url, PostgresStore(url) as opened:
        yield opened


async def test_options_filters_and_asked_intervals_on_postgres(store: PostgresStore) -> None:
    feed, _ = await store.feeds.add("https://a.example.test/rss")
    keep = await store.chats.upsert("console", "keep")
    drop = await store.chats.upsert("console", "drop")
    idle = await store.chats.upsert("console", "idle")
    for chat in (keep, drop, idle):
        await store.chats.subscribe(chat.id, feed.id)
    await store.options.set_filter(drop.id, feed.id, "+cnil")
    await store.options.set_interval(keep.id, feed.id, timedelta(hours=2), now=utcnow())
    await store.options.set_interval(idle.id, feed.id, timedelta(minutes=5), now=utcnow())
    await store.chats.set_active(idle.id, False)
    assert (await store.options.of_chat(drop.id))[feed.id].filter == "+cnil"
    assert await store.options.asked_intervals() == {feed.id: (timedelta(hours=2), None)}
    (entry_id,) = await store.entries.add(feed.id, [Entry(uid="1", url="https://a.example.test/1", title="t")])
    seen = []

    async def hook(tx: object, digest_id: int, digest: object) -> int:
        seen.extend((c.chat_id, c.filter) for c in await store.options.filtered_chats(tx, digest_id))
        assert await store.options.drop_instant(tx, digest_id, [drop.id]) == 1
        return 0

    await store.entries.store_digest(entry_id, make_digest("Une fuite"), also=(hook,))
    assert seen == [(drop.id, "+cnil")]
    jobs = await store.outbox.claim(utcnow())
    assert [job.chat.id for job in jobs] == [keep.id]
    await store.outbox.mark_failed(jobs[0].id, "Forbidden: bot was blocked by the user")
    snap = await store.stats.snapshot(utcnow() - timedelta(hours=1))
    assert snap.feeds == {"active": 1, "backing_off": 0, "paused": 0, "gone": 0}
    assert snap.chats == {"console": 2, "console:inactive": 1}
    assert snap.deliveries == {"failed": 1} and snap.outbox == 0 and snap.digests == 1
    assert [(f.reason, f.count) for f in snap.failures] == [("Forbidden: bot was blocked by the user", 1)]


async def test_the_feeds_hint_is_stored_and_read_back_on_postgres(store: PostgresStore) -> None:
    feed, _ = await store.feeds.add("https://a.example.test/rss")
    now = utcnow()
    await store.feeds.record_polls([PollRecord(feed.id, PollSuccess(now, None, None, hint_seconds=3600), now)])
    stored = await store.feeds.get(feed.id)
    assert stored is not None and stored.hint == timedelta(hours=1)
    await store.feeds.record_polls([PollRecord(feed.id, PollSuccess(now, None, None), now)])  # None: kept
    kept = await store.feeds.get(feed.id)
    assert kept is not None and kept.hint == timedelta(hours=1)
