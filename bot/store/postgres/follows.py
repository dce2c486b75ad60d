"""Follows and follow alerts on PostgreSQL (`follows`, and `deliveries` of kind 'follow')."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from bot.store.postgres.database import PostgresDatabase, db_time, pg_text, row_count
from bot.store.protocols import AlertTarget, Follow


class PostgresFollowStore:
    """`bot.store.protocols.FollowStore` on PostgreSQL; `tx` is the digest transaction's connection."""

    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    async def count(self, chat_id: int) -> int:
        """See `FollowStore.count`."""
        return int(await self.database.pool.fetchval("SELECT COUNT(*) FROM follows WHERE chat_id = $1", chat_id))

    async def add(self, chat_id: int, term: str, norm: str, *, now: datetime) -> bool:
        """See `FollowStore.add`: the unique (chat_id, norm) key refuses a duplicate."""
        status = await self.database.pool.execute(
            """INSERT INTO follows (chat_id, term, norm, created_at) VALUES ($1, $2, $3, $4)
               ON CONFLICT (chat_id, norm) DO NOTHING""",
            chat_id,
            pg_text(term),
            pg_text(norm),
            db_time(now),
        )
        return row_count(status) == 1

    async def remove(self, follow_id: int) -> None:
        """See `FollowStore.remove`."""
        await self.database.pool.execute("DELETE FROM follows WHERE id = $1", follow_id)

    async def of_chat(self, chat_id: int) -> list[Follow]:
        """See `FollowStore.of_chat`: id order is the order added."""
        rows = await self.database.pool.fetch("SELECT id, term FROM follows WHERE chat_id = $1 ORDER BY id", chat_id)
        return [Follow(int(r[0]), str(r[1])) for r in rows]

    async def followed_norms(self, tx: asyncpg.Connection) -> list[str]:
        """See `FollowStore.followed_norms`, read in the digest transaction."""
        return [str(r[0]) for r in await tx.fetch("SELECT DISTINCT norm FROM follows")]

    async def alert_targets(
        self, tx: asyncpg.Connection, digest_id: int, norms: Sequence[str], *, since: datetime
    ) -> list[AlertTarget]:
        """See `FollowStore.alert_targets`: both exclusions in one query."""
        if not norms:
            return []
        rows = await tx.fetch(
            """SELECT f.chat_id, f.term FROM follows f JOIN chats c ON c.id = f.chat_id
               WHERE c.active AND f.norm = ANY($1::text[])
               AND NOT EXISTS (
                   SELECT 1 FROM subscriptions s JOIN entries e ON e.feed_id = s.feed_id
                   JOIN digests d ON d.entry_id = e.id
                   WHERE d.id = $2 AND s.chat_id = f.chat_id)
               AND NOT EXISTS (
                   SELECT 1 FROM deliveries d2 JOIN stories s2 ON s2.digest_id = d2.digest_id
                   JOIN stories mine ON mine.digest_id = $2 AND mine.story_id = s2.story_id
                   WHERE d2.chat_id = f.chat_id AND d2.created_at >= $3
                   AND d2.state IN ('pending', 'sending', 'sent'))
               ORDER BY f.chat_id, f.id""",
            list(norms),
            digest_id,
            db_time(since),
        )
        return [AlertTarget(int(r[0]), str(r[1])) for r in rows]

    async def queue_alert(
        self, tx: asyncpg.Connection, chat_id: int, digest_id: int, note: str, *, now: datetime
    ) -> bool:
        """See `FollowStore.queue_alert`: the outbox's unique key makes it idempotent."""
        stamp = db_time(now)
        status = await tx.execute(
            """INSERT INTO deliveries (chat_id, digest_id, kind, note, state, next_attempt_at, created_at)
               VALUES ($1, $2, 'follow', $3, 'pending', $4, $4) ON CONFLICT DO NOTHING""",
            chat_id,
            digest_id,
            note,
            stamp,
        )
        return row_count(status) == 1
