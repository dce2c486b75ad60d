"""`bot.store.protocols.GaugeSource` on PostgreSQL: two GROUP BYs per scrape, `SELECT 1` for health."""

from __future__ import annotations

from bot.store.postgres.database import PostgresDatabase
from bot.store.protocols import DELIVERY_STATES, FEED_STATUSES, StoreGauges


class PostgresGauges:
    """Read `StoreGauges` and answer the health check's ping through the backend's pool."""

    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    async def ping(self) -> None:
        """Run the cheapest query there is; raise if the server does not answer."""
        await self.database.pool.fetchval("SELECT 1")

    async def read(self) -> StoreGauges:
        """Count deliveries by state and platform and feeds by status, zeros included."""
        pool = self.database.pool
        rows = await pool.fetch(
            "SELECT d.state, c.platform, COUNT(*) FROM deliveries d JOIN chats c ON c.id = d.chat_id "
            "GROUP BY d.state, c.platform"
        )
        platforms = {str(row[1]) for row in rows}
        deliveries = {(state, platform): 0 for state in DELIVERY_STATES for platform in platforms}
        deliveries.update({(str(row[0]), str(row[1])): int(row[2]) for row in rows})
        feed_rows = await pool.fetch(
            "SELECT status, COUNT(*), COUNT(*) FILTER (WHERE status = 'active' AND consecutive_errors > 0) "
            "FROM feeds GROUP BY status"
        )
        feeds = dict.fromkeys(FEED_STATUSES, 0)
        feeds.update({str(row[0]): int(row[1]) for row in feed_rows})
        backing_off = sum(int(row[2]) for row in feed_rows)
        return StoreGauges(deliveries=deliveries, feeds=feeds, feeds_backing_off=backing_off)
