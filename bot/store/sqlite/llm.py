"""The model answers on SQLite: table `llm_answers` (migration 7), one row per entry."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.store.protocols import CachedAnswer
from bot.store.sqlite.connection import Connection, from_db_time, to_db_time


class SqliteAnswerCache:
    """`bot.store.protocols.AnswerCache` on SQLite; rows go with their entry (ON DELETE CASCADE)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    async def get(self, entry_id: int) -> CachedAnswer | None:
        """See `AnswerCache.get`."""
        row = await self.connection.fetchone(
            "SELECT status, summary, detail, model, called_at FROM llm_answers WHERE entry_id = ?", (entry_id,)
        )
        if row is None:
            return None
        called_at = from_db_time(row["called_at"]) or datetime.min.replace(tzinfo=UTC)  # NOT NULL column
        return CachedAnswer(row["status"], row["summary"], row["detail"], row["model"], called_at)

    async def put(self, entry_id: int, answer: CachedAnswer) -> None:
        """See `AnswerCache.put`: an entry whose row exists keeps it."""
        await self.connection.execute(
            """INSERT OR IGNORE INTO llm_answers (entry_id, status, summary, detail, model, called_at)
               VALUES (?, ?, ?, ?, ?, ?)""",
            (entry_id, answer.status, answer.summary, answer.detail[:1000], answer.model, to_db_time(answer.called_at)),
        )

    async def calls_since(self, since: datetime) -> int:
        """See `AnswerCache.calls_since`."""
        row = await self.connection.fetchone(
            "SELECT count(*) FROM llm_answers WHERE called_at >= ?", (to_db_time(since),)
        )
        return int(row[0]) if row else 0
