"""The one SQLite connection behind Veille: WAL, versioned migrations, one writer at a time.

aiosqlite runs the connection on its own thread; every repository of `bot.store.sqlite` speaks
SQL through this object. Times are stored as ISO 8601 UTC strings, which sort correctly as text.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import structlog

from bot.models import FeedRecord
from bot.store.protocols import QueueHook
from bot.store.sqlite.migrations import MIGRATIONS
from digests.model import Digest

log = structlog.get_logger(__name__)


def to_db_time(value: datetime | None) -> str | None:
    """Format a datetime for storage (UTC ISO 8601); naive values are taken as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds")


def from_db_time(value: str | None) -> datetime | None:
    """Parse a stored time back to an aware datetime."""
    return datetime.fromisoformat(value) if value else None


def feed_from_row(row: aiosqlite.Row) -> FeedRecord:
    """Read a `feeds` row (`SELECT f.*`)."""
    return FeedRecord(
        id=row["id"],
        url=row["url"],
        title=row["title"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        status=row["status"],
        consecutive_errors=row["consecutive_errors"],
        last_error=row["last_error"],
        next_poll_at=from_db_time(row["next_poll_at"]),
        first_error_at=from_db_time(row["first_error_at"]),
        body_hash=row["body_hash"],
        hint=timedelta(seconds=row["hint_seconds"]) if row["hint_seconds"] else None,
    )



class Connection:
    """The open aiosqlite connection, its write lock and its transactions."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._db: aiosqlite.Connection | None = None
        # One connection serves every task: writes take turns so one task's BEGIN never
        # meets another's open transaction. Not reentrant: inside `transaction()` use the
        # connection it yields, not `execute()`.
        self._write_lock = asyncio.Lock()

    async def open(self) -> None:
        """Connect, switch to WAL and bring the schema to the latest version."""
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        self._db.row_factory = aiosqlite.Row
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute("PRAGMA synchronous=NORMAL")
        await self._db.execute("PRAGMA foreign_keys=ON")
        await self._db.execute("PRAGMA busy_timeout=5000")
        await self._migrate()

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> aiosqlite.Connection:
        """Return the open connection, or fail loudly when `open()` was not awaited."""
        if self._db is None:
            raise RuntimeError("the SQLite store is not open: use `async with SqliteStore(path)`")
        return self._db

    async def _migrate(self) -> None:
        async with self.db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        version = int(row[0]) if row else 0
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await self.db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
            log.info("storage.migrated", version=number)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block in one IMMEDIATE transaction: all of it lands, or none."""
        async with self._write_lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            await self.db.execute("COMMIT")

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        """Run a query and return every row."""
        async with self.db.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        """Run a query and return its first row, or None."""
        async with self.db.execute(sql, params) as cur:
            return await cur.fetchone()

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement in autocommit mode and return the number of rows changed."""
        async with self._write_lock, self.db.execute(sql, params) as cur:
            return cur.rowcount

    async def integrity_ok(self) -> bool:
        """Return True when `PRAGMA integrity_check` reports ok."""
        row = await self.fetchone("PRAGMA integrity_check")
        return row is not None and row[0] == "ok"


async def in_savepoint(db: aiosqlite.Connection, hook: QueueHook, digest_id: int, digest: Digest) -> int:
    """Run one queue hook inside the caller's transaction; undo and log it if it raises."""
    await db.execute("SAVEPOINT queue_hook")
    try:
        queued = await hook(db, digest_id, digest)
    except Exception as exc:  # noqa: BLE001  # one feature's bug must not lose the digest
        await db.execute("ROLLBACK TO queue_hook")
        log.error("digest.queue_hook_failed", hook=getattr(hook, "__name__", "?"), error=repr(exc)[:300])
        queued = 0
    await db.execute("RELEASE queue_hook")
    return queued
