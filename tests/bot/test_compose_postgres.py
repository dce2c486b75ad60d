"""The whole core on PostgreSQL: VEILLE_DB=postgresql://… selects the backend, features unchanged.

The same journeys as on SQLite (subscribe, digest, deliver once across a restart, search,
follow), through the console chat and a feed served on 127.0.0.1.
"""

from __future__ import annotations

from pathlib import Path

from bot.compose import open_store
from bot.config import load_settings
from bot.store.postgres import PostgresStore
from bot.store.sqlite import SqliteStore
from tests.support.core import Item, legal_body, rss, running_core
from tests.support.http import FeedServer

FIRST = Item("a1", "Fuite de données chez Assurix : enquête du parquet", legal_body("la société Assurix"))
SECOND = Item(
    "a2",
    "Piratage de Transportia : la CNIL saisie",
    legal_body("la société Transportia"),
    date="Tue, 24 Nov 2026 10:00:00 GMT",
)


def test_veille_db_picks_the_backend_a_path_keeps_sqlite(tmp_path: Path) -> None:
    assert isinstance(open_store(load_settings(VEILLE_DB=str(tmp_path / "veille.db"))), SqliteStore)
    assert isinstance(open_store(load_settings(VEILLE_DB="postgresql://veille@127.0.0.1:5432/veille")), PostgresStore)


async def test_the_core_on_postgresql_delivers_searches_and_survives_a_restart(
    tmp_path: Path, feed_server: FeedServer, postgres_url: str
) -> None:
    url = feed_server.set("/feed.xml", rss([SECOND, FIRST]), content_type="application/rss+xml")
    async with running_core(tmp_path, VEILLE_DB=postgres_url) as (app, console):
        assert isinstance(app.storage, PostgresStore)
        reply = await console.command(f"/abonner {url}")
        assert reply is not None and reply.text.startswith("Abonnement ajouté")
        await app.pipeline.digest_pending()  # stored and queued, not sent: "crash" now
        assert await app.storage.outbox.pending_count() == 1
    async with running_core(tmp_path, VEILLE_DB=postgres_url) as (app, console):
        await app.settle()
        assert [d.title for d in console.digests_for("console")] == [SECOND.title]
        found = await console.command("/recherche transportia cnil")
        assert found is not None and SECOND.title in "\n".join(i.title for i in found.items)
        followed = await console.command("/suivre CNIL", chat_id="follower")
        assert followed is not None and "CNIL" in followed.text
    async with running_core(tmp_path, VEILLE_DB=postgres_url) as (app, console):
        await app.settle()
        assert console.digests_for("console") == []  # sent once, not again
