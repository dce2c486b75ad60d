"""Rules every storage backend applies alike, so a database copied across stays consistent.

An entry's fingerprint (what a reader would notice changing) and the order in which a feed's
new entries are queued for a digest are decisions of Veille, not of a database; reading a
`chats` row is the same for both drivers' rows (each maps column names to values).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from bot.models import ChatRecord, Entry, Reply
from bot.store.protocols import DeliveryJob
from digests.model import Digest


class Row(Protocol):
    """A driver's row read by column name (`aiosqlite.Row`, `asyncpg.Record`)."""

    def __getitem__(self, key: str) -> Any: ...  # noqa: ANN401  # a column's value, of any SQL type


def chat_record(row: Row, prefix: str = "") -> ChatRecord:
    """Read a `chats` row, its columns named `prefix` + column (`c_id` in a join)."""
    return ChatRecord(
        id=row[f"{prefix}id"],
        platform=row[f"{prefix}platform"],
        external_id=row[f"{prefix}external_id"],
        title=row[f"{prefix}title"],
        timezone=row[f"{prefix}timezone"],
        daily_time=row[f"{prefix}daily_time"],
        mode=row[f"{prefix}mode"],
        active=bool(row[f"{prefix}active"]),
    )


def delivery_job(row: Row) -> DeliveryJob:
    """Read a claimed delivery joined with its chat (`c_` columns) and its digest's JSON."""
    return DeliveryJob(
        id=row["id"],
        chat=chat_record(row, "c_"),
        digest_id=row["digest_id"],
        digest=Digest.from_json(row["json"]) if row["json"] is not None else None,
        kind=row["kind"],
        note=row["note"],
        attempts=row["attempts"],
        message=Reply.from_json(row["message"]) if row["message"] is not None else None,
    )


def content_hash(entry: Entry) -> str:
    """Hash what a reader would notice changing in an entry."""
    raw = "\x1f".join((entry.title, entry.url, entry.summary, entry.content))
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


def newest_first(entries: Sequence[Entry]) -> list[Entry]:
    """Order entries newest first: by published date when known, else in the feed's own order."""
    floor = datetime.min.replace(tzinfo=UTC)
    order = {e.uid: i for i, e in enumerate(entries)}
    return sorted(entries, key=lambda e: (e.published or floor, -order[e.uid]), reverse=True)
