"""`bot.store.protocols.GaugeSource` on PostgreSQL: two GROUP BYs per scrape, `SELECT 1` for health."""

from __future__ import annotations

from bot.store.postgres.database import PostgresDatabase
from bot.store.protocols import StoreGauges


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
        feed_rows = await pool.fetch(
            "SELECT status, COUNT(*), COUNT(*) FILTER (WHERE status = 'active' AND consecutive_errors > 0) "
            "FROM feeds GROUP BY status"
        )
        return StoreGauges.from_counts(
            ((str(r[0]), str(r[1]), int(r[2])) for r in rows), ((str(r[0]), int(r[1]), int(r[2])) for r in feed_rows)
        )
