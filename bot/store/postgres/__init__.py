"""The PostgreSQL backend (asyncpg, one pool): `PostgresStore` and its repositories, one per aggregate."""

from bot.store.postgres.chats import PostgresChats
from bot.store.postgres.daily import PostgresDailySchedule
from bot.store.postgres.database import PostgresDatabase
from bot.store.postgres.entries import PostgresEntries
from bot.store.postgres.feeds import PostgresFeeds
from bot.store.postgres.follows import PostgresFollowStore
from bot.store.postgres.outbox import PostgresOutbox
from bot.store.postgres.search import PostgresSearchStore
from bot.store.postgres.store import PostgresStore

__all__ = [
    "PostgresChats",
    "PostgresDailySchedule",
    "PostgresDatabase",
    "PostgresEntries",
    "PostgresFeeds",
    "PostgresFollowStore",
    "PostgresOutbox",
    "PostgresSearchStore",
    "PostgresStore",
]
