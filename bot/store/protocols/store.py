"""The whole store: `Store`, one backend's repositories opened and closed together."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from bot.store.protocols.answers import AnswerCache
from bot.store.protocols.chats import ChatRepository
from bot.store.protocols.daily import DailySchedule
from bot.store.protocols.entries import EntryRepository
from bot.store.protocols.feeds import FeedRepository
from bot.store.protocols.follows import FollowStore
from bot.store.protocols.gauges import GaugeSource
from bot.store.protocols.options import SubscriptionOptionStore
from bot.store.protocols.outbox import Outbox
from bot.store.protocols.search import SearchStore
from bot.store.protocols.stats import StatsStore


class Store(Protocol):
    """One backend's repositories, opened and closed together: `async with store:`."""

    @property
    def feeds(self) -> FeedRepository:
        """The FeedRepository of this backend."""
        ...

    @property
    def entries(self) -> EntryRepository:
        """The EntryRepository of this backend."""
        ...

    @property
    def outbox(self) -> Outbox:
        """The Outbox of this backend."""
        ...

    @property
    def chats(self) -> ChatRepository:
        """The ChatRepository of this backend."""
        ...

    @property
    def search(self) -> SearchStore:
        """The SearchStore of this backend."""
        ...

    @property
    def follows(self) -> FollowStore:
        """The FollowStore of this backend."""
        ...

    @property
    def daily(self) -> DailySchedule:
        """The DailySchedule of this backend."""
        ...

    @property
    def options(self) -> SubscriptionOptionStore:
        """The SubscriptionOptionStore of this backend (filters, intervals)."""
        ...

    @property
    def stats(self) -> StatsStore:
        """The StatsStore of this backend (`/stats`)."""
        ...

    @property
    def answers(self) -> AnswerCache:
        """The AnswerCache of this backend (optional model summaries, `bot.llm`)."""
        ...

    @property
    def gauges(self) -> GaugeSource:
        """The GaugeSource of this backend (/metrics gauges, /healthz ping)."""
        ...

    async def open(self) -> None:
        """Connect and bring the schema to the latest version."""
        ...

    async def close(self) -> None:
        """Release the connection (idempotent)."""
        ...

    async def integrity_ok(self) -> bool:
        """Return True when the backend's own consistency check passes."""
        ...

    async def __aenter__(self) -> Store: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
