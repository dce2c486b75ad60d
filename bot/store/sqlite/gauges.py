"""`bot.store.protocols.GaugeSource` on SQLite: a few COUNTs per scrape, and `SELECT 1` for health."""

from __future__ import annotations

from bot.store.protocols import StoreGauges
from bot.store.sqlite.connection import Connection


class SqliteGauges:
    """Read `StoreGauges` and answer the health check's ping on the backend's connection."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    async def ping(self) -> None:
        """Run the cheapest query there is; raise if the database does not answer."""
        await self.connection.fetchone("SELECT 1")

    async def read(self) -> StoreGauges:
        """Count deliveries by state and platform and feeds by status, zeros included."""
        rows = await self.connection.fetchall(
            "SELECT d.state, c.platform, COUNT(*) FROM deliveries d JOIN chats c ON c.id = d.chat_id "
            "GROUP BY d.state, c.platform"
        )
        feed_rows = await self.connection.fetchall(
            "SELECT status, COUNT(*), SUM(status = 'active' AND consecutive_errors > 0) FROM feeds GROUP BY status"
        )
        return StoreGauges.from_counts(
            ((str(r[0]), str(r[1]), int(r[2])) for r in rows),
            ((str(r[0]), int(r[1]), int(r[2] or 0)) for r in feed_rows),
        )
