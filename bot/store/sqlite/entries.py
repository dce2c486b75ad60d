"""Entries and digests on SQLite (`entries`, `digests`, `stories`, instant `deliveries`).

Every write that must be atomic is one method here: an entry batch with its poll's validators,
a digest with its story and its deliveries (follow alerts included, through queue hooks).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import aiosqlite
import structlog

from bot.delivery.stories import STORY_WINDOW, best_match, signature
from bot.delivery.stories import Signature as StorySignature
from bot.models import Entry, utcnow
from bot.store.protocols import PendingEntry, PollSuccess, QueueHook
from bot.store.rules import content_hash
from bot.store.rules import newest_first as _newest_first
from bot.store.sqlite.connection import Connection, from_db_time, in_savepoint, to_db_time
from bot.store.sqlite.feeds import record_poll
from digests.model import Digest

log = structlog.get_logger(__name__)


class SqliteEntries:
    """`bot.store.protocols.EntryRepository` on SQLite."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(
        self,
        feed_id: int,
        entries: Iterable[Entry],
        *,
        digest_limit: int | None = None,
        poll: PollSuccess | None = None,
    ) -> list[int]:
        """Insert entries not seen before (one transaction); return the ids queued for a digest.

        Of the new entries only the newest `digest_limit` are queued ('new'); the others are
        recorded as 'seen'. A feed's first poll uses 1 (no backlog flood), later polls the
        per-cycle cap (a feed that suddenly lists 10,000 items cannot flood a chat).
        `poll` (the answer's ETag, Last-Modified, next poll) lands in the same transaction:
        recorded alone first, a kill before the entries would turn every later poll into a
        304 and lose them for good.
        """
        entries = list({e.uid: e for e in reversed(list(entries))}.values())[::-1]  # first of a uid wins
        now = to_db_time(utcnow())
        new_ids: list[int] = []
        async with self.conn.transaction() as db:
            if poll is not None:
                await record_poll(db, feed_id, poll)
            if not entries:
                return []
            marks = ",".join("?" * len(entries))
            async with db.execute(
                f"SELECT uid FROM entries WHERE feed_id = ? AND uid IN ({marks})",
                [feed_id, *(e.uid for e in entries)],
            ) as cur:
                known = {r[0] for r in await cur.fetchall()}
            fresh = _newest_first([e for e in entries if e.uid not in known])
            queued = {e.uid for e in (fresh if digest_limit is None else fresh[:digest_limit])}
            for entry in fresh:
                state = "new" if entry.uid in queued else "seen"
                async with db.execute(
                    """INSERT OR IGNORE INTO entries
                       (feed_id, uid, url, title, published, summary, content, content_hash, state,
                        created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        feed_id,
                        entry.uid,
                        entry.url,
                        entry.title,
                        to_db_time(entry.published),
                        entry.summary,
                        entry.content,
                        content_hash(entry),
                        state,
                        now,
                    ),
                ) as cur:
                    if state == "new" and cur.rowcount == 1 and cur.lastrowid is not None:
                        new_ids.append(cur.lastrowid)
        return new_ids

    async def pending(self, limit: int = 50) -> list[PendingEntry]:
        """Return entries still waiting for a digest, oldest first (also after a crash)."""
        rows = await self.conn.fetchall(
            """SELECT e.*, f.title AS feed_title, f.url AS feed_url FROM entries e
               JOIN feeds f ON f.id = e.feed_id WHERE e.state = 'new' ORDER BY e.id LIMIT ?""",
            (limit,),
        )
        return _pending(rows)

    async def claim_pending(self, now: datetime, *, owner: str, until: datetime, limit: int) -> list[PendingEntry]:
        """Lease up to `limit` entries waiting for a digest to `owner`, oldest first.

        One IMMEDIATE transaction (one writer at a time, across processes): two pollers never
        digest the same entry, unless its lease expired first (its holder died or stalled), and
        then `store_digest` keeps the first digest stored.
        """
        stamp = to_db_time(now)
        async with self.conn.transaction() as db:
            async with db.execute(
                """SELECT e.*, f.title AS feed_title, f.url AS feed_url FROM entries e
                   JOIN feeds f ON f.id = e.feed_id WHERE e.state = 'new'
                   AND (e.lease_until IS NULL OR e.lease_until <= ?) ORDER BY e.id LIMIT ?""",
                (stamp, limit),
            ) as cur:
                rows = list(await cur.fetchall())
            if rows:
                marks = ",".join("?" * len(rows))
                await db.execute(
                    f"UPDATE entries SET lease_owner = ?, lease_until = ? WHERE id IN ({marks})",
                    [owner, to_db_time(until), *(r["id"] for r in rows)],
                )
        return _pending(rows)

    async def renew_leases(self, owner: str, until: datetime) -> int:
        """Extend every entry lease `owner` holds to `until`; return how many."""
        return await self.conn.execute(
            "UPDATE entries SET lease_until = ? WHERE lease_owner = ?", (to_db_time(until), owner)
        )

    async def release_leases(self, owner: str) -> int:
        """Give back every entry lease `owner` holds."""
        return await self.conn.execute(
            "UPDATE entries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?", (owner,)
        )

    async def mark_failed(self, entry_id: int, error: str) -> None:
        """Give up on an entry whose digest cannot be made (logged by the caller)."""
        await self.conn.execute(
            "UPDATE entries SET state = 'failed', lease_owner = NULL, lease_until = NULL WHERE id = ?",
            (entry_id,),
        )

    async def store_digest(self, entry_id: int, digest: Digest, *, also: Sequence[QueueHook] = ()) -> int:
        """Store a digest and queue one delivery per subscribed chat, atomically.

        Chats in `quotidien` mode get it only through the daily digest. The digest joins a story
        (`bot.delivery.stories`: the same event told by other outlets in the last 48 h), and a chat that
        was already sent that story from another feed in that window is not sent it again. The
        entry leaves the 'new' state in the same transaction, so a crash either redoes all of it
        or none. Each of `also` (follow alerts) queues its own deliveries in that transaction, in
        a savepoint: a hook that raises is logged and undone, the digest still lands.
        """
        now = utcnow()
        stamp = to_db_time(now)
        since = to_db_time(now - STORY_WINDOW)
        mark = signature(digest)
        async with self.conn.transaction() as db:
            async with db.execute(
                "INSERT OR IGNORE INTO digests (entry_id, json, text, created_at) VALUES (?, ?, ?, ?)",
                (entry_id, digest.to_json(), digest.text, stamp),
            ):
                pass
            async with db.execute(
                """SELECT d.id, e.feed_id FROM digests d JOIN entries e ON e.id = d.entry_id
                   WHERE d.entry_id = ?""",
                (entry_id,),
            ) as cur:
                row = await cur.fetchone()
            assert row is not None
            digest_id, feed_id = int(row[0]), row[1]
            story_id = await self._join_story(db, digest_id, feed_id, mark, since=since, stamp=stamp)
            async with db.execute(
                """INSERT OR IGNORE INTO deliveries (chat_id, digest_id, kind, state, next_attempt_at,
                   created_at)
                   SELECT s.chat_id, ?, 'instant', 'pending', ?, ? FROM subscriptions s
                   JOIN entries e ON e.feed_id = s.feed_id AND e.id = ?
                   JOIN chats c ON c.id = s.chat_id
                   WHERE c.active = 1 AND c.mode IN ('instant', 'both')
                   AND NOT EXISTS (
                       SELECT 1 FROM deliveries d2 JOIN stories s2 ON s2.digest_id = d2.digest_id
                       WHERE d2.chat_id = s.chat_id AND s2.story_id = ? AND s2.feed_id IS NOT ?
                       AND d2.created_at >= ? AND d2.state IN ('pending', 'sending', 'sent'))""",
                (digest_id, stamp, stamp, entry_id, story_id, feed_id, since),
            ) as cur:
                queued = cur.rowcount
            for hook in also:
                queued += await in_savepoint(db, hook, digest_id, digest)
            await db.execute(
                "UPDATE entries SET state = 'digested', lease_owner = NULL, lease_until = NULL WHERE id = ?",
                (entry_id,),
            )
        log.debug("digest.stored", digest_id=digest_id, story_id=story_id, queued=queued)
        return digest_id

    async def _join_story(
        self,
        db: aiosqlite.Connection,
        digest_id: int,
        feed_id: int | None,
        mark: StorySignature,
        *,
        since: str | None,
        stamp: str | None,
    ) -> int:
        """Give a digest the story id of the closest recent digest, or its own; return it.

        Called inside `store_digest`'s transaction; a digest stored twice keeps its first story.
        """
        async with db.execute("SELECT story_id FROM stories WHERE digest_id = ?", (digest_id,)) as cur:
            known = await cur.fetchone()
        if known is not None:
            return int(known[0])
        async with db.execute(
            "SELECT story_id, signature FROM stories WHERE created_at >= ? AND digest_id != ?",
            (since, digest_id),
        ) as cur:
            recent = [(int(r[0]), StorySignature.from_json(r[1])) for r in await cur.fetchall()]
        story_id = best_match(mark, recent) or digest_id
        await db.execute(
            """INSERT INTO stories (digest_id, story_id, feed_id, created_at, signature)
               VALUES (?, ?, ?, ?, ?)""",
            (digest_id, story_id, feed_id, stamp, mark.to_json()),
        )
        return story_id

    async def latest_digest_id(self, feed_id: int) -> int | None:
        """Return the id of the feed's newest digest, or None."""
        row = await self.conn.fetchone(
            """SELECT d.id FROM digests d JOIN entries e ON e.id = d.entry_id
               WHERE e.feed_id = ? ORDER BY e.published DESC, d.id DESC LIMIT 1""",
            (feed_id,),
        )
        return int(row[0]) if row else None

    async def digest(self, digest_id: int) -> Digest | None:
        """Return a stored digest, or None."""
        row = await self.conn.fetchone("SELECT json FROM digests WHERE id = ?", (digest_id,))
        return Digest.from_json(row[0]) if row else None


def _pending(rows: Sequence[aiosqlite.Row]) -> list[PendingEntry]:
    """Read entry rows joined with their feed's title and URL."""
    return [
        PendingEntry(
            id=r["id"],
            feed_id=r["feed_id"],
            feed_title=r["feed_title"],
            feed_url=r["feed_url"],
            entry=entry_from_row(r),
        )
        for r in rows
    ]


def entry_from_row(row: aiosqlite.Row) -> Entry:
    """Read an `Entry` from a row holding the entries table's uid, url, title, published, summary, content."""
    return Entry(
        uid=row["uid"],
        url=row["url"],
        title=row["title"],
        published=from_db_time(row["published"]),
        summary=row["summary"],
        content=row["content"],
    )
