"""The daily schedule: `DailySchedule` and `DailyItem`, who gets a daily digest and what goes in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from digests.model import Digest


@dataclass(frozen=True, slots=True)
class DailyItem:
    """A digest of a chat's feeds for its daily digest, with its story and its feed's title."""

    digest: Digest
    created_at: datetime | None
    story_id: int
    feed_title: str | None
    feed_id: int | None = None  # whose subscription filter applies


class DailySchedule(Protocol):
    """Who gets a daily digest, which occurrence was handled last, and what goes in it."""

    async def daily_chat_ids(self) -> list[int]:
        """Return the active chats with a daily time and a mode that wants a daily digest."""
        ...

    async def last_due(self, chat_id: int) -> datetime | None:
        """Return the last occurrence handled for a chat, or None when none ever was."""
        ...

    async def mark_due(self, chat_id: int, due: datetime) -> None:
        """Record `due` as the chat's last occurrence handled."""
        ...

    async def digests_between(self, chat_id: int, start: datetime, end: datetime) -> list[DailyItem]:
        """Return the digests of the chat's feeds created in (start, end], oldest first."""
        ...
