"""Read a SQLite store's tables as plain rows, for `veille db copy` (bot.store.copy)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiosqlite


async def read_tables(path: Path, tables: list[str]) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Return each table's column names and rows, read in one read transaction (a consistent copy).

    The file is opened read-only: copying never changes it. Raises `FileNotFoundError` when it
    does not exist and `aiosqlite.Error` when it is not a Veille database.
    """
    if not path.is_file():
        raise FileNotFoundError(f"no such SQLite file: {path}")
    out: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
    async with aiosqlite.connect(f"file:{path}?mode=ro", uri=True) as db:
        await db.execute("BEGIN")
        for table in tables:
            async with db.execute(f"SELECT * FROM {table} ORDER BY rowid") as cur:  # noqa: S608  # names are ours
                columns = [d[0] for d in cur.description]
                out[table] = (columns, [tuple(r) for r in await cur.fetchall()])
        await db.execute("COMMIT")
    return out
