"""PostgreSQL-only helpers for the benchmarks: bulk seeding and sizes no feature needs.

Why here: the benchmarks load 100,000 digests in seconds with COPY, which the repositories
(one story match per digest) are not built for. The SQL stays in the PostgreSQL package.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.store.postgres.store import PostgresStore
from digests.model import Digest


async def has_digests(store: PostgresStore) -> bool:
    """Return True when the database holds a digest already (a bench database to reuse)."""
    return bool(await store.database.pool.fetchval("SELECT EXISTS (SELECT 1 FROM digests)"))


async def seed_feeds(store: PostgresStore, count: int, *, now: datetime) -> None:
    """Insert feeds 1..count (https://flux{n}.example/rss, titled "Flux n")."""
    await store.database.pool.copy_records_to_table(
        "feeds",
        records=[(f, f"https://flux{f}.example/rss", f"Flux {f}", now) for f in range(1, count + 1)],
        columns=["id", "url", "title", "created_at"],
    )


async def seed_digests(store: PostgresStore, rows: Sequence[tuple[int, int, Digest]], *, now: datetime) -> None:
    """Insert (id, feed_id, digest) rows as digested entries and their digests, in one transaction."""
    async with store.database.transaction() as conn:
        await conn.copy_records_to_table(
            "entries",
            records=[(i, f, f"u{i}", d.url, d.title, "", "digested", now) for i, f, d in rows],
            columns=["id", "feed_id", "uid", "url", "title", "content_hash", "state", "created_at"],
        )
        await conn.copy_records_to_table(
            "digests",
            records=[(i, i, d.to_json(), d.text, now) for i, _, d in rows],
            columns=["id", "entry_id", "json", "text", "created_at"],
        )


async def compact(store: PostgresStore) -> None:
    """Move the id sequences past the seeded ids, and vacuum and analyse, as after a bulk load."""
    for table in ("feeds", "entries", "digests"):
        await store.database.pool.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) FROM {table}"
        )
    await store.database.pool.execute("VACUUM ANALYZE")


async def search_index_bytes(store: PostgresStore) -> int:
    """Return the size of `search_docs` with its GIN and B-tree indexes."""
    return int(await store.database.pool.fetchval("SELECT pg_total_relation_size('search_docs')"))


async def database_bytes(store: PostgresStore) -> int:
    """Return the size of the whole database."""
    return int(await store.database.pool.fetchval("SELECT pg_database_size(current_database())"))
