"""`veille db copy SQLITE_PATH POSTGRES_URL`: move a SQLite store into an empty PostgreSQL one.

Every table is copied in dependency order (a row's parents first), with its ids, in one
PostgreSQL transaction: the copy lands whole or not at all. The id sequences are moved past the
copied ids, and the search index is rebuilt on PostgreSQL's own full-text search (SQLite's FTS5
index cannot be copied). A target that already holds data is refused, so running the copy twice
changes nothing; the SQLite file is opened read-only.
"""

from __future__ import annotations

from pathlib import Path

import structlog

from bot.config import shown_db
from bot.errors import VeilleError
from bot.models import utcnow
from bot.store.postgres import PostgresStore
from bot.store.postgres.load import is_empty, load_tables
from bot.store.sqlite.export import read_tables

log = structlog.get_logger(__name__)

# Parents before children; the search index (search_docs, FTS5) is rebuilt, not copied.
TABLES = [
    "feeds",
    "chats",
    "entries",
    "llm_answers",
    "digests",
    "stories",
    "subscriptions",
    "deliveries",
    "search_sessions",
    "follows",
    "daily_state",
]


class CopyError(VeilleError):
    """The copy cannot be made (missing file, unreachable server, target not empty); one line."""


async def copy_sqlite_to_postgres(sqlite_path: Path, postgres_url: str) -> dict[str, int]:
    """Copy every table of `sqlite_path` into the empty database at `postgres_url`; return the counts."""
    if not postgres_url.startswith(("postgresql://", "postgres://")):
        raise CopyError(f"not a PostgreSQL URL: {shown_db(postgres_url)} (postgresql://user:password@host/db)")
    try:
        tables = await read_tables(sqlite_path, TABLES)
    except Exception as exc:  # noqa: BLE001  # any reason the file cannot be read is one line
        raise CopyError(f"cannot read {sqlite_path}: {exc}") from None
    try:
        async with PostgresStore(postgres_url) as target:
            async with target.database.transaction() as conn:
                if not await is_empty(conn, TABLES):
                    raise CopyError(f"{shown_db(postgres_url)} already holds data: copy only into an empty database")
                counts = await load_tables(conn, tables)
            indexed = 0
            while batch := await target.search.unindexed(500):
                added = await target.search.index(batch, now=utcnow())
                if not added:
                    break
                indexed += added
            counts["search index"] = indexed
    except CopyError:
        raise
    except Exception as exc:  # noqa: BLE001  # unreachable server, bad credentials, refused rows: one line
        raise CopyError(f"cannot copy into {shown_db(postgres_url)}: {str(exc) or type(exc).__name__}") from None
    log.info("db.copied", target=shown_db(postgres_url), **{k.replace(" ", "_"): v for k, v in counts.items()})
    return counts
