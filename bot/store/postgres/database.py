"""The PostgreSQL connection pool behind every PostgreSQL repository, and its migrations.

Use `async with PostgresDatabase(url) as db:`; repositories borrow a connection per call
(`db.pool`) or run several statements in `db.transaction()`. Several processes may open the
same database at once (N pollers): migrations run under an advisory lock, so one of them
migrates and the others find the schema current.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import asyncpg
import structlog

from bot.store.postgres.migrations import MIGRATIONS

log = structlog.get_logger(__name__)

# Every call gives up rather than hang on a lost server; the pool stays small (one process).
CONNECT_TIMEOUT_S = 10.0
COMMAND_TIMEOUT_S = 30.0
POOL_MIN, POOL_MAX = 1, 10
# Any constant shared by all Veille processes: the key of the migration lock.
_MIGRATION_LOCK = 0x7665696C6C65  # "veille"


def db_time(value: datetime | None) -> datetime | None:
    """Normalise a time for storage as SQLite stores it: UTC, whole seconds (naive taken as UTC).

    Why whole seconds: both backends must compare times alike ("created in (start, end]").
    """
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


def utcnow() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


def pg_text(value: str) -> str:
    """Drop NUL characters, which PostgreSQL text cannot hold (SQLite can: never refuse a row for one)."""
    return value.replace("\x00", "") if "\x00" in value else value


def pg_json(raw: str) -> str:
    """Return JSON text without NUL characters in its strings, which `jsonb` refuses."""
    if "\\u0000" not in raw:
        return raw
    return json.dumps(_without_nul(json.loads(raw)), ensure_ascii=False)


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return pg_text(value)
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {pg_text(k): _without_nul(v) for k, v in value.items()}
    return value


def row_count(status: str) -> int:
    """Return the row count of a command status such as "INSERT 0 1" or "UPDATE 3"."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class PostgresDatabase:
    """One PostgreSQL database: a pool of connections and a schema at the latest version."""

    def __init__(self, url: str, *, min_size: int = POOL_MIN, max_size: int = POOL_MAX) -> None:
        self.url = url
        self._min_size, self._max_size = min_size, max_size
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        """Connect the pool and bring the schema to the latest version."""
        self._pool = await asyncpg.create_pool(
            self.url,
            min_size=self._min_size,
            max_size=self._max_size,
            timeout=CONNECT_TIMEOUT_S,
            command_timeout=COMMAND_TIMEOUT_S,
        )
        try:
            await self._migrate()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Close the pool (idempotent)."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def __aenter__(self) -> PostgresDatabase:
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def pool(self) -> asyncpg.Pool:
        """Return the open pool, or fail loudly when `open()` was not awaited."""
        if self._pool is None:
            raise RuntimeError("PostgresDatabase is not open: use `async with PostgresDatabase(url)`")
        return self._pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """Run the block on one connection in one transaction: all of it lands, or none."""
        async with self.pool.acquire() as conn, conn.transaction():
            yield conn

    async def schema_version(self) -> int:
        """Return the schema version of the database (0 before any migration)."""
        async with self.pool.acquire() as conn:
            return await _version(conn)

    async def _migrate(self) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
            await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")
            version = await _version(conn)
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                await conn.execute(script)
                await conn.execute("DELETE FROM schema_version")
                await conn.execute("INSERT INTO schema_version (version) VALUES ($1)", number)
                log.info("storage.migrated", backend="postgres", version=number)


async def _version(conn: asyncpg.Connection) -> int:
    exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    return int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version"))
