"""Follows and follow alerts on SQLite (`follows`, and `deliveries` of kind 'follow')."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from bot.store.protocols import AlertTarget, Follow
from bot.store.sqlite.connection import Connection, to_db_time


class SqliteFollowStore:
    """`bot.store.protocols.FollowStore` on SQLite; `tx` is the digest transaction's connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def count(self, chat_id: int) -> int:
        """See `FollowStore.count`."""
        row = await self.conn.fetchone("SELECT COUNT(*) FROM follows WHERE chat_id = ?", (chat_id,))
        return int(row[0]) if row else 0

    async def add(self, chat_id: int, term: str, norm: str, *, now: datetime) -> bool:
        """See `FollowStore.add`: the unique (chat_id, norm) key refuses a duplicate."""
        added = await self.conn.execute(
            "INSERT OR IGNORE INTO follows (chat_id, term, norm, created_at) VALUES (?, ?, ?, ?)",
            (chat_id, term, norm, to_db_time(now)),
        )
        return added == 1

    async def remove(self, follow_id: int) -> None:
        """See `FollowStore.remove`."""
        await self.conn.execute("DELETE FROM follows WHERE id = ?", (follow_id,))

    async def of_chat(self, chat_id: int) -> list[Follow]:
        """See `FollowStore.of_chat`: rowid order is the order added."""
        rows = await self.conn.fetchall("SELECT id, term FROM follows WHERE chat_id = ? ORDER BY id", (chat_id,))
        return [Follow(int(r[0]), str(r[1])) for r in rows]

    async def followed_norms(self, tx: aiosqlite.Connection) -> list[str]:
        """See `FollowStore.followed_norms`, read in the digest transaction."""
        async with tx.execute("SELECT DISTINCT norm FROM follows") as cur:
            return [str(r[0]) for r in await cur.fetchall()]

    async def alert_targets(
        self, tx: aiosqlite.Connection, digest_id: int, norms: Sequence[str], *, since: datetime
    ) -> list[AlertTarget]:
        """See `FollowStore.alert_targets`: both exclusions in one query."""
        if not norms:
            return []
        marks = ",".join("?" * len(norms))
        async with tx.execute(
            f"""SELECT f.chat_id, f.term FROM follows f JOIN chats c ON c.id = f.chat_id
                WHERE c.active = 1 AND f.norm IN ({marks})
                AND NOT EXISTS (
                    SELECT 1 FROM subscriptions s JOIN entries e ON e.feed_id = s.feed_id
                    JOIN digests d ON d.entry_id = e.id
                    WHERE d.id = ? AND s.chat_id = f.chat_id)
                AND NOT EXISTS (
                    SELECT 1 FROM deliveries d2 JOIN stories s2 ON s2.digest_id = d2.digest_id
                    JOIN stories mine ON mine.digest_id = ? AND mine.story_id = s2.story_id
                    WHERE d2.chat_id = f.chat_id AND d2.created_at >= ?
                    AND d2.state IN ('pending', 'sending', 'sent'))
                ORDER BY f.chat_id, f.id""",
            [*norms, digest_id, digest_id, to_db_time(since)],
        ) as cur:
            return [AlertTarget(int(r[0]), str(r[1])) for r in await cur.fetchall()]

    async def queue_alert(
        self, tx: aiosqlite.Connection, chat_id: int, digest_id: int, note: str, *, now: datetime
    ) -> bool:
        """See `FollowStore.queue_alert`: the outbox's unique key makes it idempotent."""
        stamp = to_db_time(now)
        async with tx.execute(
            """INSERT OR IGNORE INTO deliveries (chat_id, digest_id, kind, note, state,
               next_attempt_at, created_at) VALUES (?, ?, 'follow', ?, 'pending', ?, ?)""",
            (chat_id, digest_id, note, stamp, stamp),
        ) as cur:
            return cur.rowcount == 1
