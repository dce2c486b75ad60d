"""The PostgreSQL backend as one object: a connection pool and one repository per aggregate.

`async with PostgresStore(url) as store:` connects and migrates; the core reaches its data
through `store.feeds`, `store.entries`, `store.outbox`, `store.chats`, `store.search`,
`store.follows`, `store.daily`, `store.answers` and `store.gauges` (`bot.store.protocols.Store`), as on SQLite.
"""

from __future__ import annotations

from types import TracebackType

from bot.store.postgres.chats import PostgresChats
from bot.store.postgres.daily import PostgresDailySchedule
from bot.store.postgres.database import PostgresDatabase
from bot.store.postgres.entries import PostgresEntries
from bot.store.postgres.feeds import PostgresFeeds
from bot.store.postgres.follows import PostgresFollowStore
from bot.store.postgres.gauges import PostgresGauges
from bot.store.postgres.llm import PostgresAnswerCache
from bot.store.postgres.migrations import MIGRATIONS
from bot.store.postgres.options import PostgresSubscriptionOptions
from bot.store.postgres.outbox import PostgresOutbox
from bot.store.postgres.search import PostgresSearchStore
from bot.store.postgres.stats import PostgresStatsStore
from bot.store.protocols import (
    ChatRepository,
    DailySchedule,
    EntryRepository,
    FeedRepository,
    FollowStore,
    Outbox,
    SearchStore,
)


class PostgresStore:
    """`bot.store.protocols.Store` on one PostgreSQL database."""

    def __init__(self, url: str) -> None:
        self.database = PostgresDatabase(url)
        self.feeds = PostgresFeeds(self.database)
        self.entries = PostgresEntries(self.database)
        self.outbox = PostgresOutbox(self.database)
        self.chats = PostgresChats(self.database)
        self.search = PostgresSearchStore(self.database)
        self.follows = PostgresFollowStore(self.database)
        self.daily = PostgresDailySchedule(self.database)
        self.options = PostgresSubscriptionOptions(self.database)
        self.stats = PostgresStatsStore(self.database)
        self.answers = PostgresAnswerCache(self.database)
        self.gauges = PostgresGauges(self.database)

    async def open(self) -> None:
        """Connect the pool and bring the schema to the latest version."""
        await self.database.open()

    async def close(self) -> None:
        """Close the pool (idempotent)."""
        await self.database.close()

    async def integrity_ok(self) -> bool:
        """Return True when the server answers and the schema is at this code's version."""
        return await self.database.schema_version() == len(MIGRATIONS)

    async def __aenter__(self) -> PostgresStore:
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()



def _conforms(store: PostgresStore) -> tuple[
    FeedRepository, EntryRepository, Outbox, ChatRepository, SearchStore, FollowStore, DailySchedule
]:
    """Let mypy prove that each repository of `PostgresStore` keeps its protocol."""
    return store.feeds, store.entries, store.outbox, store.chats, store.search, store.follows, store.daily
