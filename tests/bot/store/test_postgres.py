"""The PostgreSQL backend's own behaviour: migrations, the search configuration, the pool."""

from __future__ import annotations

import asyncio

import pytest

from bot.models import Entry, Reply
from bot.store.postgres import PostgresStore
from bot.store.postgres.database import utcnow
from bot.store.postgres.migrations import MIGRATIONS
from tests.support.newsroom import make_digest


async def test_a_new_database_is_migrated_once_even_when_several_processes_open_it_at_once(
    postgres_url: str,
) -> None:
    stores = [PostgresStore(postgres_url) for _ in range(3)]
    await asyncio.gather(*(s.open() for s in stores))  # the advisory lock lets one migrate
    try:
        assert all([await s.integrity_ok() for s in stores])
        assert await stores[0].database.schema_version() == len(MIGRATIONS)
        rows = await stores[0].database.pool.fetch("SELECT version FROM schema_version")
        assert [r[0] for r in rows] == [len(MIGRATIONS)]
    finally:
        await asyncio.gather(*(s.close() for s in stores))
    async with PostgresStore(postgres_url) as again:  # reopening migrates nothing
        assert await again.database.schema_version() == len(MIGRATIONS)


async def test_the_search_configuration_folds_accents_before_stemming_and_keeps_every_word(
    postgres_url: str,
) -> None:
    async with PostgresStore(postgres_url) as store:
        lexemes = await store.database.pool.fetchval(
            "SELECT to_tsvector('veille_french', 'Société Générale soit condamnée')::text"
        )
    assert lexemes == "'condamne':4 'general':2 'societ':1 'soit':3"  # 'soit' is on PostgreSQL's stop list


async def test_a_search_is_planned_for_its_own_terms_and_other_statements_keep_their_plans(postgres_url: str) -> None:
    # A cached generic plan cannot know how common a search's words are (see search.py).
    async with PostgresStore(postgres_url) as store:
        async with store.search.planned_for_its_terms() as conn:
            assert await conn.fetchval("SHOW plan_cache_mode") == "force_custom_plan"
            assert await conn.fetchval("SHOW random_page_cost") == "1.1"
        for _ in range(3):  # every connection of the pool is back to the server's defaults
            assert await store.database.pool.fetchval("SHOW plan_cache_mode") == "auto"
            assert await store.database.pool.fetchval("SHOW random_page_cost") == "4"


async def test_a_server_that_is_down_is_an_error_at_once_not_a_hang() -> None:
    with pytest.raises(ConnectionError):  # refused on loopback; TimeoutError would mean a hang
        await asyncio.wait_for(PostgresStore("postgresql://postgres@127.0.0.1:9/none").open(), 15)


async def test_text_with_a_nul_is_stored_without_it_rather_than_refused(postgres_url: str) -> None:
    # PostgreSQL text and jsonb cannot hold U+0000; SQLite can. One stray byte must not lose a digest.
    async with PostgresStore(postgres_url) as store:
        feed, _ = await store.feeds.add("https://a.example.test/rss", "Alpha")
        chat = await store.chats.upsert("console", "one", "Un\x00")
        await store.chats.subscribe(chat.id, feed.id)
        entry = Entry(uid="u\x001", url="https://a.test/1", title="Ti\x00tre", summary="r\x00", content="c\x00")
        (entry_id,) = await store.entries.add(feed.id, [entry])
        assert await store.entries.add(feed.id, [entry]) == []  # still known by its uid
        digest = make_digest("Ti\x00tre", "Ré\x00sumé", actors=[("CN\x00IL",)])
        digest_id = await store.entries.store_digest(entry_id, digest)
        stored = await store.entries.digest(digest_id)
        assert stored is not None
        assert (stored.title, stored.summary, stored.actors[0].name) == ("Titre", "Résumé", "CNIL")
        assert (await store.outbox.queue_daily(chat.id, [Reply("Jour\x00")], key="daily:x", due=utcnow())) == 1
        jobs = await store.outbox.claim(utcnow())
        assert {j.message.text if j.message else j.digest_id for j in jobs} == {digest_id, "Jour"}
        await store.outbox.mark_failed(jobs[0].id, "boom\x00")
