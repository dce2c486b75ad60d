"""The operator's figures on SQLite: counts over `feeds`, `chats`, `deliveries` and `digests`."""

from __future__ import annotations

from datetime import datetime

from bot.store.protocols import FailedReason, StatsSnapshot
from bot.store.sqlite.connection import Connection, from_db_time, to_db_time

MAX_REASONS = 5


class SqliteStatsStore:
    """`bot.store.protocols.StatsStore` on SQLite: a handful of aggregate queries, no table scan per row."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def snapshot(self, since: datetime) -> StatsSnapshot:
        """See `StatsStore.snapshot`."""
        cut = to_db_time(since)
        feeds = {"active": 0, "backing_off": 0, "paused": 0, "gone": 0}
        for status, erring, count in await self.conn.fetchall(
            "SELECT status, consecutive_errors > 0, COUNT(*) FROM feeds GROUP BY 1, 2"
        ):
            feeds[status] = feeds.get(status, 0) + int(count)
            if status == "active" and erring:
                feeds["backing_off"] += int(count)
        chats: dict[str, int] = {}
        for platform, active, count in await self.conn.fetchall(
            "SELECT platform, active, COUNT(*) FROM chats GROUP BY 1, 2 ORDER BY 1"
        ):
            chats[platform if active else f"{platform}:inactive"] = int(count)
        deliveries = {
            str(state): int(count)
            for state, count in await self.conn.fetchall(
                "SELECT state, COUNT(*) FROM deliveries WHERE created_at >= ? GROUP BY state", (cut,)
            )
        }
        outbox = await self.conn.fetchone("SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'sending')")
        failures = tuple(
            FailedReason(str(reason or "?"), int(count), from_db_time(last))
            for reason, count, last in await self.conn.fetchall(
                """SELECT last_error, COUNT(*), MAX(created_at) FROM deliveries
                   WHERE state = 'failed' AND created_at >= ? GROUP BY last_error
                   ORDER BY COUNT(*) DESC, MAX(created_at) DESC LIMIT ?""",
                (cut, MAX_REASONS),
            )
        )
        made = await self.conn.fetchone("SELECT COUNT(*) FROM digests WHERE created_at >= ?", (cut,))
        return StatsSnapshot(
            feeds=feeds,
            chats=chats,
            deliveries=deliveries,
            outbox=int(outbox[0]) if outbox else 0,
            failures=failures,
            digests=int(made[0]) if made else 0,
        )
