"""The daily digest's schedule and content on PostgreSQL (`chats`, `daily_state`, digests by feed)."""

from __future__ import annotations

from datetime import datetime

from bot.store.postgres.database import PostgresDatabase, db_time
from bot.store.protocols import DailyItem
from digests.model import Digest


class PostgresDailySchedule:
    """`bot.store.protocols.DailySchedule` on PostgreSQL."""

    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    async def daily_chat_ids(self) -> list[int]:
        """See `DailySchedule.daily_chat_ids`."""
        rows = await self.database.pool.fetch(
            """SELECT id FROM chats
               WHERE active AND daily_time IS NOT NULL AND mode IN ('quotidien', 'both') ORDER BY id"""
        )
        return [int(r[0]) for r in rows]

    async def last_due(self, chat_id: int) -> datetime | None:
        """See `DailySchedule.last_due`."""
        due: datetime | None = await self.database.pool.fetchval(
            "SELECT last_due_at FROM daily_state WHERE chat_id = $1", chat_id
        )
        return due

    async def mark_due(self, chat_id: int, due: datetime) -> None:
        """See `DailySchedule.mark_due`: an upsert, one row per chat."""
        await self.database.pool.execute(
            """INSERT INTO daily_state (chat_id, last_due_at) VALUES ($1, $2)
               ON CONFLICT (chat_id) DO UPDATE SET last_due_at = excluded.last_due_at""",
            chat_id,
            db_time(due),
        )

    async def digests_between(self, chat_id: int, start: datetime, end: datetime) -> list[DailyItem]:
        """See `DailySchedule.digests_between`: a digest outside any story is its own story."""
        rows = await self.database.pool.fetch(
            """SELECT d.json::text AS json, d.created_at, COALESCE(s.story_id, d.id) AS story,
                      f.title AS feed_title
               FROM digests d JOIN entries e ON e.id = d.entry_id
               JOIN subscriptions sub ON sub.feed_id = e.feed_id AND sub.chat_id = $1
               JOIN feeds f ON f.id = e.feed_id
               LEFT JOIN stories s ON s.digest_id = d.id
               WHERE d.created_at > $2 AND d.created_at <= $3
               ORDER BY d.id""",
            chat_id,
            db_time(start),
            db_time(end),
        )
        return [DailyItem(Digest.from_json(r["json"]), r["created_at"], int(r["story"]), r["feed_title"]) for r in rows]
