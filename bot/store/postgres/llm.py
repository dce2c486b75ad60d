"""The model answers on PostgreSQL: table `llm_answers` (migration 4), one row per entry."""

from __future__ import annotations

from datetime import datetime

from bot.store.postgres.database import PostgresDatabase, db_time, pg_text
from bot.store.protocols import CachedAnswer


class PostgresAnswerCache:
    """`bot.store.protocols.AnswerCache` on PostgreSQL; rows go with their entry (ON DELETE CASCADE).

    Shared by every poller of the database: whichever poller digests an entry finds the answer
    another one stored, so an entry is asked once however many pollers run.
    """

    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    async def get(self, entry_id: int) -> CachedAnswer | None:
        """See `AnswerCache.get`."""
        row = await self.database.pool.fetchrow(
            "SELECT status, summary, detail, model, called_at FROM llm_answers WHERE entry_id = $1", entry_id
        )
        if row is None:
            return None
        return CachedAnswer(row["status"], row["summary"], row["detail"], row["model"], row["called_at"])

    async def put(self, entry_id: int, answer: CachedAnswer) -> None:
        """See `AnswerCache.put`: an entry whose row exists keeps it."""
        await self.database.pool.execute(
            """INSERT INTO llm_answers (entry_id, status, summary, detail, model, called_at)
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (entry_id) DO NOTHING""",
            entry_id,
            answer.status,
            pg_text(answer.summary),
            pg_text(answer.detail[:1000]),
            pg_text(answer.model),
            db_time(answer.called_at),
        )

    async def calls_since(self, since: datetime) -> int:
        """See `AnswerCache.calls_since`."""
        return int(
            await self.database.pool.fetchval("SELECT count(*) FROM llm_answers WHERE called_at >= $1", db_time(since))
        )
