"""Subscription filters and intervals on PostgreSQL (columns of `subscriptions`, migration 2)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import asyncpg

from bot.store.postgres.database import PostgresDatabase, db_time, pg_text, row_count
from bot.store.protocols import FilteredChat, SubscriptionOptions


class PostgresSubscriptionOptions:
    """`bot.store.protocols.SubscriptionOptionStore` on PostgreSQL; `tx` is the digest transaction's connection."""

    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    async def of_chat(self, chat_id: int) -> dict[int, SubscriptionOptions]:
        """See `SubscriptionOptionStore.of_chat`."""
        rows = await self.database.pool.fetch(
            """SELECT feed_id, filter, interval_seconds FROM subscriptions
               WHERE chat_id = $1 AND (filter IS NOT NULL OR interval_seconds IS NOT NULL)""",
            chat_id,
        )
        return {
            int(r[0]): SubscriptionOptions(int(r[0]), r[1], timedelta(seconds=r[2]) if r[2] else None) for r in rows
        }

    async def set_filter(self, chat_id: int, feed_id: int, text: str | None) -> None:
        """See `SubscriptionOptionStore.set_filter`."""
        await self.database.pool.execute(
            "UPDATE subscriptions SET filter = $1 WHERE chat_id = $2 AND feed_id = $3",
            pg_text(text) if text is not None else None,
            chat_id,
            feed_id,
        )

    async def set_interval(self, chat_id: int, feed_id: int, interval: timedelta | None, *, now: datetime) -> None:
        """See `SubscriptionOptionStore.set_interval`: a feed last polled longer ago than it is due now."""
        seconds = int(interval.total_seconds()) if interval else None
        async with self.database.transaction() as conn:
            await conn.execute(
                "UPDATE subscriptions SET interval_seconds = $1 WHERE chat_id = $2 AND feed_id = $3",
                seconds,
                chat_id,
                feed_id,
            )
            if interval is None:
                return
            row = await conn.fetchrow("SELECT last_polled_at, next_poll_at FROM feeds WHERE id = $1", feed_id)
            if row is None or row[1] is None:
                return
            due = max(row[0] or now, now - interval) + interval
            if due < row[1]:
                await conn.execute("UPDATE feeds SET next_poll_at = $1 WHERE id = $2", db_time(due), feed_id)

    async def asked_intervals(self) -> dict[int, tuple[timedelta | None, ...]]:
        """See `SubscriptionOptionStore.asked_intervals`: only feeds with an interval set, few."""
        rows = await self.database.pool.fetch(
            """SELECT s.feed_id, s.interval_seconds FROM subscriptions s
               JOIN chats c ON c.id = s.chat_id AND c.active
               WHERE s.feed_id IN (SELECT feed_id FROM subscriptions WHERE interval_seconds IS NOT NULL)
               ORDER BY s.feed_id, s.chat_id"""
        )
        asked: dict[int, list[timedelta | None]] = {}
        for feed_id, seconds in rows:
            asked.setdefault(int(feed_id), []).append(timedelta(seconds=seconds) if seconds else None)
        return {feed_id: tuple(values) for feed_id, values in asked.items() if any(values)}

    async def filtered_chats(self, tx: asyncpg.Connection, digest_id: int) -> list[FilteredChat]:
        """See `SubscriptionOptionStore.filtered_chats`."""
        rows = await tx.fetch(
            """SELECT s.chat_id, s.filter FROM subscriptions s
               JOIN entries e ON e.feed_id = s.feed_id JOIN digests d ON d.entry_id = e.id
               WHERE d.id = $1 AND s.filter IS NOT NULL ORDER BY s.chat_id""",
            digest_id,
        )
        return [FilteredChat(int(r[0]), str(r[1])) for r in rows]

    async def drop_instant(self, tx: asyncpg.Connection, digest_id: int, chat_ids: Sequence[int]) -> int:
        """See `SubscriptionOptionStore.drop_instant`: only rows still pending, of kind instant."""
        if not chat_ids:
            return 0
        status = await tx.execute(
            """DELETE FROM deliveries WHERE digest_id = $1 AND kind = 'instant' AND state = 'pending'
               AND chat_id = ANY($2::bigint[])""",
            digest_id,
            list(chat_ids),
        )
        return row_count(status)
