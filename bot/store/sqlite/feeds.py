"""Feeds and their polling bookkeeping on SQLite (`feeds`; paused-feed notices in `deliveries`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from bot.models import FeedRecord, Reply, utcnow
from bot.store.protocols import PollFailure, PollRecord, PollSuccess
from bot.store.sqlite.connection import Connection, feed_from_row, to_db_time

_RECORD_POLL_SQL = """UPDATE feeds SET etag = ?, last_modified = ?, title = COALESCE(NULLIF(?, ''), title),
    body_hash = COALESCE(?, body_hash), hint_seconds = COALESCE(?, hint_seconds),
    consecutive_errors = 0, last_error = NULL, first_error_at = NULL,
    next_poll_at = ?, last_polled_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?"""
_RECORD_ERROR_SQL = """UPDATE feeds SET consecutive_errors = consecutive_errors + 1, last_error = ?,
    first_error_at = COALESCE(first_error_at, ?), next_poll_at = ?, last_polled_at = ?,
    lease_owner = NULL, lease_until = NULL WHERE id = ?"""
# The due feeds of `due`, as one expression shared with `claim_due` (the `feeds_due` index).
_DUE_WHERE = """f.status = 'active' AND ifnull(f.next_poll_at, '') <= ?
    AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.feed_id = f.id
                AND EXISTS (SELECT 1 FROM chats c WHERE c.id = s.chat_id AND c.active = 1))"""


def _poll_row(feed_id: int, poll: PollSuccess, polled_at: datetime) -> tuple[Any, ...]:
    return (
        poll.etag,
        poll.last_modified,
        poll.title or "",
        poll.body_hash,
        poll.hint_seconds,
        to_db_time(poll.next_poll_at),
        to_db_time(polled_at),
        feed_id,
    )


def _error_row(feed_id: int, failure: PollFailure, polled_at: datetime) -> tuple[Any, ...]:
    stamp = to_db_time(polled_at)
    return (failure.error[:500], stamp, to_db_time(failure.next_poll_at), stamp, feed_id)


async def record_poll(db: aiosqlite.Connection, feed_id: int, poll: PollSuccess) -> None:
    """Store a good answer's validators and next poll time, and clear the error streak."""
    await db.execute(_RECORD_POLL_SQL, _poll_row(feed_id, poll, utcnow()))


class SqliteFeeds:
    """`bot.store.protocols.FeedRepository` on SQLite."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, url: str, title: str = "") -> tuple[FeedRecord, bool]:
        """Insert the feed if its URL is new; return it and whether it was created."""
        now = to_db_time(utcnow())
        created = (
            await self.conn.execute(
                "INSERT OR IGNORE INTO feeds (url, title, created_at, next_poll_at) VALUES (?, ?, ?, ?)",
                (url, title, now, now),
            )
            == 1
        )
        feed = await self.by_url(url)
        assert feed is not None  # just inserted or already there
        return feed, created

    async def get(self, feed_id: int) -> FeedRecord | None:
        """Return the feed with this id, or None."""
        row = await self.conn.fetchone("SELECT * FROM feeds WHERE id = ?", (feed_id,))
        return feed_from_row(row) if row else None

    async def by_url(self, url: str) -> FeedRecord | None:
        """Return the feed with this URL, or None."""
        row = await self.conn.fetchone("SELECT * FROM feeds WHERE url = ?", (url,))
        return feed_from_row(row) if row else None

    async def polled(self) -> list[FeedRecord]:
        """Return active feeds that at least one active chat subscribes to."""
        rows = await self.conn.fetchall(
            """SELECT DISTINCT f.* FROM feeds f
               JOIN subscriptions s ON s.feed_id = f.id
               JOIN chats c ON c.id = s.chat_id AND c.active = 1
               WHERE f.status = 'active' ORDER BY f.id"""
        )
        return [feed_from_row(r) for r in rows]

    async def due(self, now: datetime) -> list[FeedRecord]:
        """Return polled feeds whose next poll time has come (or was never set).

        Selected in SQL through the `feeds_due` index (migration 4): a tick reads the due rows
        only, not every feed. Stored times are ISO 8601 UTC to the second, so text order is
        time order; `now` is formatted the same way.
        """
        rows = await self.conn.fetchall(
            f"SELECT f.* FROM feeds f WHERE {_DUE_WHERE} ORDER BY f.id", (to_db_time(now),)
        )
        return [feed_from_row(r) for r in rows]

    async def claim_due(self, now: datetime, *, owner: str, until: datetime, limit: int) -> list[FeedRecord]:
        """Lease up to `limit` due feeds no live lease holds to `owner`, most overdue first.

        A leased feed's next poll time is moved to its lease's end: it is not due while held,
        due again if the lease expires unrecorded (its poller died), and each claim reads only
        the first rows of the `feeds_due` index, never the feeds others hold (a claim that
        skipped them would read every due feed each time: 15 s per 10,000-feed cycle here).
        Recording the poll sets the real next poll time. One IMMEDIATE transaction: SQLite
        lets one writer in at a time, across processes too, so two pollers never lease the
        same feed.
        """
        async with self.conn.transaction() as db:
            async with db.execute(
                f"SELECT f.* FROM feeds f WHERE {_DUE_WHERE} ORDER BY ifnull(f.next_poll_at, '') LIMIT ?",
                (to_db_time(now), limit),
            ) as cur:
                rows = list(await cur.fetchall())
            if rows:
                marks = ",".join("?" * len(rows))
                lease = to_db_time(until)
                await db.execute(
                    f"""UPDATE feeds SET lease_owner = ?, lease_until = ?, next_poll_at = ?
                        WHERE id IN ({marks})""",
                    [owner, lease, lease, *(r["id"] for r in rows)],
                )
        return [feed_from_row(r) for r in rows]

    async def renew_leases(self, owner: str, until: datetime) -> int:
        """Extend every feed lease `owner` holds (and so its feeds' wait) to `until`; return how many."""
        lease = to_db_time(until)
        return await self.conn.execute(
            "UPDATE feeds SET lease_until = ?, next_poll_at = ? WHERE lease_owner = ?", (lease, lease, owner)
        )

    async def release_leases(self, owner: str) -> int:
        """Give back every feed lease `owner` holds: those feeds are due at once again."""
        return await self.conn.execute(
            "UPDATE feeds SET lease_owner = NULL, lease_until = NULL, next_poll_at = NULL WHERE lease_owner = ?",
            (owner,),
        )

    async def record_polls(self, polls: Sequence[PollRecord]) -> None:
        """Write many polls' results (304s without entries, errors) in one transaction.

        Why: one transaction per feed cost a round trip to the SQLite thread per poll. A
        batch lost in a crash only means those feeds are polled again (same validators), so
        nothing is lost; a 200 with entries never goes through here (`add_entries(poll=...)`).
        """
        successes = [_poll_row(p.feed_id, p.result, p.polled_at) for p in polls if isinstance(p.result, PollSuccess)]
        failures = [
            _error_row(p.feed_id, p.result, p.polled_at) for p in polls if isinstance(p.result, PollFailure)
        ]
        if not successes and not failures:
            return
        async with self.conn.transaction() as db:
            if successes:
                await db.executemany(_RECORD_POLL_SQL, successes)
            if failures:
                await db.executemany(_RECORD_ERROR_SQL, failures)

    async def record_poll_error(self, feed_id: int, *, error: str, next_poll_at: datetime) -> FeedRecord:
        """Count one more consecutive error and push the next poll back; return the new state."""
        failure = PollFailure(error=error, next_poll_at=next_poll_at)
        await self.conn.execute(_RECORD_ERROR_SQL, _error_row(feed_id, failure, utcnow()))
        feed = await self.get(feed_id)
        assert feed is not None
        return feed

    async def make_all_due(self) -> None:
        """Make every feed due at the next poll (the demo polls at once after publishing)."""
        await self.conn.execute("UPDATE feeds SET next_poll_at = NULL")

    async def set_status(self, feed_id: int, status: str) -> None:
        """Set a feed active, paused or gone; resuming also clears the error streak."""
        if status == "active":
            await self.conn.execute(
                """UPDATE feeds SET status = 'active', consecutive_errors = 0, first_error_at = NULL,
                   next_poll_at = ? WHERE id = ?""",
                (to_db_time(utcnow()), feed_id),
            )
        else:
            await self.conn.execute("UPDATE feeds SET status = ? WHERE id = ?", (status, feed_id))

    async def stop(self, feed_id: int, status: str, *, notice: str) -> int:
        """Pause a feed or mark it gone, and queue `notice` for each active subscriber, atomically.

        Only a real change of status queues the notice, so a feed stopped twice (a late poll)
        tells each chat once; return how many notices were queued.
        """
        stamp = to_db_time(utcnow())
        async with self.conn.transaction() as db:
            async with db.execute(
                """UPDATE feeds SET status = ?, lease_owner = NULL, lease_until = NULL
                   WHERE id = ? AND status != ?""",
                (status, feed_id, status),
            ) as cur:
                if cur.rowcount != 1:
                    return 0
            async with db.execute(
                """INSERT INTO deliveries (chat_id, message, kind, state, next_attempt_at, created_at)
                   SELECT c.id, ?, 'notice', 'pending', ?, ? FROM chats c
                   JOIN subscriptions s ON s.chat_id = c.id AND s.feed_id = ?
                   WHERE c.active = 1""",
                (Reply(notice).to_json(), stamp, stamp, feed_id),
            ) as cur:
                return cur.rowcount

    async def move(self, feed_id: int, new_url: str) -> None:
        """Follow a permanent redirect: store the new URL unless another feed already has it."""
        await self.conn.execute("UPDATE OR IGNORE feeds SET url = ? WHERE id = ?", (new_url, feed_id))
