"""Subscription filters and intervals on SQLite (columns of `subscriptions`, migration 6)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import aiosqlite

from bot.store.protocols import FilteredChat, SubscriptionOptions
from bot.store.sqlite.connection import Connection, from_db_time, to_db_time


class SqliteSubscriptionOptions:
    """`bot.store.protocols.SubscriptionOptionStore` on SQLite."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def of_chat(self, chat_id: int) -> dict[int, SubscriptionOptions]:
        """See `SubscriptionOptionStore.of_chat`."""
        rows = await self.conn.fetchall(
            """SELECT feed_id, filter, interval_seconds FROM subscriptions
               WHERE chat_id = ? AND (filter IS NOT NULL OR interval_seconds IS NOT NULL)""",
            (chat_id,),
        )
        return {
            int(r[0]): SubscriptionOptions(int(r[0]), r[1], timedelta(seconds=r[2]) if r[2] else None) for r in rows
        }

    async def set_filter(self, chat_id: int, feed_id: int, text: str | None) -> None:
        """See `SubscriptionOptionStore.set_filter`."""
        await self.conn.execute(
            "UPDATE subscriptions SET filter = ? WHERE chat_id = ? AND feed_id = ?", (text, chat_id, feed_id)
        )

    async def set_interval(self, chat_id: int, feed_id: int, interval: timedelta | None, *, now: datetime) -> None:
        """See `SubscriptionOptionStore.set_interval`: a feed last polled longer ago than it is due now."""
        seconds = int(interval.total_seconds()) if interval else None
        async with self.conn.transaction() as db:
            await db.execute(
                "UPDATE subscriptions SET interval_seconds = ? WHERE chat_id = ? AND feed_id = ?",
                (seconds, chat_id, feed_id),
            )
            if interval is None:
                return
            async with db.execute("SELECT last_polled_at, next_poll_at FROM feeds WHERE id = ?", (feed_id,)) as cur:
                row = await cur.fetchone()
            if row is None or row[1] is None:
                return
            due = max(from_db_time(row[0]) or now, now - interval) + interval
            if due < (from_db_time(row[1]) or due):
                await db.execute("UPDATE feeds SET next_poll_at = ? WHERE id = ?", (to_db_time(due), feed_id))

    async def asked_intervals(self) -> dict[int, tuple[timedelta | None, ...]]:
        """See `SubscriptionOptionStore.asked_intervals`: only feeds with an interval set, few."""
        rows = await self.conn.fetchall(
            """SELECT s.feed_id, s.interval_seconds FROM subscriptions s
               JOIN chats c ON c.id = s.chat_id AND c.active = 1
               WHERE s.feed_id IN (SELECT feed_id FROM subscriptions WHERE interval_seconds IS NOT NULL)
               ORDER BY s.feed_id, s.chat_id"""
        )
        asked: dict[int, list[timedelta | None]] = {}
        for feed_id, seconds in rows:
            asked.setdefault(int(feed_id), []).append(timedelta(seconds=seconds) if seconds else None)
        return {feed_id: tuple(values) for feed_id, values in asked.items() if any(values)}

    async def filtered_chats(self, tx: aiosqlite.Connection, digest_id: int) -> list[FilteredChat]:
        """See `SubscriptionOptionStore.filtered_chats`."""
        async with tx.execute(
            """SELECT s.chat_id, s.filter FROM subscriptions s
               JOIN entries e ON e.feed_id = s.feed_id JOIN digests d ON d.entry_id = e.id
               WHERE d.id = ? AND s.filter IS NOT NULL ORDER BY s.chat_id""",
            (digest_id,),
        ) as cur:
            return [FilteredChat(int(r[0]), str(r[1])) for r in await cur.fetchall()]

    async def drop_instant(self, tx: aiosqlite.Connection, digest_id: int, chat_ids: Sequence[int]) -> int:
        """See `SubscriptionOptionStore.drop_instant`: only rows still pending, of kind instant."""
        if not chat_ids:
            return 0
        marks = ",".join("?" * len(chat_ids))
        async with tx.execute(
            f"""DELETE FROM deliveries WHERE digest_id = ? AND kind = 'instant' AND state = 'pending'
                AND chat_id IN ({marks})""",
            (digest_id, *chat_ids),
        ) as cur:
            return int(cur.rowcount)
