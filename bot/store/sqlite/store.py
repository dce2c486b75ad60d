"""The SQLite backend as one object: a connection and one repository per aggregate.

`async with SqliteStore(path) as store:` opens the file (WAL, migrations); the core reaches its
data through `store.feeds`, `store.entries`, `store.outbox`, `store.chats`, `store.search`,
`store.follows`, `store.daily`, `store.answers` and `store.gauges` (`bot.store.protocols.Store`),
never through `connection`, which only this package and the SQLite backend's own tests use.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from bot.store.sqlite.chats import SqliteChats
from bot.store.sqlite.connection import Connection
from bot.store.sqlite.daily import SqliteDailySchedule
from bot.store.sqlite.entries import SqliteEntries
from bot.store.sqlite.feeds import SqliteFeeds
from bot.store.sqlite.follows import SqliteFollowStore
from bot.store.sqlite.gauges import SqliteGauges
from bot.store.sqlite.llm import SqliteAnswerCache
from bot.store.sqlite.options import SqliteSubscriptionOptions
from bot.store.sqlite.outbox import SqliteOutbox
from bot.store.sqlite.search import SqliteSearchStore
from bot.store.sqlite.stats import SqliteStatsStore


class SqliteStore:
    """`bot.store.protocols.Store` on one SQLite file."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.connection = Connection(self.path)
        self.feeds = SqliteFeeds(self.connection)
        self.entries = SqliteEntries(self.connection)
        self.outbox = SqliteOutbox(self.connection)
        self.chats = SqliteChats(self.connection)
        self.search = SqliteSearchStore(self.connection)
        self.follows = SqliteFollowStore(self.connection)
        self.daily = SqliteDailySchedule(self.connection)
        self.options = SqliteSubscriptionOptions(self.connection)
        self.stats = SqliteStatsStore(self.connection)
        self.gauges = SqliteGauges(self.connection)
        self.answers = SqliteAnswerCache(self.connection)

    async def open(self) -> None:
        """Connect, switch to WAL and bring the schema to the latest version."""
        await self.connection.open()

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        await self.connection.close()

    async def integrity_ok(self) -> bool:
        """Return True when `PRAGMA integrity_check` reports ok."""
        return await self.connection.integrity_ok()

    async def __aenter__(self) -> SqliteStore:
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
