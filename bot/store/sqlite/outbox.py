"""The outbox on SQLite (`deliveries`): what waits, what is being sent, what was sent.

A claimed row is 'sending', leased to its sender, until marked; a row whose lease expired (its
sender died) is claimed again, and `requeue_interrupted` puts back at once what a previous run of
the same sender left.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from bot.models import Reply, utcnow
from bot.store.protocols import DELIVERY_LEASE, DeliveryJob
from bot.store.rules import delivery_job
from bot.store.sqlite.connection import Connection, to_db_time


class SqliteOutbox:
    """`bot.store.protocols.Outbox` on SQLite."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def queue(
        self, chat_id: int, digest_id: int, *, kind: str = "instant", note: str | None = None
    ) -> bool:
        """Queue one digest for one chat unless it was already queued; return True if queued."""
        now = to_db_time(utcnow())
        changed = await self.conn.execute(
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
        async with self.conn.transaction() as db:
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

        'sending' survives a crash: `requeue_interrupted` puts the owner's rows back at its next
        start, and any sender takes over a row whose lease expired; that is the one case where
        a chat may get a message twice (sent, then killed before marked). One IMMEDIATE
        transaction: two senders, in two processes too, never claim the same row.
        """
        stamp = to_db_time(now)
        only = ""
        params: list[object] = [stamp, stamp]
        if platforms is not None:
            only = f" AND c.platform IN ({','.join('?' * len(platforms))})"
            params.extend(platforms)
        params.append(limit)
        async with self.conn.transaction() as db:
            async with db.execute(
                f"""SELECT d.id, d.digest_id, d.message, d.kind, d.note, d.attempts, g.json,
                          c.id AS c_id, c.platform AS c_platform, c.external_id AS c_external_id,
                          c.title AS c_title, c.timezone AS c_timezone,
                          c.daily_time AS c_daily_time, c.mode AS c_mode, c.active AS c_active
                   FROM deliveries d JOIN chats c ON c.id = d.chat_id
                   LEFT JOIN digests g ON g.id = d.digest_id
                   WHERE (d.state = 'pending' AND d.next_attempt_at <= ?
                          OR d.state = 'sending' AND ifnull(d.lease_until, '') <= ?)
                   AND c.active = 1{only}
                   ORDER BY d.id LIMIT ?""",
                params,
            ) as cur:
                rows = list(await cur.fetchall())
            if rows:
                marks = ",".join("?" * len(rows))
                await db.execute(
                    f"UPDATE deliveries SET state = 'sending', lease_owner = ?, lease_until = ? WHERE id IN ({marks})",
                    [owner, to_db_time(until or now + DELIVERY_LEASE), *(r["id"] for r in rows)],
                )
        return [delivery_job(r) for r in rows]

    async def mark_sent(self, delivery_id: int) -> None:
        """Record that the platform confirmed the message."""
        await self.conn.execute(
            """UPDATE deliveries SET state = 'sent', sent_at = ?, attempts = attempts + 1,
               lease_owner = NULL, lease_until = NULL WHERE id = ?""",
            (to_db_time(utcnow()), delivery_id),
        )

    async def mark_retry(
        self, delivery_id: int, *, error: str, next_attempt_at: datetime, count_attempt: bool = True
    ) -> None:
        """Put a delivery back in the queue for a later attempt."""
        await self.conn.execute(
            """UPDATE deliveries SET state = 'pending', last_error = ?, next_attempt_at = ?,
               attempts = attempts + ?, lease_owner = NULL, lease_until = NULL WHERE id = ?""",
            (error[:500], to_db_time(next_attempt_at), 1 if count_attempt else 0, delivery_id),
        )

    async def mark_failed(self, delivery_id: int, error: str) -> None:
        """Give up on a delivery after too many attempts."""
        await self.conn.execute(
            """UPDATE deliveries SET state = 'failed', last_error = ?, lease_owner = NULL, lease_until = NULL
               WHERE id = ?""",
            (error[:500], delivery_id),
        )

    async def requeue_interrupted(self, owner: str | None = None) -> int:
        """Put deliveries left 'sending' by a crash back to 'pending' (only `owner`'s if given)."""
        sql = "UPDATE deliveries SET state = 'pending', lease_owner = NULL, lease_until = NULL WHERE state = 'sending'"
        if owner is None:
            return await self.conn.execute(sql)
        return await self.conn.execute(sql + " AND lease_owner = ?", (owner,))

    async def renew_leases(self, owner: str, until: datetime) -> int:
        """Extend every delivery lease `owner` holds to `until`; return how many."""
        return await self.conn.execute(
            "UPDATE deliveries SET lease_until = ? WHERE lease_owner = ? AND state = 'sending'",
            (to_db_time(until), owner),
        )

    async def pending_count(self) -> int:
        """Return how many deliveries wait (pending or sending)."""
        row = await self.conn.fetchone("SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'sending')")
        return int(row[0]) if row else 0
