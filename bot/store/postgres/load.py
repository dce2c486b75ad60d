"""Write plain rows into an empty PostgreSQL store, for `veille db copy` (bot.store.copy)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg


async def is_empty(conn: asyncpg.Connection, tables: Sequence[str]) -> bool:
    """Say whether none of `tables` holds a row."""
    for table in tables:
        if await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})"):  # names are ours
            return False
    return True


def _convert(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "timestamp with time zone":
        stamp = datetime.fromisoformat(value) if isinstance(value, str) else datetime.fromtimestamp(value, UTC)
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    if kind == "boolean":
        return bool(value)
    if kind in ("bigint", "integer", "smallint"):
        return int(value)
    if kind in ("real", "double precision"):
        return float(value)
    return value.replace("\x00", "") if isinstance(value, str) else value


async def load_tables(
    conn: asyncpg.Connection, tables: Mapping[str, tuple[list[str], list[tuple[Any, ...]]]]
) -> dict[str, int]:
    """Copy each table's rows (in the mapping's order), then move each id sequence past the ids copied.

    Only the columns both sides have are copied; values take the PostgreSQL column's type.
    Return how many rows each table received. Run inside the caller's transaction.
    """
    counts: dict[str, int] = {}
    for table, (columns, rows) in tables.items():
        types = {
            r["column_name"]: r["data_type"]
            for r in await conn.fetch(
                """SELECT column_name, data_type FROM information_schema.columns
                   WHERE table_schema = current_schema() AND table_name = $1""",
                table,
            )
        }
        shared = [c for c in columns if c in types]
        where = [columns.index(c) for c in shared]
        records = [tuple(_convert(row[i], types[c]) for i, c in zip(where, shared, strict=True)) for row in rows]
        if records:
            await conn.copy_records_to_table(table, records=records, columns=shared)
        if "id" in types and records:
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            )
        counts[table] = len(records)
    return counts
