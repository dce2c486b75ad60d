"""Entries, digests and their stories on PostgreSQL (`entries`, `digests`, `stories`).

A digest lands with its instant deliveries and its story in one transaction, as on SQLite
(`bot.store.protocols.EntryRepository.store_digest` says why); the queue hooks (follow alerts) run in a
savepoint of it, so a failing hook is undone and logged while the digest still lands.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import asyncpg
import structlog

from bot.delivery.stories import STORY_WINDOW, best_match, signature
from bot.delivery.stories import Signature as StorySignature
from bot.models import Entry
from bot.store.postgres.database import PostgresDatabase, db_time, pg_json, pg_text, row_count, utcnow
from bot.store.postgres.feeds import RECORD_POLL_SQL, poll_row
from bot.store.protocols import PendingEntry, PollSuccess, QueueHook
from bot.store.rules import content_hash, newest_first
from digests.model import Digest

log = structlog.get_logger(__name__)


class PostgresEntries:
    """`bot.store.protocols.EntryRepository` on PostgreSQL."""

    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    async def add(
        self,
        feed_id: int,
        entries: Iterable[Entry],
        *,
        digest_limit: int | None = None,
        poll: PollSuccess | None = None,
    ) -> list[int]:
        """Insert entries not seen before (one transaction); return the ids queued for a digest.

        Only the newest `digest_limit` new entries are queued ('new'), the others recorded
        'seen'; `poll` lands in the same transaction.
        """
        entries = list({e.uid: e for e in reversed(list(entries))}.values())[::-1]  # first of a uid wins
        now = db_time(utcnow())
        new_ids: list[int] = []
        async with self.database.transaction() as conn:
            if poll is not None:
                await conn.execute(RECORD_POLL_SQL, *poll_row(feed_id, poll, utcnow()))
            if not entries:
                return []
            rows = await conn.fetch(
                "SELECT uid FROM entries WHERE feed_id = $1 AND uid = ANY($2::text[])",
                feed_id,
                [pg_text(e.uid) for e in entries],
            )
            known = {r[0] for r in rows}
            fresh = newest_first([e for e in entries if pg_text(e.uid) not in known])
            queued = {e.uid for e in (fresh if digest_limit is None else fresh[:digest_limit])}
            for entry in fresh:
                state = "new" if entry.uid in queued else "seen"
                entry_id = await conn.fetchval(
                    """INSERT INTO entries (feed_id, uid, url, title, published, summary, content,
                       content_hash, state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                       ON CONFLICT (feed_id, uid) DO NOTHING RETURNING id""",
                    feed_id,
                    pg_text(entry.uid),
                    pg_text(entry.url),
                    pg_text(entry.title),
                    db_time(entry.published),
                    pg_text(entry.summary),
                    pg_text(entry.content),
                    content_hash(entry),
                    state,
                    now,
                )
                if state == "new" and entry_id is not None:
                    new_ids.append(int(entry_id))
        return new_ids

    async def pending(self, limit: int = 50) -> list[PendingEntry]:
        """Return entries still waiting for a digest, oldest first (also after a crash)."""
        rows = await self.database.pool.fetch(
            """SELECT e.*, f.title AS feed_title, f.url AS feed_url FROM entries e
               JOIN feeds f ON f.id = e.feed_id WHERE e.state = 'new' ORDER BY e.id LIMIT $1""",
            limit,
        )
        return _pending(rows)

    async def claim_pending(self, now: datetime, *, owner: str, until: datetime, limit: int) -> list[PendingEntry]:
        """Lease up to `limit` entries waiting for a digest to `owner`, oldest first (`SKIP LOCKED`)."""
        async with self.database.transaction() as conn:
            rows = await conn.fetch(
                """WITH claimed AS (
                       SELECT e.id FROM entries e WHERE e.state = 'new'
                       AND (e.lease_until IS NULL OR e.lease_until <= $1)
                       ORDER BY e.id LIMIT $2 FOR UPDATE SKIP LOCKED
                   ), leased AS (
                       UPDATE entries e SET lease_owner = $3, lease_until = $4
                       FROM claimed WHERE e.id = claimed.id RETURNING e.*
                   )
                   SELECT l.*, f.title AS feed_title, f.url AS feed_url FROM leased l
                   JOIN feeds f ON f.id = l.feed_id ORDER BY l.id""",
                db_time(now),
                limit,
                owner,
                db_time(until),
            )
        return _pending(rows)

    async def renew_leases(self, owner: str, until: datetime) -> int:
        """Extend every entry lease `owner` holds to `until`; return how many."""
        return row_count(
            await self.database.pool.execute(
                "UPDATE entries SET lease_until = $1 WHERE lease_owner = $2", db_time(until), owner
            )
        )

    async def release_leases(self, owner: str) -> int:
        """Give back every entry lease `owner` holds."""
        return row_count(
            await self.database.pool.execute(
                "UPDATE entries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1", owner
            )
        )

    async def mark_failed(self, entry_id: int, error: str) -> None:
        """Give up on an entry whose digest cannot be made (logged by the caller)."""
        await self.database.pool.execute(
            "UPDATE entries SET state = 'failed', lease_owner = NULL, lease_until = NULL WHERE id = $1", entry_id
        )

    async def store_digest(self, entry_id: int, digest: Digest, *, also: Sequence[QueueHook] = ()) -> int:
        """Store a digest and queue one delivery per subscribed chat, atomically.

        The digest joins a story; a chat already sent that story from another feed in the story
        window is not sent it again; the entry leaves 'new'; each of `also` queues its own
        deliveries in a savepoint.
        """
        now = utcnow()
        stamp = db_time(now)
        since = db_time(now - STORY_WINDOW)
        mark = signature(digest)
        async with self.database.transaction() as conn:
            await conn.execute(
                """INSERT INTO digests (entry_id, json, text, created_at) VALUES ($1, $2::jsonb, $3, $4)
                   ON CONFLICT (entry_id) DO NOTHING""",
                entry_id,
                pg_json(digest.to_json()),
                pg_text(digest.text),
                stamp,
            )
            row = await conn.fetchrow(
                "SELECT d.id, e.feed_id FROM digests d JOIN entries e ON e.id = d.entry_id WHERE d.entry_id = $1",
                entry_id,
            )
            assert row is not None
            digest_id, feed_id = int(row[0]), row[1]
            story_id = await _join_story(conn, digest_id, feed_id, mark, since=since, stamp=stamp)
            status = await conn.execute(
                """INSERT INTO deliveries (chat_id, digest_id, kind, state, next_attempt_at, created_at)
                   SELECT s.chat_id, $1, 'instant', 'pending', $2, $2 FROM subscriptions s
                   JOIN entries e ON e.feed_id = s.feed_id AND e.id = $3
                   JOIN chats c ON c.id = s.chat_id
                   WHERE c.active AND c.mode IN ('instant', 'both')
                   AND NOT EXISTS (
                       SELECT 1 FROM deliveries d2 JOIN stories s2 ON s2.digest_id = d2.digest_id
                       WHERE d2.chat_id = s.chat_id AND s2.story_id = $4 AND s2.feed_id IS DISTINCT FROM $5
                       AND d2.created_at >= $6 AND d2.state IN ('pending', 'sending', 'sent'))
                   ON CONFLICT DO NOTHING""",
                digest_id,
                stamp,
                entry_id,
                story_id,
                feed_id,
                since,
            )
            queued = int(status.rsplit(" ", 1)[-1])
            for hook in also:
                queued += await _in_savepoint(conn, hook, digest_id, digest)
            await conn.execute(
                "UPDATE entries SET state = 'digested', lease_owner = NULL, lease_until = NULL WHERE id = $1",
                entry_id,
            )
        log.debug("digest.stored", digest_id=digest_id, story_id=story_id, queued=queued)
        return digest_id

    async def latest_digest_id(self, feed_id: int) -> int | None:
        """Return the id of the feed's newest digest, or None."""
        digest_id = await self.database.pool.fetchval(
            """SELECT d.id FROM digests d JOIN entries e ON e.id = d.entry_id
               WHERE e.feed_id = $1 ORDER BY e.published DESC NULLS LAST, d.id DESC LIMIT 1""",
            feed_id,
        )
        return int(digest_id) if digest_id is not None else None

    async def digest(self, digest_id: int) -> Digest | None:
        """Return a stored digest, or None."""
        raw = await self.database.pool.fetchval("SELECT json::text FROM digests WHERE id = $1", digest_id)
        return Digest.from_json(raw) if raw is not None else None


async def _join_story(
    conn: asyncpg.Connection,
    digest_id: int,
    feed_id: int | None,
    mark: StorySignature,
    *,
    since: datetime | None,
    stamp: datetime | None,
) -> int:
    """Give a digest the story id of the closest recent digest, or its own; return it."""
    known = await conn.fetchval("SELECT story_id FROM stories WHERE digest_id = $1", digest_id)
    if known is not None:
        return int(known)
    rows = await conn.fetch(
        "SELECT story_id, signature::text FROM stories WHERE created_at >= $1 AND digest_id <> $2", since, digest_id
    )
    recent = [(int(r[0]), StorySignature.from_json(r[1])) for r in rows]
    story_id = best_match(mark, recent) or digest_id
    await conn.execute(
        """INSERT INTO stories (digest_id, story_id, feed_id, created_at, signature)
           VALUES ($1, $2, $3, $4, $5::jsonb)""",
        digest_id,
        story_id,
        feed_id,
        stamp,
        pg_json(mark.to_json()),
    )
    return story_id


async def _in_savepoint(conn: asyncpg.Connection, hook: QueueHook, digest_id: int, digest: Digest) -> int:
    """Run one queue hook inside the caller's transaction; undo and log it if it raises."""
    try:
        async with conn.transaction():  # nested: a savepoint
            return await hook(conn, digest_id, digest)
    except Exception as exc:  # noqa: BLE001  # one feature's bug must not lose the digest
        log.error("digest.queue_hook_failed", hook=getattr(hook, "__name__", "?"), error=repr(exc)[:300])
        return 0


def _pending(rows: Sequence[asyncpg.Record]) -> list[PendingEntry]:
    """Read entry rows joined with their feed's title and URL."""
    return [
        PendingEntry(
            id=r["id"],
            feed_id=r["feed_id"],
            feed_title=r["feed_title"],
            feed_url=r["feed_url"],
            entry=Entry(
                uid=r["uid"],
                url=r["url"],
                title=r["title"],
                published=r["published"],
                summary=r["summary"],
                content=r["content"],
            ),
        )
        for r in rows
    ]
