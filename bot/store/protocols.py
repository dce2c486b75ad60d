"""The repositories the core uses, one per aggregate, typed with domain dataclasses.

Why protocols: a feature names what it needs ("the digests of a chat's feeds in this window"),
the backend decides how (SQLite FTS5 today). Nothing here returns a driver row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from digests.model import Digest

# The backend's open transaction, handed to a hook that must write inside it (a follow alert
# is queued in the transaction storing its digest). Opaque to the core: only passed back.
Transaction = Any


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed search: words, exact phrases and actors (as typed), and the filters."""

    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    since: datetime | None = None
    feed_number: int | None = None
    text: str = field(default="", compare=False)

    @property
    def has_terms(self) -> bool:
        """Say whether the query needs the full-text index (else it only filters by date/feed)."""
        return bool(self.words or self.phrases or self.actors)


@dataclass(frozen=True, slots=True)
class StoredDigest:
    """A digest as stored: its id, the feed its entry came from (None if gone), the digest."""

    digest_id: int
    feed_id: int | None
    digest: Digest


@dataclass(frozen=True, slots=True)
class RankedDigest:
    """One digest of a result page, in rank order, with the date it is filed under."""

    digest_id: int
    published: datetime


@dataclass(frozen=True, slots=True)
class StoryOutlet:
    """One digest telling a hit's story, and how its outlet may be named (first non-empty)."""

    hit_id: int
    source: str | None
    feed_title: str | None
    feed_url: str | None


class SearchStore(Protocol):
    """The full-text index of digests, its ranking, and the saved queries of paged searches."""

    async def feed_of_digest(self, digest_id: int) -> int | None:
        """Return the feed a stored digest's entry came from, or None."""
        ...

    async def index(self, digests: Sequence[StoredDigest], *, now: datetime) -> int:
        """Index digests not indexed yet, in one transaction; return how many were added."""
        ...

    async def unindexed(self, limit: int) -> list[StoredDigest]:
        """Return up to `limit` stored digests missing from the index, oldest first."""
        ...

    async def rank(
        self, query: Query, *, feed_id: int | None, now: datetime, limit: int, offset: int
    ) -> list[RankedDigest]:
        """Return one page of matching digests, best first, one per story."""
        ...

    async def story_outlets(self, digest_ids: Sequence[int]) -> list[StoryOutlet]:
        """Return, for each hit, the digests of its story: the hit's own first, then by id."""
        ...

    async def digests(self, digest_ids: Sequence[int]) -> dict[int, Digest]:
        """Return the stored digests by id (missing ids are left out)."""
        ...

    async def save_query(self, token: str, chat_id: int, text: str, *, now: datetime, forget_before: datetime) -> None:
        """Keep a query under a token for its next pages, and forget queries saved before the cut."""
        ...

    async def saved_query(self, token: str, chat_id: int) -> str | None:
        """Return the query saved under a token for this chat, or None when gone."""
        ...


@dataclass(frozen=True, slots=True)
class Follow:
    """One followed actor or keyword of a chat, as typed."""

    follow_id: int
    term: str


@dataclass(frozen=True, slots=True)
class AlertTarget:
    """A chat to alert about a digest, and one of its follows that matched."""

    chat_id: int
    term: str


class FollowStore(Protocol):
    """The chats' follows, and the follow alerts queued in a digest's transaction."""

    async def count(self, chat_id: int) -> int:
        """Return how many follows a chat has."""
        ...

    async def add(self, chat_id: int, term: str, norm: str, *, now: datetime) -> bool:
        """Add a follow; return False when the chat already follows that normalised term."""
        ...

    async def remove(self, follow_id: int) -> None:
        """Drop one follow."""
        ...

    async def of_chat(self, chat_id: int) -> list[Follow]:
        """Return a chat's follows in the order they were added."""
        ...

    async def followed_norms(self, tx: Transaction) -> list[str]:
        """Return every distinct normalised term followed by any chat."""
        ...

    async def alert_targets(
        self, tx: Transaction, digest_id: int, norms: Sequence[str], *, since: datetime
    ) -> list[AlertTarget]:
        """Return the active chats following one of `norms`, by chat then follow order.

        Left out: chats subscribed to the digest's feed, and chats sent the digest's story
        (pending, sending or sent) since `since`.
        """
        ...

    async def queue_alert(self, tx: Transaction, chat_id: int, digest_id: int, note: str, *, now: datetime) -> bool:
        """Queue one follow alert in the outbox; return False when the chat already has this digest."""
        ...


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


@dataclass(frozen=True, slots=True)
class FailedReason:
    """Failed deliveries sharing one reason: how many, and when the last was queued."""

    reason: str
    count: int
    last: datetime | None


@dataclass(frozen=True, slots=True)
class StatsSnapshot:
    """What `/stats` reports from storage: feeds, chats, the outbox, digests, since a cut-off."""

    feeds: dict[str, int]  # active, backing_off (active with errors), paused, gone
    chats: dict[str, int]  # active and inactive chats by platform: "telegram", "telegram:inactive"
    deliveries: dict[str, int]  # deliveries queued since the cut-off, by state
    outbox: int  # pending or sending, whenever queued
    failures: tuple[FailedReason, ...]  # failed since the cut-off, commonest reason first
    digests: int  # digests made since the cut-off


class StatsStore(Protocol):
    """The operator's figures (`/stats`)."""

    async def snapshot(self, since: datetime) -> StatsSnapshot:
        """Count feeds, chats and the outbox now, and deliveries, failures and digests since `since`."""
        ...
