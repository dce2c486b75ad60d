"""Feeds and their polling state on PostgreSQL (`feeds`), and a stopped feed's notices."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from bot.models import FeedRecord, Reply
from bot.store.postgres.database import PostgresDatabase, db_time, pg_json, pg_text, row_count, utcnow
from bot.store.protocols import PollFailure, PollRecord, PollSuccess

RECORD_POLL_SQL = """UPDATE feeds SET etag = $1, last_modified = $2, title = COALESCE(NULLIF($3, ''), title),
    body_hash = COALESCE($4, body_hash), consecutive_errors = 0, last_error = NULL, first_error_at = NULL,
    next_poll_at = $5, last_polled_at = $6, hint_seconds = COALESCE($8, hint_seconds),
    lease_owner = NULL, lease_until = NULL WHERE id = $7"""
RECORD_ERROR_SQL = """UPDATE feeds SET consecutive_errors = consecutive_errors + 1, last_error = $1,
    first_error_at = COALESCE(first_error_at, $2), next_poll_at = $3, last_polled_at = $4,
    lease_owner = NULL, lease_until = NULL WHERE id = $5"""


def feed_record(row: asyncpg.Record) -> FeedRecord:
    """Build a `FeedRecord` from a row of `feeds`."""
    return FeedRecord(
        id=row["id"],
        url=row["url"],
        title=row["title"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        status=row["status"],
        consecutive_errors=row["consecutive_errors"],
        last_error=row["last_error"],
        next_poll_at=row["next_poll_at"],
        first_error_at=row["first_error_at"],
        body_hash=row["body_hash"],
        hint=timedelta(seconds=row["hint_seconds"]) if row["hint_seconds"] else None,
    )


def poll_row(feed_id: int, poll: PollSuccess, polled_at: datetime) -> tuple[Any, ...]:
    """Return the parameters of `RECORD_POLL_SQL` for one good answer."""
    return (
        poll.etag,
        poll.last_modified,
        pg_text(poll.title or ""),
        poll.body_hash,
        db_time(poll.next_poll_at),
        db_time(polled_at),
        feed_id,
        poll.hint_seconds,
    )


def error_row(feed_id: int, failure: PollFailure, polled_at: datetime) -> tuple[Any, ...]:
    """Return the parameters of `RECORD_ERROR_SQL` for one failed answer."""
    stamp = db_time(polled_at)
    return (pg_text(failure.error[:500]), stamp, db_time(failure.next_poll_at), stamp, feed_id)


class PostgresFeeds:
    """`bot.store.protocols.FeedRepository` on PostgreSQL."""

    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    async def add(self, url: str, title: str = "") -> tuple[FeedRecord, bool]:
        """Insert the feed if its URL is new; return it and whether it was created."""
        now = db_time(utcnow())
        async with self.database.transaction() as conn:
            row = await conn.fetchrow(
                """INSERT INTO feeds (url, title, created_at, next_poll_at) VALUES ($1, $2, $3, $3)
                   ON CONFLICT (url) DO NOTHING RETURNING *""",
                url,
                title,
                now,
            )
            if row is not None:
                return feed_record(row), True
            known = await conn.fetchrow("SELECT * FROM feeds WHERE url = $1", url)
        assert known is not None  # the conflict was on this URL
        return feed_record(known), False

    async def get(self, feed_id: int) -> FeedRecord | None:
        """Return the feed with this id, or None."""
        row = await self.database.pool.fetchrow("SELECT * FROM feeds WHERE id = $1", feed_id)
        return feed_record(row) if row else None

    async def by_url(self, url: str) -> FeedRecord | None:
        """Return the feed with this URL, or None."""
        row = await self.database.pool.fetchrow("SELECT * FROM feeds WHERE url = $1", url)
        return feed_record(row) if row else None

    async def polled(self) -> list[FeedRecord]:
        """Return active feeds that at least one active chat subscribes to."""
        rows = await self.database.pool.fetch(
            """SELECT f.* FROM feeds f WHERE f.status = 'active' AND EXISTS (
                   SELECT 1 FROM subscriptions s JOIN chats c ON c.id = s.chat_id AND c.active
                   WHERE s.feed_id = f.id)
               ORDER BY f.id"""
        )
        return [feed_record(r) for r in rows]

    async def due(self, now: datetime) -> list[FeedRecord]:
        """Return polled feeds whose next poll time has come (or was never set), via `feeds_due`."""
        rows = await self.database.pool.fetch(
            """SELECT f.* FROM feeds f
               WHERE f.status = 'active' AND COALESCE(f.next_poll_at, '-infinity'::timestamptz) <= $1
               AND EXISTS (SELECT 1 FROM subscriptions s JOIN chats c ON c.id = s.chat_id AND c.active
                           WHERE s.feed_id = f.id)
               ORDER BY f.id""",
            db_time(now),
        )
        return [feed_record(r) for r in rows]

    async def claim_due(self, now: datetime, *, owner: str, until: datetime, limit: int) -> list[FeedRecord]:
        """Lease up to `limit` due feeds no live lease holds to `owner`, most overdue first.

        `FOR UPDATE SKIP LOCKED`: two pollers claiming at once never wait for or take each
        other's rows. As on SQLite, a leased feed's next poll time moves to its lease's end, so
        it is not due while held and due again if its poller dies; each claim reads the first
        rows of `feeds_due` only.
        """
        async with self.database.transaction() as conn:
            rows = await conn.fetch(
                """WITH claimed AS (
                       SELECT f.id FROM feeds f
                       WHERE f.status = 'active' AND COALESCE(f.next_poll_at, '-infinity'::timestamptz) <= $1
                       AND EXISTS (SELECT 1 FROM subscriptions s JOIN chats c ON c.id = s.chat_id AND c.active
                                   WHERE s.feed_id = f.id)
                       ORDER BY COALESCE(f.next_poll_at, '-infinity'::timestamptz), f.id LIMIT $2
                       FOR UPDATE OF f SKIP LOCKED
                   ), leased AS (
                       UPDATE feeds f SET lease_owner = $3, lease_until = $4, next_poll_at = $4
                       FROM claimed WHERE f.id = claimed.id RETURNING f.*
                   )
                   SELECT * FROM leased ORDER BY id""",
                db_time(now),
                limit,
                owner,
                db_time(until),
            )
        return [feed_record(r) for r in rows]

    async def renew_leases(self, owner: str, until: datetime) -> int:
        """Extend every feed lease `owner` holds (and so its feeds' wait) to `until`; return how many."""
        return row_count(
            await self.database.pool.execute(
                "UPDATE feeds SET lease_until = $1, next_poll_at = $1 WHERE lease_owner = $2", db_time(until), owner
            )
        )

    async def release_leases(self, owner: str) -> int:
        """Give back every feed lease `owner` holds: those feeds are due at once again."""
        return row_count(
            await self.database.pool.execute(
                "UPDATE feeds SET lease_owner = NULL, lease_until = NULL, next_poll_at = NULL WHERE lease_owner = $1",
                owner,
            )
        )

    async def record_polls(self, polls: Sequence[PollRecord]) -> None:
        """Write many polls' results (304s without entries, errors) in one transaction."""
        successes = [poll_row(p.feed_id, p.result, p.polled_at) for p in polls if isinstance(p.result, PollSuccess)]
        failures = [error_row(p.feed_id, p.result, p.polled_at) for p in polls if isinstance(p.result, PollFailure)]
        if not successes and not failures:
            return
        async with self.database.transaction() as conn:
            if successes:
                await conn.executemany(RECORD_POLL_SQL, successes)
            if failures:
                await conn.executemany(RECORD_ERROR_SQL, failures)

    async def record_poll_error(self, feed_id: int, *, error: str, next_poll_at: datetime) -> FeedRecord:
        """Count one more consecutive error and push the next poll back; return the new state."""
        failure = PollFailure(error=error, next_poll_at=next_poll_at)
        await self.database.pool.execute(RECORD_ERROR_SQL, *error_row(feed_id, failure, utcnow()))
        feed = await self.get(feed_id)
        assert feed is not None
        return feed

    async def make_all_due(self) -> None:
        """Make every feed due at the next poll (the demo polls at once after publishing)."""
        await self.database.pool.execute("UPDATE feeds SET next_poll_at = NULL")

    async def set_status(self, feed_id: int, status: str) -> None:
        """Set a feed active, paused or gone; resuming also clears the error streak."""
        if status == "active":
            await self.database.pool.execute(
                """UPDATE feeds SET status = 'active', consecutive_errors = 0, first_error_at = NULL,
                   next_poll_at = $1 WHERE id = $2""",
                db_time(utcnow()),
                feed_id,
            )
        else:
            await self.database.pool.execute("UPDATE feeds SET status = $1 WHERE id = $2", status, feed_id)

    async def stop(self, feed_id: int, status: str, *, notice: str) -> int:
        """Pause a feed or mark it gone, and queue `notice` for each active subscriber, atomically.

        Only a real change of status queues the notice; return how many notices were queued.
        """
        stamp = db_time(utcnow())
        async with self.database.transaction() as conn:
            changed = await conn.execute(
                """UPDATE feeds SET status = $1, lease_owner = NULL, lease_until = NULL
                   WHERE id = $2 AND status <> $1""",
                status,
                feed_id,
            )
            if row_count(changed) != 1:
                return 0
            queued = await conn.execute(
                """INSERT INTO deliveries (chat_id, message, kind, state, next_attempt_at, created_at)
                   SELECT c.id, $1::jsonb, 'notice', 'pending', $2, $2 FROM chats c
                   JOIN subscriptions s ON s.chat_id = c.id AND s.feed_id = $3
                   WHERE c.active""",
                pg_json(Reply(notice).to_json()),
                stamp,
                feed_id,
            )
            return row_count(queued)

    async def move(self, feed_id: int, new_url: str) -> None:
        """Follow a permanent redirect: store the new URL unless another feed already has it."""
        try:
            await self.database.pool.execute(
                """UPDATE feeds SET url = $1 WHERE id = $2
                   AND NOT EXISTS (SELECT 1 FROM feeds WHERE url = $1)""",
                new_url,
                feed_id,
            )
        except asyncpg.UniqueViolationError:
            pass  # another process stored that URL in between: keep ours, as SQLite's OR IGNORE
