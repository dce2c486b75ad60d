"""The SQLite stores of subscription options (migration 6) and of the operator's figures."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.models import Entry, utcnow
from bot.store.sqlite import SqliteStore
from bot.store.sqlite.connection import from_db_time, to_db_time
from tests.support.newsroom import make_digest


async def test_options_are_stored_per_subscription_and_cleared(tmp_path: Path) -> None:
    async with SqliteStore(tmp_path / "v.db") as storage:
        store = storage.options
        feed, _ = await storage.feeds.add("https://a.example.test/rss")
        one = await storage.chats.upsert("console", "1")
        two = await storage.chats.upsert("console", "2")
        for chat in (one, two):
            await storage.chats.subscribe(chat.id, feed.id)
        await store.set_filter(one.id, feed.id, "+cnil")
        await store.set_interval(one.id, feed.id, timedelta(minutes=30), now=utcnow())
        options = (await store.of_chat(one.id))[feed.id]
        assert (options.filter, options.interval) == ("+cnil", timedelta(minutes=30))
        assert await store.of_chat(two.id) == {}  # the other chat's subscription is untouched
        await store.set_filter(one.id, feed.id, None)
        await store.set_interval(one.id, feed.id, None, now=utcnow())
        assert await store.of_chat(one.id) == {}


async def test_a_shorter_interval_brings_the_next_poll_forward(tmp_path: Path) -> None:
    async with SqliteStore(tmp_path / "v.db") as storage:
        store = storage.options
        feed, _ = await storage.feeds.add("https://a.example.test/rss")
        chat = await storage.chats.upsert("console", "1")
        await storage.chats.subscribe(chat.id, feed.id)
        now = utcnow()
        await storage.connection.execute(
            "UPDATE feeds SET last_polled_at = ?, next_poll_at = ? WHERE id = ?",
            (to_db_time(now - timedelta(minutes=2)), to_db_time(now + timedelta(hours=5)), feed.id),
        )
        await store.set_interval(chat.id, feed.id, timedelta(minutes=10), now=now)
        row = await storage.connection.fetchone("SELECT next_poll_at FROM feeds WHERE id = ?", (feed.id,))
        assert row is not None
        assert from_db_time(row[0]) == (now + timedelta(minutes=8)).replace(microsecond=0)
        await store.set_interval(chat.id, feed.id, timedelta(hours=20), now=now)  # longer: not pushed back
        row = await storage.connection.fetchone("SELECT next_poll_at FROM feeds WHERE id = ?", (feed.id,))
        assert row is not None
        assert from_db_time(row[0]) == (now + timedelta(minutes=8)).replace(microsecond=0)


async def test_asked_intervals_cover_active_subscriptions_of_feeds_with_one_set(tmp_path: Path) -> None:
    async with SqliteStore(tmp_path / "v.db") as storage:
        store = storage.options
        shared, _ = await storage.feeds.add("https://shared.example.test/rss")
        plain, _ = await storage.feeds.add("https://plain.example.test/rss")
        one, two, gone = [await storage.chats.upsert("console", str(n)) for n in (1, 2, 3)]
        for chat in (one, two, gone):
            await storage.chats.subscribe(chat.id, shared.id)
        await storage.chats.subscribe(one.id, plain.id)
        await store.set_interval(one.id, shared.id, timedelta(hours=2), now=utcnow())
        await store.set_interval(gone.id, shared.id, timedelta(minutes=5), now=utcnow())
        await storage.chats.set_active(gone.id, False)
        assert await store.asked_intervals() == {shared.id: (timedelta(hours=2), None)}


async def test_filtered_chats_and_dropping_their_instant_rows_in_the_digest_transaction(tmp_path: Path) -> None:
    async with SqliteStore(tmp_path / "v.db") as storage:
        store = storage.options
        feed, _ = await storage.feeds.add("https://a.example.test/rss")
        keep, drop = await storage.chats.upsert("console", "keep"), await storage.chats.upsert("console", "drop")
        for chat in (keep, drop):
            await storage.chats.subscribe(chat.id, feed.id)
        await store.set_filter(drop.id, feed.id, "+cnil")
        (entry_id,) = await storage.entries.add(feed.id, [Entry(uid="1", url="https://a.example.test/1", title="t")])
        seen: list[tuple[int, str]] = []

        async def hook(tx: object, digest_id: int, digest: object) -> int:
            seen.extend((c.chat_id, c.filter) for c in await store.filtered_chats(tx, digest_id))
            assert await store.drop_instant(tx, digest_id, [drop.id]) == 1
            return 0

        await storage.entries.store_digest(entry_id, make_digest("Une fuite"), also=(hook,))
        assert seen == [(drop.id, "+cnil")]
        rows = await storage.connection.fetchall("SELECT chat_id FROM deliveries ORDER BY chat_id")
        assert [r[0] for r in rows] == [keep.id]


async def test_the_stats_snapshot_counts_feeds_chats_deliveries_and_failures(tmp_path: Path) -> None:
    async with SqliteStore(tmp_path / "v.db") as storage:
        active, _ = await storage.feeds.add("https://a.example.test/rss")
        erring, _ = await storage.feeds.add("https://b.example.test/rss")
        paused, _ = await storage.feeds.add("https://c.example.test/rss")
        await storage.feeds.record_poll_error(erring.id, error="HTTP 500", next_poll_at=utcnow())
        await storage.feeds.set_status(paused.id, "paused")
        chats = [await storage.chats.upsert(p, str(n)) for n, p in enumerate(("telegram", "telegram", "discord"))]
        await storage.chats.set_active(chats[1].id, False)
        await storage.chats.subscribe(chats[0].id, active.id)
        await storage.chats.subscribe(chats[2].id, active.id)
        (entry_id,) = await storage.entries.add(active.id, [Entry(uid="1", url="https://a.example.test/1", title="t")])
        await storage.entries.store_digest(entry_id, make_digest("Une fuite"))
        jobs = await storage.outbox.claim(utcnow())
        await storage.outbox.mark_failed(jobs[0].id, "Forbidden: bot was blocked by the user")
        snap = await storage.stats.snapshot(utcnow() - timedelta(hours=1))
        assert snap.feeds == {"active": 2, "backing_off": 1, "paused": 1, "gone": 0}
        assert snap.chats == {"discord": 1, "telegram": 1, "telegram:inactive": 1}
        assert snap.deliveries == {"failed": 1, "sending": 1}
        assert snap.outbox == 1
        assert [(f.reason, f.count) for f in snap.failures] == [("Forbidden: bot was blocked by the user", 1)]
        assert snap.digests == 1
        later = await storage.stats.snapshot(utcnow() + timedelta(hours=1))
        assert (later.deliveries, later.failures, later.digests, later.outbox) == ({}, (), 0, 1)
