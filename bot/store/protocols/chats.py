"""Chats and subscriptions: `ChatRepository`, what the commands read and change about a chat."""

from __future__ import annotations

from typing import Protocol

from bot.models import ChatRecord, FeedRecord


class ChatRepository(Protocol):
    """The chats, their settings (time zone, daily time, mode) and their subscriptions."""

    async def upsert(self, platform: str, external_id: str, title: str = "") -> ChatRecord:
        """Return the chat, creating it on first contact (title refreshed when given)."""
        ...

    async def get(self, platform: str, external_id: str) -> ChatRecord | None:
        """Return a chat by its platform id, or None."""
        ...

    async def by_id(self, chat_id: int) -> ChatRecord | None:
        """Return a chat by its row id, or None."""
        ...

    async def set_active(self, chat_id: int, active: bool) -> bool:
        """Activate or deactivate a chat; return True when its state changed.

        Deactivating drops its queued deliveries but keeps its subscriptions.
        """
        ...

    async def move(self, platform: str, old_external_id: str, new_external_id: str) -> None:
        """Carry a chat's settings and subscriptions to its new id (Telegram supergroups)."""
        ...

    async def update(self, chat_id: int, **fields: str | None) -> None:
        """Change chat settings (timezone, daily_time, mode, title); another name is a ValueError."""
        ...

    async def subscribe(self, chat_id: int, feed_id: int) -> bool:
        """Subscribe a chat to a feed; return False when it already was."""
        ...

    async def unsubscribe(self, chat_id: int, feed_id: int) -> bool:
        """Remove a subscription; return False when there was none."""
        ...

    async def subscriptions(self, chat_id: int) -> list[FeedRecord]:
        """Return a chat's feeds in the order they were added (the numbers users see)."""
        ...

    async def subscribers(self, feed_id: int) -> list[ChatRecord]:
        """Return the chats subscribed to a feed, by id."""
        ...
