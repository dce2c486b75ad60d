"""The SQLite repositories: each one runs its SQL on the connection of a `bot.store.sqlite.storage.Storage`."""

from bot.store.sqlite.daily import SqliteDailySchedule
from bot.store.sqlite.follows import SqliteFollowStore
from bot.store.sqlite.search import SqliteSearchStore

__all__ = ["SqliteDailySchedule", "SqliteFollowStore", "SqliteSearchStore"]
