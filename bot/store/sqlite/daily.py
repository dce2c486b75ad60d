"""The daily digest's schedule and content on SQLite (`chats`, `daily_state`, digests by feed)."""

from __future__ import annotations

from datetime import datetime

from bot.store.protocols import DailyItem
from bot.store.sqlite.connection import Connection, from_db_time, to_db_time
from digests.model import Digest


class SqliteDailySchedule:
    """`bot.store.protocols.DailySchedule` on SQLite."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def daily_chat_ids(self) -> list[int]:
        """See `DailySchedule.daily_chat_ids`."""
        rows = await self.conn.fetchall(
            """SELECT id FROM chats
               WHERE active = 1 AND daily_time IS NOT NULL AND mode IN ('quotidien', 'both')"""
        )
        return [int(r[0]) for r in rows]

    async def last_due(self, chat_id: int) -> datetime | None:
        """See `DailySchedule.last_due` (an ISO 8601 UTC string in `daily_state`)."""
        row = await self.conn.fetchone("SELECT last_due_at FROM daily_state WHERE chat_id = ?", (chat_id,))
        return from_db_time(row[0]) if row else None

    async def mark_due(self, chat_id: int, due: datetime) -> None:
        """See `DailySchedule.mark_due`: an upsert, one row per chat."""
        await self.conn.execute(
            """INSERT INTO daily_state (chat_id, last_due_at) VALUES (?, ?)
               ON CONFLICT (chat_id) DO UPDATE SET last_due_at = excluded.last_due_at""",
            (chat_id, to_db_time(due)),
        )

    async def digests_between(self, chat_id: int, start: datetime, end: datetime) -> list[DailyItem]:
        """See `DailySchedule.digests_between`: a digest outside any story is its own story."""
        rows = await self.conn.fetchall(
            """SELECT d.json, d.created_at, COALESCE(s.story_id, d.id) AS story, f.title AS feed_title
               FROM digests d JOIN entries e ON e.id = d.entry_id
               JOIN subscriptions sub ON sub.feed_id = e.feed_id AND sub.chat_id = ?
               JOIN feeds f ON f.id = e.feed_id
               LEFT JOIN stories s ON s.digest_id = d.id
               WHERE d.created_at > ? AND d.created_at <= ?
               ORDER BY d.id""",
            (chat_id, to_db_time(start), to_db_time(end)),
        )
        return [
            DailyItem(Digest.from_json(r["json"]), from_db_time(r["created_at"]), int(r["story"]), r["feed_title"])
            for r in rows
        ]
