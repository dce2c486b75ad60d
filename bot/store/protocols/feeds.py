"""Feeds: `FeedRepository` and the poll results it records, the poller's whole contract with storage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.models import FeedRecord


@dataclass(frozen=True, slots=True)
class PollSuccess:
    """What a good answer changes on its feed: validators, next poll time, the feed's title.

    `body_hash` (None: keep the stored one) is the fingerprint of the body whose entries are
    stored in the same transaction, so a body is only skipped once its entries are safe.
    """

    next_poll_at: datetime
    etag: str | None
    last_modified: str | None
    title: str | None = None
    body_hash: str | None = None
    hint_seconds: int | None = None  # the feed's polling hint read from this answer (0: none); None: keep


@dataclass(frozen=True, slots=True)
class PollFailure:
    """What a failed answer changes on its feed: one more consecutive error, a later poll."""

    error: str
    next_poll_at: datetime


@dataclass(frozen=True, slots=True)
class PollRecord:
    """One poll's result waiting to be written with others (`FeedRepository.record_polls`)."""

    feed_id: int
    result: PollSuccess | PollFailure
    polled_at: datetime


class FeedRepository(Protocol):
    """The feeds, their polling bookkeeping (validators, errors, next poll) and their status."""

    async def add(self, url: str, title: str = "") -> tuple[FeedRecord, bool]:
        """Insert the feed if its URL is new; return it and whether it was created."""
        ...

    async def get(self, feed_id: int) -> FeedRecord | None:
        """Return the feed with this id, or None."""
        ...

    async def by_url(self, url: str) -> FeedRecord | None:
        """Return the feed with this URL, or None."""
        ...

    async def polled(self) -> list[FeedRecord]:
        """Return active feeds that at least one active chat subscribes to, by id."""
        ...

    async def due(self, now: datetime) -> list[FeedRecord]:
        """Return polled feeds whose next poll time has come (or was never set), by id."""
        ...

    async def claim_due(self, now: datetime, *, owner: str, until: datetime, limit: int) -> list[FeedRecord]:
        """Lease up to `limit` due feeds to `owner` until `until` and return them, by id.

        Skipped: feeds another live lease holds. Recording the poll's result (`record_polls`,
        `EntryRepository.add(poll=...)`, `record_poll_error`) releases the lease, so a feed is
        fetched by one process per cycle; an expired lease (its holder died) is taken over.
        """
        ...

    async def renew_leases(self, owner: str, until: datetime) -> int:
        """Extend every feed lease `owner` holds to `until`; return how many."""
        ...

    async def release_leases(self, owner: str) -> int:
        """Give back every feed lease `owner` holds (a clean stop, or its own restart)."""
        ...

    async def record_polls(self, polls: Sequence[PollRecord]) -> None:
        """Write many polls' results (304s without entries, errors) in one transaction.

        A 200 with entries never goes through here: its validators land with its entries
        (`EntryRepository.add(..., poll=...)`).
        """
        ...

    async def record_poll_error(self, feed_id: int, *, error: str, next_poll_at: datetime) -> FeedRecord:
        """Count one more consecutive error and push the next poll back; return the new state."""
        ...

    async def make_all_due(self) -> None:
        """Make every feed due at the next poll (the demo polls at once after publishing)."""
        ...

    async def set_status(self, feed_id: int, status: str) -> None:
        """Set a feed active, paused or gone; resuming also clears the error streak."""
        ...

    async def stop(self, feed_id: int, status: str, *, notice: str) -> int:
        """Pause a feed or mark it gone, and queue `notice` for each active subscriber, atomically.

        Only a real change of status queues the notice; return how many notices were queued.
        """
        ...

    async def move(self, feed_id: int, new_url: str) -> None:
        """Follow a permanent redirect: store the new URL unless another feed already has it."""
        ...
