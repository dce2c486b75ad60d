"""SQLite-only helpers for the benchmarks: bulk seeding and counters no feature needs.

Why here: the benchmarks load 100,000 digests in seconds, which the repositories (one story
match per digest) are not built for, and the soak test counts rows no repository reports. The
SQL stays in the SQLite package, like every other statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.store.sqlite.store import SqliteStore
from digests.model import Digest


async def seed_feeds(store: SqliteStore, count: int, *, now: datetime) -> None:
    """Insert feeds 1..count (https://flux{n}.example/rss, titled "Flux n") in one transaction."""
    async with store.connection.transaction() as db:
        await db.executemany(
            "INSERT INTO feeds (id, url, title, created_at) VALUES (?, ?, ?, ?)",
            [(f, f"https://flux{f}.example/rss", f"Flux {f}", now.isoformat()) for f in range(1, count + 1)],
        )


async def seed_digests(store: SqliteStore, rows: Sequence[tuple[int, int, Digest]], *, now: datetime) -> None:
    """Insert (id, feed_id, digest) rows as digested entries and their digests, in one transaction."""
    stamp = now.isoformat()
    async with store.connection.transaction() as db:
        await db.executemany(
            """INSERT INTO entries (id, feed_id, uid, url, title, content_hash, state, created_at)
               VALUES (?, ?, ?, ?, ?, '', 'digested', ?)""",
            [(i, f, f"u{i}", d.url, d.title, stamp) for i, f, d in rows],
        )
        await db.executemany(
            "INSERT INTO digests (id, entry_id, json, text, created_at) VALUES (?, ?, ?, ?, ?)",
            [(i, i, d.to_json(), d.text, stamp) for i, _, d in rows],
        )


async def compact(store: SqliteStore) -> None:
    """Merge the FTS5 index's segments and checkpoint the WAL, as after a bulk load."""
    await store.connection.execute("INSERT INTO search_index(search_index) VALUES ('optimize')")
    await store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def search_index_bytes(store: SqliteStore) -> int | None:
    """Return the pages used by the FTS index and its side tables, or None without `dbstat`."""
    try:
        row = await store.connection.fetchone(
            """SELECT SUM(pgsize) FROM dbstat
               WHERE name LIKE 'search_index%' OR name IN ('search_docs', 'search_docs_feed',
               'search_docs_published')"""
        )
    except Exception:  # noqa: BLE001  # dbstat is an optional SQLite build feature
        return None
    return int(row[0]) if row and row[0] else None


async def entries_left(store: SqliteStore) -> int:
    """Return how many entries still wait for a digest or gave up on one."""
    row = await store.connection.fetchone("SELECT COUNT(*) FROM entries WHERE state IN ('new', 'failed')")
    return int(row[0]) if row else 0


async def digests_in_shared_stories(store: SqliteStore) -> int:
    """Return how many digests joined another digest's story."""
    row = await store.connection.fetchone("SELECT COUNT(*) - COUNT(DISTINCT story_id) FROM stories")
    return int(row[0]) if row else 0
