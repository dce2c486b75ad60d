"""The few SQLite rows feature tests touch past the `Store` protocols, each behind a named function.

Feature tests read and change state through `bot.store.protocols`. Two kinds of step cannot:

- setting up a state the product never writes itself: deliveries due now (a retry's wait
  skipped), old deliveries (outside the story window), an error streak begun days ago;
- reading what no protocol method returns: a delivery's kind, attempts, next attempt and last
  error whatever its state, or every entry stored for a feed, digested or not.

Those steps live here, so that the SQLite schema is named in one place and a feature test
says what it does rather than how. The functions take the `SqliteStore` that `running_core`
and the feature tests build (backend tests, under tests/bot/store/, read their own rows).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from bot.models import Entry, utcnow
from bot.store.sqlite import SqliteStore
from bot.store.sqlite.connection import from_db_time, to_db_time
from bot.store.sqlite.entries import entry_from_row


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    """One outbox row as stored, with its chat's platform and platform id."""

    id: int
    chat_id: int
    platform: str
    chat: str  # the chat's external id
    kind: str
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    note: str | None


async def delivery_rows(store: SqliteStore) -> list[DeliveryRow]:
    """Return every delivery, oldest first: the outbox only hands out pending ones, and not their errors."""
    rows = await store.connection.fetchall(
        """SELECT d.id, d.chat_id, c.platform, c.external_id, d.kind, d.state, d.attempts, d.next_attempt_at,
                  d.last_error, d.note
           FROM deliveries d JOIN chats c ON c.id = d.chat_id ORDER BY d.id"""
    )
    return [
        DeliveryRow(
            id=r["id"],
            chat_id=r["chat_id"],
            platform=r["platform"],
            chat=r["external_id"],
            kind=r["kind"],
            state=r["state"],
            attempts=r["attempts"],
            next_attempt_at=from_db_time(r["next_attempt_at"]),
            last_error=r["last_error"],
            note=r["note"],
        )
        for r in rows
    ]


async def make_deliveries_due(store: SqliteStore) -> None:
    """Make every delivery due now, so a test need not wait out a retry's delay."""
    await store.connection.execute("UPDATE deliveries SET next_attempt_at = ?", (to_db_time(utcnow()),))


async def age_deliveries(store: SqliteStore, when: datetime) -> None:
    """Date every delivery back to `when`, to put what was sent outside the story window."""
    await store.connection.execute("UPDATE deliveries SET created_at = ?", (to_db_time(when),))


async def set_first_error_at(store: SqliteStore, feed_id: int, when: datetime) -> None:
    """Date a feed's error streak back to `when`, to reach the pause after days of errors in one test."""
    await store.connection.execute("UPDATE feeds SET first_error_at = ? WHERE id = ?", (to_db_time(when), feed_id))


async def make_feed_due(store: SqliteStore, feed_id: int) -> None:
    """Make one feed due at the next poll, its backoff skipped (`make_all_due` would move every feed)."""
    await store.connection.execute("UPDATE feeds SET next_poll_at = NULL WHERE id = ?", (feed_id,))


async def stored_entries(store: SqliteStore, feed_id: int) -> list[Entry]:
    """Return every entry stored for a feed, by uid: the entries repository only lists pending ones."""
    rows = await store.connection.fetchall(
        "SELECT uid, url, title, published, summary, content FROM entries WHERE feed_id = ? ORDER BY uid",
        (feed_id,),
    )
    return [entry_from_row(r) for r in rows]


def digest_stored(reader: sqlite3.Connection) -> bool:
    """Say whether any digest is committed, on a plain sqlite3 reader a tight loop can poll while Veille runs."""
    return reader.execute("SELECT 1 FROM digests LIMIT 1").fetchone() is not None
