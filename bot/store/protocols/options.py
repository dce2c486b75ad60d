"""Subscription options: filters and intervals per subscription, a repository of their own (`Store.options`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.store.protocols.transaction import Transaction


@dataclass(frozen=True, slots=True)
class SubscriptionOptions:
    """What one chat set on one of its feeds: a filter (as stored) and a polling interval."""

    feed_id: int
    filter: str | None = None
    interval: timedelta | None = None


@dataclass(frozen=True, slots=True)
class FilteredChat:
    """A chat subscribed to a digest's feed with a filter, which decides its instant delivery."""

    chat_id: int
    filter: str


class SubscriptionOptionStore(Protocol):
    """Per-subscription filters and intervals, and what the poller and the fan-out read of them."""

    async def of_chat(self, chat_id: int) -> dict[int, SubscriptionOptions]:
        """Return the options a chat set, by feed id (feeds without any are left out)."""
        ...

    async def set_filter(self, chat_id: int, feed_id: int, text: str | None) -> None:
        """Store (or clear, with None) a subscription's filter."""
        ...

    async def set_interval(self, chat_id: int, feed_id: int, interval: timedelta | None, *, now: datetime) -> None:
        """Store (or clear) a subscription's interval, and bring the feed's next poll forward to it."""
        ...

    async def asked_intervals(self) -> dict[int, tuple[timedelta | None, ...]]:
        """Return, for each feed some active chat set an interval on, every active subscription's one."""
        ...

    async def filtered_chats(self, tx: Transaction, digest_id: int) -> list[FilteredChat]:
        """Return the chats subscribed with a filter to the feed of a digest being stored."""
        ...

    async def drop_instant(self, tx: Transaction, digest_id: int, chat_ids: Sequence[int]) -> int:
        """Take a digest's queued instant deliveries to these chats back out of the outbox."""
        ...
