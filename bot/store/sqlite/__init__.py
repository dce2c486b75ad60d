"""The SQLite backend: `SqliteStore`, one connection (`connection`) and a repository per aggregate."""

from bot.store.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
