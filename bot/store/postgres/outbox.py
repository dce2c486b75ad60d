"""The delivery outbox on PostgreSQL (`deliveries`): queue, claim, and settle each message.

Claims take rows with `FOR UPDATE SKIP LOCKED`: several dispatchers (one per process) may
drain one outbox, and a row another is claiming is skipped rather than waited for or sent twice.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from bot.models import Reply
from bot.store.postgres.database import PostgresDatabase, db_time, pg_json, pg_text, row_count, utcnow
from bot.store.protocols import DELIVERY_LEASE, DeliveryJob
from bot.store.rules import delivery_job


class PostgresOutbox:
    """`bot.store.protocols.Outbox` on PostgreSQL."""

    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    async def queue(
        self, chat_id: int, digest_id: int, *, kind: str = "instant", note: str | None = None
    ) -> bool:
        """Queue one digest for one chat unless it was already queued; return True if queued."""
        now = db_time(utcnow())
        status = await self.database.pool.execute(
            """INSERT INTO deliveries (chat_id, digest_id, kind, note, state, next_attempt_at, created_at)
               VALUES ($1, $2, $3, $4, 'pending', $5, $5) ON CONFLICT DO NOTHING""",
            chat_id,
            digest_id,
            kind,
            note,
            now,
        )
        return row_count(status) == 1

    async def queue_daily(self, chat_id: int, replies: Sequence[Reply], *, key: str, due: datetime) -> int:
        """Queue a chat's daily digest and record its occurrence `due` as handled, atomically.

        A day whose first reply is already queued is not queued again, so a rerun never sends
        a day's digest twice; return how many replies were queued.
        """
        stamp = db_time(utcnow())
        async with self.database.transaction() as conn:
            # Two processes running the same day's job: the second waits here, then finds it queued.
            await conn.execute("SELECT 1 FROM chats WHERE id = $1 FOR UPDATE", chat_id)
            known = (
                await conn.fetchval(
                    "SELECT 1 FROM deliveries WHERE chat_id = $1 AND dedupe_key = $2", chat_id, f"{key}:1"
                )
                is not None
            )
            if not known:
                await conn.executemany(
                    """INSERT INTO deliveries (chat_id, message, dedupe_key, kind, state, next_attempt_at,
                       created_at) VALUES ($1, $2::jsonb, $3, 'daily', 'pending', $4, $4)""",
                    [
                        (chat_id, pg_json(reply.to_json()), f"{key}:{number}", stamp)
                        for number, reply in enumerate(replies, start=1)
                    ],
                )
            await conn.execute(
                """INSERT INTO daily_state (chat_id, last_due_at, last_sent_at) VALUES ($1, $2, $3)
                   ON CONFLICT (chat_id) DO UPDATE SET last_due_at = excluded.last_due_at,
                   last_sent_at = COALESCE(excluded.last_sent_at, daily_state.last_sent_at)""",
                chat_id,
                db_time(due),
                None if known else stamp,
            )
        return 0 if known else len(replies)

    async def claim(
        self,
        now: datetime,
        limit: int = 200,
        *,
        owner: str = "veille",
        until: datetime | None = None,
        platforms: Collection[str] | None = None,
    ) -> list[DeliveryJob]:
        """Mark due deliveries of active chats as 'sending', leased to `owner`; return them oldest first.

        Rows locked by another claim are skipped (`SKIP LOCKED`): each row goes to one sender;
        a row left 'sending' by a sender whose lease expired (it died) is claimed again.
        `platforms` limits the claim to those platforms' chats.
        """
        async with self.database.transaction() as conn:
            rows = await conn.fetch(
                """WITH claimed AS (
                       SELECT d.id FROM deliveries d JOIN chats c ON c.id = d.chat_id
                       WHERE (d.state = 'pending' AND d.next_attempt_at <= $1
                              OR d.state = 'sending' AND COALESCE(d.lease_until, '-infinity'::timestamptz) <= $1)
                       AND c.active AND ($5::text[] IS NULL OR c.platform = ANY($5::text[]))
                       ORDER BY d.id LIMIT $2 FOR UPDATE OF d SKIP LOCKED
                   ), sending AS (
                       UPDATE deliveries d SET state = 'sending', lease_owner = $3, lease_until = $4
                       FROM claimed WHERE d.id = claimed.id
                       RETURNING d.id, d.chat_id, d.digest_id, d.message, d.kind, d.note, d.attempts
                   )
                   SELECT s.id, s.digest_id, s.message::text AS message, s.kind, s.note, s.attempts,
                          g.json::text AS json,
                          c.id AS c_id, c.platform AS c_platform, c.external_id AS c_external_id,
                          c.title AS c_title, c.timezone AS c_timezone, c.daily_time AS c_daily_time,
                          c.mode AS c_mode, c.active AS c_active
                   FROM sending s JOIN chats c ON c.id = s.chat_id
                   LEFT JOIN digests g ON g.id = s.digest_id
                   ORDER BY s.id""",
                db_time(now),
                limit,
                owner,
                db_time(until or now + DELIVERY_LEASE),
                list(platforms) if platforms is not None else None,
            )
        return [delivery_job(r) for r in rows]

    async def mark_sent(self, delivery_id: int) -> None:
        """Record that the platform confirmed the message."""
        await self.database.pool.execute(
            """UPDATE deliveries SET state = 'sent', sent_at = $1, attempts = attempts + 1,
               lease_owner = NULL, lease_until = NULL WHERE id = $2""",
            db_time(utcnow()),
            delivery_id,
        )

    async def mark_retry(
        self, delivery_id: int, *, error: str, next_attempt_at: datetime, count_attempt: bool = True
    ) -> None:
        """Put a delivery back in the queue for a later attempt."""
        await self.database.pool.execute(
            """UPDATE deliveries SET state = 'pending', last_error = $1, next_attempt_at = $2,
               attempts = attempts + $3, lease_owner = NULL, lease_until = NULL WHERE id = $4""",
            pg_text(error[:500]),
            db_time(next_attempt_at),
            1 if count_attempt else 0,
            delivery_id,
        )

    async def mark_failed(self, delivery_id: int, error: str) -> None:
        """Give up on a delivery after too many attempts."""
        await self.database.pool.execute(
            """UPDATE deliveries SET state = 'failed', last_error = $1, lease_owner = NULL, lease_until = NULL
               WHERE id = $2""",
            pg_text(error[:500]),
            delivery_id,
        )

    async def requeue_interrupted(self, owner: str | None = None) -> int:
        """Put deliveries left 'sending' by a crash back to 'pending' (only `owner`'s if given)."""
        sql = "UPDATE deliveries SET state = 'pending', lease_owner = NULL, lease_until = NULL WHERE state = 'sending'"
        if owner is None:
            return row_count(await self.database.pool.execute(sql))
        return row_count(await self.database.pool.execute(sql + " AND lease_owner = $1", owner))

    async def renew_leases(self, owner: str, until: datetime) -> int:
        """Extend every delivery lease `owner` holds to `until`; return how many."""
        return row_count(
            await self.database.pool.execute(
                "UPDATE deliveries SET lease_until = $1 WHERE lease_owner = $2 AND state = 'sending'",
                db_time(until),
                owner,
            )
        )

    async def pending_count(self) -> int:
        """Return how many deliveries wait (pending or sending)."""
        return int(
            await self.database.pool.fetchval("SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'sending')")
        )
