"""The operator's figures on PostgreSQL: counts over `feeds`, `chats`, `deliveries` and `digests`."""

from __future__ import annotations

from datetime import datetime

from bot.store.postgres.database import PostgresDatabase, db_time
from bot.store.protocols import FailedReason, StatsSnapshot

MAX_REASONS = 5


class PostgresStatsStore:
    """`bot.store.protocols.StatsStore` on PostgreSQL."""

    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    async def snapshot(self, since: datetime) -> StatsSnapshot:
        """See `StatsStore.snapshot`."""
        pool = self.database.pool
        cut = db_time(since)
        feeds = {"active": 0, "backing_off": 0, "paused": 0, "gone": 0}
        for status, erring, count in await pool.fetch(
            "SELECT status, consecutive_errors > 0, COUNT(*) FROM feeds GROUP BY 1, 2"
        ):
            feeds[status] = feeds.get(status, 0) + int(count)
            if status == "active" and erring:
                feeds["backing_off"] += int(count)
        chats: dict[str, int] = {}
        for platform, active, count in await pool.fetch(
            "SELECT platform, active, COUNT(*) FROM chats GROUP BY 1, 2 ORDER BY 1"
        ):
            chats[platform if active else f"{platform}:inactive"] = int(count)
        deliveries = {
            str(state): int(count)
            for state, count in await pool.fetch(
                "SELECT state, COUNT(*) FROM deliveries WHERE created_at >= $1 GROUP BY state", cut
            )
        }
        outbox = await pool.fetchval("SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'sending')")
        failures = tuple(
            FailedReason(str(reason or "?"), int(count), last)
            for reason, count, last in await pool.fetch(
                """SELECT last_error, COUNT(*), MAX(created_at) FROM deliveries
                   WHERE state = 'failed' AND created_at >= $1 GROUP BY last_error
                   ORDER BY COUNT(*) DESC, MAX(created_at) DESC LIMIT $2""",
                cut,
                MAX_REASONS,
            )
        )
        made = await pool.fetchval("SELECT COUNT(*) FROM digests WHERE created_at >= $1", cut)
        return StatsSnapshot(feeds, chats, deliveries, int(outbox or 0), failures, int(made or 0))
