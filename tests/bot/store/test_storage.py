"""SqliteStore: migrations, unique constraints and the outbox's state machine on a real file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite

from bot.models import Entry, Reply, utcnow
from bot.store.sqlite import SqliteStore
from bot.store.sqlite.migrations import MIGRATIONS
from digests.model import Actor, Digest, LegalItem


def a_digest(title: str = "Titre") -> Digest:
    return Digest(
        title=title,
        url="https://exemple.fr/a",
        published=datetime(2026, 11, 20, tzinfo=UTC),
        source="Exemple",
        summary="Résumé.",
        actors=(
            Actor(
                "CNIL",
                "organisation",
                "régulateur",
                ("Commission nationale de l'informatique et des libertés",),
            ),
        ),
        legal=(LegalItem("loi", "RGPD", (0, 4)),),
        text="Titre\nRésumé.",
    )


async def test_a_new_file_is_migrated_to_the_latest_version_in_wal_mode(tmp_path: Path) -> None:
    async with SqliteStore(tmp_path / "v.db") as db:
        version = await db.connection.fetchone("PRAGMA user_version")
        mode = await db.connection.fetchone("PRAGMA journal_mode")
        assert await db.integrity_ok()
    assert version is not None and version[0] == len(MIGRATIONS)
    assert mode is not None and mode[0] == "wal"


async def test_reopening_does_not_migrate_twice_and_keeps_data(tmp_path: Path) -> None:
    async with SqliteStore(tmp_path / "v.db") as db:
        await db.feeds.add("https://exemple.fr/rss")
    async with SqliteStore(tmp_path / "v.db") as db:
        feed = await db.feeds.by_url("https://exemple.fr/rss")
    assert feed is not None


async def test_unique_constraints_make_duplicates_impossible(tmp_path: Path) -> None:
    async with SqliteStore(tmp_path / "v.db") as db:
        feed, created = await db.feeds.add("https://exemple.fr/rss")
        again, created_again = await db.feeds.add("https://exemple.fr/rss")
        chat = await db.chats.upsert("console", "c1")
        chat_again = await db.chats.upsert("console", "c1")
        assert await db.chats.subscribe(chat.id, feed.id)
        assert not await db.chats.subscribe(chat.id, feed.id)
        entry = Entry(uid="u1", url="https://exemple.fr/a", title="A")
        first = await db.entries.add(feed.id, [entry])
        second = await db.entries.add(feed.id, [entry, entry])
        digest_id = await db.entries.store_digest(first[0], a_digest())
        assert not await db.outbox.queue(chat.id, digest_id)  # store_digest queued it already
        raw = await aiosqlite.connect(tmp_path / "v.db")
        try:
            await raw.execute("INSERT INTO feeds (url, created_at) VALUES ('https://exemple.fr/rss', 'x')")
            raised = False
        except aiosqlite.IntegrityError:
            raised = True
        finally:
            await raw.close()
    assert created and not created_again and again.id == feed.id and chat_again.id == chat.id
    assert len(first) == 1 and second == []
    assert raised


async def test_first_poll_queues_only_the_newest_entry(tmp_path: Path) -> None:
    entries = [
        Entry(
            uid=f"u{i}",
            url=f"https://exemple.fr/{i}",
            title=f"T{i}",
            published=datetime(2026, 11, i + 1, tzinfo=UTC),
        )
        for i in range(5)
    ]
    async with SqliteStore(tmp_path / "v.db") as db:
        feed, _ = await db.feeds.add("https://exemple.fr/rss")
        queued = await db.entries.add(feed.id, entries, digest_limit=1)
        pending = await db.entries.pending()
        seen = await db.connection.fetchone("SELECT COUNT(*) FROM entries WHERE state = 'seen'")
    assert len(queued) == 1 and [p.entry.uid for p in pending] == ["u4"]
    assert seen is not None and seen[0] == 4


async def test_claimed_deliveries_are_not_claimed_twice_and_sent_ones_never_return(tmp_path: Path) -> None:
    async with SqliteStore(tmp_path / "v.db") as db:
        feed, _ = await db.feeds.add("https://exemple.fr/rss")
        chat = await db.chats.upsert("console", "c1")
        await db.chats.subscribe(chat.id, feed.id)
        [entry_id] = await db.entries.add(feed.id, [Entry(uid="u", url="", title="T")])
        await db.entries.store_digest(entry_id, a_digest())
        now = utcnow() + timedelta(seconds=1)
        jobs = await db.outbox.claim(now)
        assert len(jobs) == 1 and jobs[0].digest.actors[0].name == "CNIL"
        assert await db.outbox.claim(now) == []
        await db.outbox.mark_sent(jobs[0].id)
        assert await db.outbox.requeue_interrupted() == 0
        assert await db.outbox.claim(now) == []


async def test_a_chat_in_daily_mode_gets_no_instant_delivery(tmp_path: Path) -> None:
    async with SqliteStore(tmp_path / "v.db") as db:
        feed, _ = await db.feeds.add("https://exemple.fr/rss")
        chat = await db.chats.upsert("console", "c1")
        await db.chats.update(chat.id, mode="quotidien")
        await db.chats.subscribe(chat.id, feed.id)
        [entry_id] = await db.entries.add(feed.id, [Entry(uid="u", url="", title="T")])
        await db.entries.store_digest(entry_id, a_digest())
        assert await db.outbox.pending_count() == 0


async def test_deactivating_a_chat_drops_its_queue_but_keeps_subscriptions(tmp_path: Path) -> None:
    async with SqliteStore(tmp_path / "v.db") as db:
        feed, _ = await db.feeds.add("https://exemple.fr/rss")
        chat = await db.chats.upsert("console", "c1")
        await db.chats.subscribe(chat.id, feed.id)
        [entry_id] = await db.entries.add(feed.id, [Entry(uid="u", url="", title="T")])
        await db.entries.store_digest(entry_id, a_digest())
        assert await db.chats.set_active(chat.id, False)
        assert not await db.chats.set_active(chat.id, False)
        assert await db.outbox.pending_count() == 0
        assert [f.id for f in await db.chats.subscriptions(chat.id)] == [feed.id]


def test_digest_json_round_trip_keeps_every_field() -> None:
    digest = a_digest("Un titre avec « guillemets » & <balises>")
    assert Digest.from_json(digest.to_json()) == digest


async def test_migration_3_keeps_a_version_2_outbox_and_lets_it_carry_messages(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    raw = await aiosqlite.connect(path)
    for number, script in enumerate(MIGRATIONS[:2], start=1):
        await raw.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    await raw.executescript(
        """INSERT INTO feeds (id, url, created_at) VALUES (1, 'https://exemple.fr/rss', 'x');
           INSERT INTO entries (id, feed_id, uid, content_hash, created_at) VALUES (1, 1, 'u', 'h', 'x');
           INSERT INTO digests (id, entry_id, json, text, created_at) VALUES (1, 1, '{}', 't', 'x');
           INSERT INTO chats (id, platform, external_id, created_at) VALUES (1, 'console', 'c1', 'x');
           INSERT INTO deliveries (chat_id, digest_id, kind, note, next_attempt_at, created_at)
           VALUES (1, 1, 'follow', 'Suivi : CNIL', '2026-01-01T00:00:00+00:00', 'x');"""
    )
    await raw.close()
    async with SqliteStore(path) as db:
        kept = await db.connection.fetchall("SELECT chat_id, digest_id, kind, note, state FROM deliveries")
        queued = await db.outbox.queue_daily(
            1, [Reply("Digest quotidien du 01/12/2026 : rien de nouveau.")], key="daily:2026-12-01", due=utcnow()
        )
        assert await db.integrity_ok()
    assert [tuple(r) for r in kept] == [(1, 1, "follow", "Suivi : CNIL", "pending")]
    assert queued == 1


async def test_a_queue_hook_that_raises_is_undone_and_the_digest_still_lands(tmp_path: Path) -> None:
    async def half_then_raise(conn: aiosqlite.Connection, digest_id: int, digest: Digest) -> int:
        await conn.execute(
            """INSERT INTO deliveries (chat_id, digest_id, kind, next_attempt_at, created_at)
               VALUES (?, ?, 'follow', 'x', 'x')""",
            (other.id, digest_id),
        )
        raise RuntimeError("a feature's bug")

    async with SqliteStore(tmp_path / "v.db") as db:
        feed, _ = await db.feeds.add("https://exemple.fr/rss")
        chat, other = await db.chats.upsert("console", "c1"), await db.chats.upsert("console", "c2")
        await db.chats.subscribe(chat.id, feed.id)
        (entry_id,) = await db.entries.add(feed.id, [Entry(uid="u1", url="https://exemple.fr/a", title="A")])
        digest_id = await db.entries.store_digest(entry_id, a_digest(), also=[half_then_raise])
        rows = await db.connection.fetchall("SELECT chat_id, digest_id, kind FROM deliveries")
        pending = await db.entries.pending()
    assert [tuple(r) for r in rows] == [(chat.id, digest_id, "instant")], "the hook's half-write is undone"
    assert pending == []


async def test_due_feeds_are_the_active_subscribed_feeds_whose_poll_time_has_come(tmp_path: Path) -> None:
    now = utcnow()
    async with SqliteStore(tmp_path / "v.db") as db:
        chat = await db.chats.upsert("console", "c1")
        gone_chat = await db.chats.upsert("console", "c2")
        await db.chats.set_active(gone_chat.id, False)
        ids = {}
        for name in ("never", "past", "now", "future", "paused", "unsubscribed", "inactive_chat"):
            feed, _ = await db.feeds.add(f"https://exemple.fr/{name}.xml")
            ids[name] = feed.id
            if name != "unsubscribed":
                await db.chats.subscribe(gone_chat.id if name == "inactive_chat" else chat.id, feed.id)
        times = {
            "never": None,
            "past": now - timedelta(hours=1),
            "now": now,
            "future": now + timedelta(seconds=2),
            "paused": now - timedelta(hours=1),
            "unsubscribed": now - timedelta(hours=1),
            "inactive_chat": now - timedelta(hours=1),
        }
        for name, when in times.items():
            await db.connection.execute(
                "UPDATE feeds SET next_poll_at = ? WHERE id = ?",
                (None if when is None else when.isoformat(timespec="seconds"), ids[name]),
            )
        await db.feeds.set_status(ids["paused"], "paused")
        due = await db.feeds.due(now)
    assert [f.id for f in due] == [ids["never"], ids["past"], ids["now"]]


async def test_due_feeds_are_read_through_an_index_range_not_a_scan_of_every_feed(tmp_path: Path) -> None:
    async with SqliteStore(tmp_path / "v.db") as db:
        chat = await db.chats.upsert("console", "c1")
        for n in range(20):
            feed, _ = await db.feeds.add(f"https://exemple.fr/{n}.xml")
            await db.chats.subscribe(chat.id, feed.id)
        statements: list[str] = []
        await db.connection.db.set_trace_callback(statements.append)
        await db.feeds.due(utcnow())
        await db.connection.db.set_trace_callback(None)
        selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        assert len(selects) == 1  # one query, not one per feed
        plan = [row[3] for row in await db.connection.fetchall("EXPLAIN QUERY PLAN " + selects[0])]
    assert any("feeds_due" in step and "<" in step for step in plan), plan  # a range on the poll time
    assert not [step for step in plan if step.startswith("SCAN")], plan
