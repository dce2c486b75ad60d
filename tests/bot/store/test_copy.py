"""`veille db copy`: a SQLite store moved into an empty PostgreSQL database, read back through the protocols."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.models import Entry, Reply, utcnow
from bot.store.postgres import PostgresStore
from bot.store.protocols import Query
from bot.store.sqlite import SqliteStore
from tests.support.newsroom import make_digest


async def copy_command(argv: list[str]) -> int:
    """Run `veille …` as the CLI does (its own event loop, so in a thread of its own)."""
    return await asyncio.to_thread(main, argv)


async def _sqlite_store(path: Path) -> dict[str, int]:
    """Fill a SQLite store through its repositories; return the ids a copy must keep."""
    async with SqliteStore(path) as db:
        other, _ = await db.feeds.add("https://autre.example.test/rss", "Autre")
        feed, _ = await db.feeds.add("https://flux.example.test/rss", "Le Flux")
        chat = await db.chats.upsert("telegram", "-100123", "Rédaction")
        await db.chats.update(chat.id, daily_time="08:00", mode="both", timezone="America/Martinique")
        await db.chats.subscribe(chat.id, feed.id)
        entry = Entry(uid="a1", url="https://flux.example.test/1", title="La CNIL sanctionne un hébergeur")
        (entry_id,) = await db.entries.add(feed.id, [entry])
        digest_id = await db.entries.store_digest(entry_id, make_digest(entry.title, "Amende de 2 millions."))
        await db.follows.add(chat.id, "CNIL", "cnil", now=utcnow())
        await db.outbox.queue_daily(chat.id, [Reply("Digest quotidien")], key="daily:2026-12-01", due=utcnow())
        await db.daily.mark_due(chat.id, utcnow() - timedelta(hours=1))
        sent = await db.outbox.claim(utcnow() + timedelta(seconds=1), limit=1)
        await db.outbox.mark_sent(sent[0].id)
    return {"feed": feed.id, "other": other.id, "chat": chat.id, "digest": digest_id}


async def test_db_copy_moves_every_table_with_its_ids_and_rebuilds_search(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = await _sqlite_store(tmp_path / "veille.db")

    assert await copy_command(["db", "copy", str(tmp_path / "veille.db"), postgres_url]) == 0
    assert "feeds 2" in capsys.readouterr().out

    async with PostgresStore(postgres_url) as pg:
        feed = await pg.feeds.get(ids["feed"])
        assert feed is not None and feed.title == "Le Flux"
        chat = await pg.chats.by_id(ids["chat"])
        assert chat is not None and chat.timezone == "America/Martinique" and chat.mode == "both" and chat.active
        assert [f.id for f in await pg.chats.subscriptions(chat.id)] == [ids["feed"]]
        digest = await pg.entries.digest(ids["digest"])
        assert digest is not None and digest.title == "La CNIL sanctionne un hébergeur"
        assert [f.term for f in await pg.follows.of_chat(chat.id)] == ["CNIL"]
        assert await pg.daily.last_due(chat.id) is not None
        assert await pg.outbox.pending_count() == 1, "the instant delivery still waits, the daily one was sent"
        ranked = await pg.search.rank(Query(words=("cnil",)), feed_id=None, now=utcnow(), limit=5, offset=0)
        assert [r.digest_id for r in ranked] == [ids["digest"]], "the search index is rebuilt"
        new_feed, created = await pg.feeds.add("https://nouveau.example.test/rss")
        assert created and new_feed.id > max(ids["feed"], ids["other"]), "ids go on after the copied ones"


async def test_db_copy_refuses_a_target_that_holds_data_and_errors_are_one_line(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await _sqlite_store(tmp_path / "veille.db")
    assert await copy_command(["db", "copy", str(tmp_path / "veille.db"), postgres_url]) == 0
    capsys.readouterr()

    assert await copy_command(["db", "copy", str(tmp_path / "veille.db"), postgres_url]) == 1
    err = capsys.readouterr().err
    assert "already holds data" in err and err.count("\n") == 1 and "secret" not in err
    async with PostgresStore(postgres_url) as pg:
        assert len(await pg.feeds.polled()) == 1, "nothing copied twice"

    assert await copy_command(["db", "copy", str(tmp_path / "absent.db"), postgres_url]) == 1
    assert capsys.readouterr().err.startswith("veille: cannot read")
    assert await copy_command(["db", "copy", str(tmp_path / "veille.db"), "mysql://x"]) == 1
    assert "not a PostgreSQL URL" in capsys.readouterr().err
