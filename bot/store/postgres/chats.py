"""Chats and their subscriptions on PostgreSQL (`chats`, `subscriptions`)."""

from __future__ import annotations

from bot.models import ChatRecord, FeedRecord
from bot.store.postgres.database import PostgresDatabase, db_time, pg_text, row_count, utcnow
from bot.store.postgres.feeds import feed_record
from bot.store.rules import chat_record

_CHAT_FIELDS = frozenset({"timezone", "daily_time", "mode", "title"})



class PostgresChats:
    """`bot.store.protocols.ChatRepository` on PostgreSQL."""

    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    async def upsert(self, platform: str, external_id: str, title: str = "") -> ChatRecord:
        """Return the chat, creating it on first contact (title refreshed when given)."""
        row = await self.database.pool.fetchrow(
            """INSERT INTO chats (platform, external_id, title, created_at) VALUES ($1, $2, $3, $4)
               ON CONFLICT (platform, external_id) DO UPDATE SET
               title = CASE WHEN excluded.title <> '' THEN excluded.title ELSE chats.title END
               RETURNING *""",
            platform,
            external_id,
            pg_text(title),
            db_time(utcnow()),
        )
        return chat_record(row)

    async def get(self, platform: str, external_id: str) -> ChatRecord | None:
        """Return a chat by its platform id, or None."""
        row = await self.database.pool.fetchrow(
            "SELECT * FROM chats WHERE platform = $1 AND external_id = $2", platform, external_id
        )
        return chat_record(row) if row else None

    async def by_id(self, chat_id: int) -> ChatRecord | None:
        """Return a chat by its row id, or None."""
        row = await self.database.pool.fetchrow("SELECT * FROM chats WHERE id = $1", chat_id)
        return chat_record(row) if row else None

    async def set_active(self, chat_id: int, active: bool) -> bool:
        """Activate or deactivate a chat; return True when its state changed.

        Deactivating drops its queued deliveries (a blocked bot cannot send them) but keeps
        its subscriptions, so a later /start resumes where it was.
        """
        async with self.database.transaction() as conn:
            changed = (
                row_count(
                    await conn.execute(
                        "UPDATE chats SET active = $1 WHERE id = $2 AND active <> $1", active, chat_id
                    )
                )
                == 1
            )
            if changed and not active:
                await conn.execute(
                    """UPDATE deliveries SET state = 'dropped', last_error = 'chat inactive'
                       WHERE chat_id = $1 AND state IN ('pending', 'sending')""",
                    chat_id,
                )
        return changed

    async def move(self, platform: str, old_external_id: str, new_external_id: str) -> None:
        """Carry a chat's settings and subscriptions to its new id (Telegram supergroups).

        When the new id is already a chat, nothing moves (as SQLite's UPDATE OR IGNORE).
        """
        await self.database.pool.execute(
            """UPDATE chats SET external_id = $3 WHERE platform = $1 AND external_id = $2
               AND NOT EXISTS (SELECT 1 FROM chats WHERE platform = $1 AND external_id = $3)""",
            platform,
            old_external_id,
            new_external_id,
        )

    async def update(self, chat_id: int, **fields: str | None) -> None:
        """Change chat settings (timezone, daily_time, mode, title)."""
        unknown = set(fields) - _CHAT_FIELDS
        if unknown:
            raise ValueError(f"unknown chat fields: {sorted(unknown)}")
        if not fields:
            return
        assignments = ", ".join(f"{name} = ${n}" for n, name in enumerate(fields, start=2))
        await self.database.pool.execute(f"UPDATE chats SET {assignments} WHERE id = $1", chat_id, *fields.values())

    async def subscribe(self, chat_id: int, feed_id: int) -> bool:
        """Subscribe a chat to a feed; return False when it already was."""
        status = await self.database.pool.execute(
            """INSERT INTO subscriptions (chat_id, feed_id, created_at) VALUES ($1, $2, $3)
               ON CONFLICT DO NOTHING""",
            chat_id,
            feed_id,
            db_time(utcnow()),
        )
        return row_count(status) == 1

    async def unsubscribe(self, chat_id: int, feed_id: int) -> bool:
        """Remove a subscription; return False when there was none."""
        status = await self.database.pool.execute(
            "DELETE FROM subscriptions WHERE chat_id = $1 AND feed_id = $2", chat_id, feed_id
        )
        return row_count(status) == 1

    async def subscriptions(self, chat_id: int) -> list[FeedRecord]:
        """Return a chat's feeds in the order they were added (the numbers users see)."""
        rows = await self.database.pool.fetch(
            """SELECT f.* FROM feeds f JOIN subscriptions s ON s.feed_id = f.id
               WHERE s.chat_id = $1 ORDER BY s.created_at, f.id""",
            chat_id,
        )
        return [feed_record(r) for r in rows]

    async def subscribers(self, feed_id: int) -> list[ChatRecord]:
        """Return the chats subscribed to a feed."""
        rows = await self.database.pool.fetch(
            """SELECT c.* FROM chats c JOIN subscriptions s ON s.chat_id = c.id
               WHERE s.feed_id = $1 ORDER BY c.id""",
            feed_id,
        )
        return [chat_record(r) for r in rows]
