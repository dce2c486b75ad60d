"""Chats, their settings and their subscriptions on SQLite (`chats`, `subscriptions`)."""

from __future__ import annotations

from bot.models import ChatRecord, FeedRecord, utcnow
from bot.store.rules import chat_record
from bot.store.sqlite.connection import Connection, feed_from_row, to_db_time


class SqliteChats:
    """`bot.store.protocols.ChatRepository` on SQLite."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def upsert(self, platform: str, external_id: str, title: str = "") -> ChatRecord:
        """Return the chat, creating it on first contact (title refreshed when given)."""
        await self.conn.execute(
            """INSERT INTO chats (platform, external_id, title, created_at) VALUES (?, ?, ?, ?)
               ON CONFLICT (platform, external_id) DO UPDATE SET
               title = CASE WHEN excluded.title != '' THEN excluded.title ELSE chats.title END""",
            (platform, external_id, title, to_db_time(utcnow())),
        )
        chat = await self.get(platform, external_id)
        assert chat is not None
        return chat

    async def get(self, platform: str, external_id: str) -> ChatRecord | None:
        """Return a chat by its platform id, or None."""
        row = await self.conn.fetchone(
            "SELECT * FROM chats WHERE platform = ? AND external_id = ?", (platform, external_id)
        )
        return chat_record(row) if row else None

    async def by_id(self, chat_id: int) -> ChatRecord | None:
        """Return a chat by its row id, or None."""
        row = await self.conn.fetchone("SELECT * FROM chats WHERE id = ?", (chat_id,))
        return chat_record(row) if row else None

    async def set_active(self, chat_id: int, active: bool) -> bool:
        """Activate or deactivate a chat; return True when its state changed.

        Deactivating drops its queued deliveries (a blocked bot cannot send them) but keeps
        its subscriptions, so a later /start resumes where it was.
        """
        async with self.conn.transaction() as db:
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

    async def move(self, platform: str, old_external_id: str, new_external_id: str) -> None:
        """Carry a chat's settings and subscriptions to its new id (Telegram supergroups)."""
        await self.conn.execute(
            "UPDATE OR IGNORE chats SET external_id = ? WHERE platform = ? AND external_id = ?",
            (new_external_id, platform, old_external_id),
        )

    async def update(self, chat_id: int, **fields: str | None) -> None:
        """Change chat settings (timezone, daily_time, mode, title)."""
        allowed = {"timezone", "daily_time", "mode", "title"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"unknown chat fields: {sorted(unknown)}")
        if not fields:
            return
        assignments = ", ".join(f"{name} = ?" for name in fields)
        await self.conn.execute(f"UPDATE chats SET {assignments} WHERE id = ?", [*fields.values(), chat_id])

    async def subscribe(self, chat_id: int, feed_id: int) -> bool:
        """Subscribe a chat to a feed; return False when it already was."""
        changed = await self.conn.execute(
            "INSERT OR IGNORE INTO subscriptions (chat_id, feed_id, created_at) VALUES (?, ?, ?)",
            (chat_id, feed_id, to_db_time(utcnow())),
        )
        return changed == 1

    async def unsubscribe(self, chat_id: int, feed_id: int) -> bool:
        """Remove a subscription; return False when there was none."""
        return (
            await self.conn.execute(
                "DELETE FROM subscriptions WHERE chat_id = ? AND feed_id = ?", (chat_id, feed_id)
            )
            == 1
        )

    async def subscriptions(self, chat_id: int) -> list[FeedRecord]:
        """Return a chat's feeds in the order they were added (the numbers users see)."""
        rows = await self.conn.fetchall(
            """SELECT f.* FROM feeds f JOIN subscriptions s ON s.feed_id = f.id
               WHERE s.chat_id = ? ORDER BY s.created_at, f.id""",
            (chat_id,),
        )
        return [feed_from_row(r) for r in rows]

    async def subscribers(self, feed_id: int) -> list[ChatRecord]:
        """Return the chats subscribed to a feed."""
        rows = await self.conn.fetchall(
            """SELECT c.* FROM chats c JOIN subscriptions s ON s.chat_id = c.id
               WHERE s.feed_id = ? ORDER BY c.id""",
            (feed_id,),
        )
        return [chat_record(r) for r in rows]
