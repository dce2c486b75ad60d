"""SQLite storage on aiosqlite: one file, WAL, versioned migrations, an outbox for deliveries.

Why one class: every write that must be atomic (a digest and its deliveries, an entry batch)
is one method here, so crash safety can be read in one place. Times are stored as ISO 8601
UTC strings, which sort correctly as text.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite
import structlog

from bot.delivery.stories import STORY_WINDOW, best_match, signature
from bot.delivery.stories import Signature as StorySignature
from bot.models import ChatRecord, Entry, FeedRecord, Reply
from bot.store.protocols import DeliveryJob, PendingEntry, PollFailure, PollRecord, PollSuccess, QueueHook
from bot.store.sqlite.migrations import MIGRATIONS
from digests.model import Digest

log = structlog.get_logger(__name__)


def utcnow() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


def to_db_time(value: datetime | None) -> str | None:
    """Format a datetime for storage (UTC ISO 8601); naive values are taken as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds")


def from_db_time(value: str | None) -> datetime | None:
    """Parse a stored time back to an aware datetime."""
    return datetime.fromisoformat(value) if value else None


def content_hash(entry: Entry) -> str:
    """Hash what a reader would notice changing in an entry."""
    raw = "\x1f".join((entry.title, entry.url, entry.summary, entry.content))
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


def _feed(row: aiosqlite.Row) -> FeedRecord:
    return FeedRecord(
        id=row["id"],
        url=row["url"],
        title=row["title"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        status=row["status"],
        consecutive_errors=row["consecutive_errors"],
        last_error=row["last_error"],
        next_poll_at=from_db_time(row["next_poll_at"]),
        first_error_at=from_db_time(row["first_error_at"]),
        body_hash=row["body_hash"],
    )


def _chat(row: aiosqlite.Row, prefix: str = "") -> ChatRecord:
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


class Storage:
    """The one SQLite file behind Veille. Use `async with Storage(path) as db:`."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._db: aiosqlite.Connection | None = None
        # One connection serves every task: writes take turns so one task's BEGIN never
        # meets another's open transaction. Not reentrant: inside `transaction()` use the
        # connection it yields, not `execute()`.
        self._write_lock = asyncio.Lock()

    # -- lifecycle -------------------------------------------------------------------------

    async def open(self) -> None:
        """Connect, switch to WAL and bring the schema to the latest version."""
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        self._db.row_factory = aiosqlite.Row
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute("PRAGMA synchronous=NORMAL")
        await self._db.execute("PRAGMA foreign_keys=ON")
        await self._db.execute("PRAGMA busy_timeout=5000")
        await self._migrate()

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def __aenter__(self) -> Storage:
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def db(self) -> aiosqlite.Connection:
        """Return the open connection, or fail loudly when `open()` was not awaited."""
        if self._db is None:
            raise RuntimeError("Storage is not open: use `async with Storage(path)`")
        return self._db

    async def _migrate(self) -> None:
        async with self.db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        version = int(row[0]) if row else 0
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await self.db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
            log.info("storage.migrated", version=number)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block in one IMMEDIATE transaction: all of it lands, or none."""
        async with self._write_lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            await self.db.execute("COMMIT")

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        """Run a query and return every row."""
        async with self.db.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        """Run a query and return its first row, or None."""
        async with self.db.execute(sql, params) as cur:
            return await cur.fetchone()

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement in autocommit mode and return the number of rows changed."""
        async with self._write_lock, self.db.execute(sql, params) as cur:
            return cur.rowcount

    async def integrity_ok(self) -> bool:
        """Return True when `PRAGMA integrity_check` reports ok."""
        row = await self.fetchone("PRAGMA integrity_check")
        return row is not None and row[0] == "ok"

    # -- feeds -----------------------------------------------------------------------------

    async def add_feed(self, url: str, title: str = "") -> tuple[FeedRecord, bool]:
        """Insert the feed if its URL is new; return it and whether it was created."""
        now = to_db_time(utcnow())
        created = (
            await self.execute(
                "INSERT OR IGNORE INTO feeds (url, title, created_at, next_poll_at) VALUES (?, ?, ?, ?)",
                (url, title, now, now),
            )
            == 1
        )
        feed = await self.get_feed_by_url(url)
        assert feed is not None  # just inserted or already there
        return feed, created

    async def get_feed(self, feed_id: int) -> FeedRecord | None:
        """Return the feed with this id, or None."""
        row = await self.fetchone("SELECT * FROM feeds WHERE id = ?", (feed_id,))
        return _feed(row) if row else None

    async def get_feed_by_url(self, url: str) -> FeedRecord | None:
        """Return the feed with this URL, or None."""
        row = await self.fetchone("SELECT * FROM feeds WHERE url = ?", (url,))
        return _feed(row) if row else None

    async def polled_feeds(self) -> list[FeedRecord]:
        """Return active feeds that at least one active chat subscribes to."""
        rows = await self.fetchall(
            """SELECT DISTINCT f.* FROM feeds f
               JOIN subscriptions s ON s.feed_id = f.id
               JOIN chats c ON c.id = s.chat_id AND c.active = 1
               WHERE f.status = 'active' ORDER BY f.id"""
        )
        return [_feed(r) for r in rows]

    async def due_feeds(self, now: datetime) -> list[FeedRecord]:
        """Return polled feeds whose next poll time has come (or was never set).

        Selected in SQL through the `feeds_due` index (migration 4): a tick reads the due rows
        only, not every feed. Stored times are ISO 8601 UTC to the second, so text order is
        time order; `now` is formatted the same way.
        """
        rows = await self.fetchall(
            """SELECT f.* FROM feeds f
               WHERE f.status = 'active' AND ifnull(f.next_poll_at, '') <= ?
               AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.feed_id = f.id
                           AND EXISTS (SELECT 1 FROM chats c WHERE c.id = s.chat_id AND c.active = 1))
               ORDER BY f.id""",
            (to_db_time(now),),
        )
        return [_feed(r) for r in rows]

    async def record_poll_success(
        self,
        feed_id: int,
        *,
        next_poll_at: datetime,
        etag: str | None,
        last_modified: str | None,
        title: str | None = None,
    ) -> None:
        """Store the validators of a good answer without entries (a 304) and clear the error streak.

        A 200 with entries goes through `add_entries(..., poll=...)`: its validators must land
        in the transaction that stores its entries.
        """
        poll = PollSuccess(next_poll_at=next_poll_at, etag=etag, last_modified=last_modified, title=title)
        async with self.transaction() as db:
            await _record_poll(db, feed_id, poll)

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
        async with self.transaction() as db:
            if successes:
                await db.executemany(_RECORD_POLL_SQL, successes)
            if failures:
                await db.executemany(_RECORD_ERROR_SQL, failures)

    async def record_poll_error(self, feed_id: int, *, error: str, next_poll_at: datetime) -> FeedRecord:
        """Count one more consecutive error and push the next poll back; return the new state."""
        failure = PollFailure(error=error, next_poll_at=next_poll_at)
        await self.execute(_RECORD_ERROR_SQL, _error_row(feed_id, failure, utcnow()))
        feed = await self.get_feed(feed_id)
        assert feed is not None
        return feed

    async def make_all_feeds_due(self) -> None:
        """Make every feed due at the next poll (the demo polls at once after publishing)."""
        await self.execute("UPDATE feeds SET next_poll_at = NULL")

    async def set_feed_status(self, feed_id: int, status: str) -> None:
        """Set a feed active, paused or gone; resuming also clears the error streak."""
        if status == "active":
            await self.execute(
                """UPDATE feeds SET status = 'active', consecutive_errors = 0, first_error_at = NULL,
                   next_poll_at = ? WHERE id = ?""",
                (to_db_time(utcnow()), feed_id),
            )
        else:
            await self.execute("UPDATE feeds SET status = ? WHERE id = ?", (status, feed_id))

    async def stop_feed(self, feed_id: int, status: str, *, notice: str) -> int:
        """Pause a feed or mark it gone, and queue `notice` for each active subscriber, atomically.

        Only a real change of status queues the notice, so a feed stopped twice (a late poll)
        tells each chat once; return how many notices were queued.
        """
        stamp = to_db_time(utcnow())
        async with self.transaction() as db:
            async with db.execute(
                "UPDATE feeds SET status = ? WHERE id = ? AND status != ?", (status, feed_id, status)
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

    async def move_feed(self, feed_id: int, new_url: str) -> None:
        """Follow a permanent redirect: store the new URL unless another feed already has it."""
        await self.execute("UPDATE OR IGNORE feeds SET url = ? WHERE id = ?", (new_url, feed_id))

    # -- entries ---------------------------------------------------------------------------

    async def add_entries(
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
        async with self.transaction() as db:
            if poll is not None:
                await _record_poll(db, feed_id, poll)
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

    async def pending_entries(self, limit: int = 50) -> list[PendingEntry]:
        """Return entries still waiting for a digest, oldest first (also after a crash)."""
        rows = await self.fetchall(
            """SELECT e.*, f.title AS feed_title, f.url AS feed_url FROM entries e
               JOIN feeds f ON f.id = e.feed_id WHERE e.state = 'new' ORDER BY e.id LIMIT ?""",
            (limit,),
        )
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
                    published=from_db_time(r["published"]),
                    summary=r["summary"],
                    content=r["content"],
                ),
            )
            for r in rows
        ]

    async def mark_entry_failed(self, entry_id: int, error: str) -> None:
        """Give up on an entry whose digest cannot be made (logged by the caller)."""
        await self.execute("UPDATE entries SET state = 'failed' WHERE id = ?", (entry_id,))

    # -- digests and the outbox --------------------------------------------------------------

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
        async with self.transaction() as db:
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
                queued += await _in_savepoint(db, hook, digest_id, digest)
            await db.execute("UPDATE entries SET state = 'digested' WHERE id = ?", (entry_id,))
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

    async def queue_delivery(
        self, chat_id: int, digest_id: int, *, kind: str = "instant", note: str | None = None
    ) -> bool:
        """Queue one digest for one chat unless it was already queued; return True if queued."""
        now = to_db_time(utcnow())
        changed = await self.execute(
            """INSERT OR IGNORE INTO deliveries (chat_id, digest_id, kind, note, state,
               next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)""",
            (chat_id, digest_id, kind, note, now, now),
        )
        return changed == 1

    async def queue_daily(self, chat_id: int, replies: Sequence[Reply], *, key: str, due: datetime) -> int:
        """Queue a chat's daily digest and record its occurrence `due` as handled, atomically.

        `key` names the chat's day ("daily:2026-12-01"); each reply is queued as "key:n", and a
        day whose first reply is already queued is not queued again, so a restart or a rerun of
        the job never sends a day's digest twice. Return how many replies were queued.
        """
        stamp = to_db_time(utcnow())
        async with self.transaction() as db:
            async with db.execute(
                "SELECT 1 FROM deliveries WHERE chat_id = ? AND dedupe_key = ?", (chat_id, f"{key}:1")
            ) as cur:
                known = await cur.fetchone() is not None
            if not known:
                for number, reply in enumerate(replies, start=1):
                    await db.execute(
                        """INSERT INTO deliveries (chat_id, message, dedupe_key, kind, state,
                           next_attempt_at, created_at) VALUES (?, ?, ?, 'daily', 'pending', ?, ?)""",
                        (chat_id, reply.to_json(), f"{key}:{number}", stamp, stamp),
                    )
            await db.execute(
                """INSERT INTO daily_state (chat_id, last_due_at, last_sent_at) VALUES (?, ?, ?)
                   ON CONFLICT (chat_id) DO UPDATE SET last_due_at = excluded.last_due_at,
                   last_sent_at = COALESCE(excluded.last_sent_at, daily_state.last_sent_at)""",
                (chat_id, to_db_time(due), None if known else stamp),
            )
        return 0 if known else len(replies)

    async def latest_digest_id(self, feed_id: int) -> int | None:
        """Return the id of the feed's newest digest, or None."""
        row = await self.fetchone(
            """SELECT d.id FROM digests d JOIN entries e ON e.id = d.entry_id
               WHERE e.feed_id = ? ORDER BY e.published DESC, d.id DESC LIMIT 1""",
            (feed_id,),
        )
        return int(row[0]) if row else None

    async def get_digest(self, digest_id: int) -> Digest | None:
        """Return a stored digest, or None."""
        row = await self.fetchone("SELECT json FROM digests WHERE id = ?", (digest_id,))
        return Digest.from_json(row[0]) if row else None

    async def claim_deliveries(self, now: datetime, limit: int = 200) -> list[DeliveryJob]:
        """Mark due pending deliveries of active chats as 'sending' and return them, oldest first.

        'sending' survives a crash: `requeue_interrupted` puts such rows back at start, which is
        the one case where a chat may get a message twice (sent, then killed before marked).
        """
        async with self.transaction() as db:
            async with db.execute(
                """SELECT d.id, d.digest_id, d.message, d.kind, d.note, d.attempts, g.json,
                          c.id AS c_id, c.platform AS c_platform, c.external_id AS c_external_id,
                          c.title AS c_title, c.timezone AS c_timezone,
                          c.daily_time AS c_daily_time, c.mode AS c_mode, c.active AS c_active
                   FROM deliveries d JOIN chats c ON c.id = d.chat_id
                   LEFT JOIN digests g ON g.id = d.digest_id
                   WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND c.active = 1
                   ORDER BY d.id LIMIT ?""",
                (to_db_time(now), limit),
            ) as cur:
                rows = list(await cur.fetchall())
            if rows:
                marks = ",".join("?" * len(rows))
                await db.execute(
                    f"UPDATE deliveries SET state = 'sending' WHERE id IN ({marks})",
                    [r["id"] for r in rows],
                )
        return [
            DeliveryJob(
                id=r["id"],
                chat=_chat(r, "c_"),
                digest_id=r["digest_id"],
                digest=Digest.from_json(r["json"]) if r["json"] is not None else None,
                kind=r["kind"],
                note=r["note"],
                attempts=r["attempts"],
                message=Reply.from_json(r["message"]) if r["message"] is not None else None,
            )
            for r in rows
        ]

    async def mark_sent(self, delivery_id: int) -> None:
        """Record that the platform confirmed the message."""
        await self.execute(
            "UPDATE deliveries SET state = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ?",
            (to_db_time(utcnow()), delivery_id),
        )

    async def mark_retry(
        self, delivery_id: int, *, error: str, next_attempt_at: datetime, count_attempt: bool = True
    ) -> None:
        """Put a delivery back in the queue for a later attempt."""
        await self.execute(
            """UPDATE deliveries SET state = 'pending', last_error = ?, next_attempt_at = ?,
               attempts = attempts + ? WHERE id = ?""",
            (error[:500], to_db_time(next_attempt_at), 1 if count_attempt else 0, delivery_id),
        )

    async def mark_failed(self, delivery_id: int, error: str) -> None:
        """Give up on a delivery after too many attempts."""
        await self.execute(
            "UPDATE deliveries SET state = 'failed', last_error = ? WHERE id = ?",
            (error[:500], delivery_id),
        )

    async def requeue_interrupted(self) -> int:
        """Put deliveries left 'sending' by a crash back to 'pending'; return how many."""
        return await self.execute("UPDATE deliveries SET state = 'pending' WHERE state = 'sending'")

    async def pending_delivery_count(self) -> int:
        """Return how many deliveries wait (pending or sending)."""
        row = await self.fetchone("SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'sending')")
        return int(row[0]) if row else 0

    # -- chats and subscriptions -------------------------------------------------------------

    async def upsert_chat(self, platform: str, external_id: str, title: str = "") -> ChatRecord:
        """Return the chat, creating it on first contact (title refreshed when given)."""
        await self.execute(
            """INSERT INTO chats (platform, external_id, title, created_at) VALUES (?, ?, ?, ?)
               ON CONFLICT (platform, external_id) DO UPDATE SET
               title = CASE WHEN excluded.title != '' THEN excluded.title ELSE chats.title END""",
            (platform, external_id, title, to_db_time(utcnow())),
        )
        chat = await self.get_chat(platform, external_id)
        assert chat is not None
        return chat

    async def get_chat(self, platform: str, external_id: str) -> ChatRecord | None:
        """Return a chat by its platform id, or None."""
        row = await self.fetchone(
            "SELECT * FROM chats WHERE platform = ? AND external_id = ?", (platform, external_id)
        )
        return _chat(row) if row else None

    async def get_chat_by_id(self, chat_id: int) -> ChatRecord | None:
        """Return a chat by its row id, or None."""
        row = await self.fetchone("SELECT * FROM chats WHERE id = ?", (chat_id,))
        return _chat(row) if row else None

    async def set_chat_active(self, chat_id: int, active: bool) -> bool:
        """Activate or deactivate a chat; return True when its state changed.

        Deactivating drops its queued deliveries (a blocked bot cannot send them) but keeps
        its subscriptions, so a later /start resumes where it was.
        """
        async with self.transaction() as db:
            async with db.execute(
                "UPDATE chats SET active = ? WHERE id = ? AND active != ?",
                (int(active), chat_id, int(active)),
            ) as cur:
                changed = cur.rowcount == 1
            if changed and not active:
                await db.execute(
                    """UPDATE deliveries SET state = 'dropped', last_error = 'chat inactive'
                       WHERE chat_id = ? AND state IN ('pending', 'sending')""",
                    (chat_id,),
                )
        return changed

    async def move_chat(self, platform: str, old_external_id: str, new_external_id: str) -> None:
        """Carry a chat's settings and subscriptions to its new id (Telegram supergroups)."""
        await self.execute(
            "UPDATE OR IGNORE chats SET external_id = ? WHERE platform = ? AND external_id = ?",
            (new_external_id, platform, old_external_id),
        )

    async def update_chat(self, chat_id: int, **fields: Any) -> None:
        """Change chat settings (timezone, daily_time, mode, title)."""
        allowed = {"timezone", "daily_time", "mode", "title"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"unknown chat fields: {sorted(unknown)}")
        if not fields:
            return
        assignments = ", ".join(f"{name} = ?" for name in fields)
        await self.execute(f"UPDATE chats SET {assignments} WHERE id = ?", [*fields.values(), chat_id])

    async def subscribe(self, chat_id: int, feed_id: int) -> bool:
        """Subscribe a chat to a feed; return False when it already was."""
        changed = await self.execute(
            "INSERT OR IGNORE INTO subscriptions (chat_id, feed_id, created_at) VALUES (?, ?, ?)",
            (chat_id, feed_id, to_db_time(utcnow())),
        )
        return changed == 1

    async def unsubscribe(self, chat_id: int, feed_id: int) -> bool:
        """Remove a subscription; return False when there was none."""
        return (
            await self.execute(
                "DELETE FROM subscriptions WHERE chat_id = ? AND feed_id = ?", (chat_id, feed_id)
            )
            == 1
        )

    async def subscriptions(self, chat_id: int) -> list[FeedRecord]:
        """Return a chat's feeds in the order they were added (the numbers users see)."""
        rows = await self.fetchall(
            """SELECT f.* FROM feeds f JOIN subscriptions s ON s.feed_id = f.id
               WHERE s.chat_id = ? ORDER BY s.created_at, f.id""",
            (chat_id,),
        )
        return [_feed(r) for r in rows]

    async def subscribers(self, feed_id: int) -> list[ChatRecord]:
        """Return the chats subscribed to a feed."""
        rows = await self.fetchall(
            """SELECT c.* FROM chats c JOIN subscriptions s ON s.chat_id = c.id
               WHERE s.feed_id = ? ORDER BY c.id""",
            (feed_id,),
        )
        return [_chat(r) for r in rows]


async def _in_savepoint(db: aiosqlite.Connection, hook: QueueHook, digest_id: int, digest: Digest) -> int:
    """Run one queue hook inside the caller's transaction; undo and log it if it raises."""
    await db.execute("SAVEPOINT queue_hook")
    try:
        queued = await hook(db, digest_id, digest)
    except Exception as exc:  # noqa: BLE001  # one feature's bug must not lose the digest
        await db.execute("ROLLBACK TO queue_hook")
        log.error("digest.queue_hook_failed", hook=getattr(hook, "__name__", "?"), error=repr(exc)[:300])
        queued = 0
    await db.execute("RELEASE queue_hook")
    return queued


_RECORD_POLL_SQL = """UPDATE feeds SET etag = ?, last_modified = ?, title = COALESCE(NULLIF(?, ''), title),
    body_hash = COALESCE(?, body_hash), consecutive_errors = 0, last_error = NULL, first_error_at = NULL,
    next_poll_at = ?, last_polled_at = ? WHERE id = ?"""
_RECORD_ERROR_SQL = """UPDATE feeds SET consecutive_errors = consecutive_errors + 1, last_error = ?,
    first_error_at = COALESCE(first_error_at, ?), next_poll_at = ?, last_polled_at = ? WHERE id = ?"""


def _poll_row(feed_id: int, poll: PollSuccess, polled_at: datetime) -> tuple[Any, ...]:
    return (
        poll.etag,
        poll.last_modified,
        poll.title or "",
        poll.body_hash,
        to_db_time(poll.next_poll_at),
        to_db_time(polled_at),
        feed_id,
    )


def _error_row(feed_id: int, failure: PollFailure, polled_at: datetime) -> tuple[Any, ...]:
    stamp = to_db_time(polled_at)
    return (failure.error[:500], stamp, to_db_time(failure.next_poll_at), stamp, feed_id)


async def _record_poll(db: aiosqlite.Connection, feed_id: int, poll: PollSuccess) -> None:
    """Store a good answer's validators and next poll time, and clear the error streak."""
    await db.execute(_RECORD_POLL_SQL, _poll_row(feed_id, poll, utcnow()))


def _newest_first(entries: Sequence[Entry]) -> list[Entry]:
    """Order entries newest first: by published date when known, else in the feed's own order."""
    floor = datetime.min.replace(tzinfo=UTC)
    order = {e.uid: i for i, e in enumerate(entries)}
    return sorted(entries, key=lambda e: (e.published or floor, -order[e.uid]), reverse=True)
