"""Entries and digests: `EntryRepository` and `PendingEntry`, the digest pipeline's side of storage."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.models import Entry
from bot.store.protocols.feeds import PollSuccess
from bot.store.protocols.transaction import QueueHook
from digests.model import Digest


@dataclass(frozen=True, slots=True)
class PendingEntry:
    """An entry waiting for its digest, with what the pipeline needs to make it."""

    id: int
    feed_id: int
    feed_title: str
    feed_url: str
    entry: Entry


class EntryRepository(Protocol):
    """The feeds' entries and their digests; a digest is stored with its deliveries, atomically."""

    async def add(
        self,
        feed_id: int,
        entries: Iterable[Entry],
        *,
        digest_limit: int | None = None,
        poll: PollSuccess | None = None,
    ) -> list[int]:
        """Insert entries not seen before (one transaction); return the ids queued for a digest.

        Of the new entries only the newest `digest_limit` are queued; the others are recorded
        as seen. `poll` (the answer's validators, next poll) lands in the same transaction.
        """
        ...

    async def pending(self, limit: int = 50) -> list[PendingEntry]:
        """Return entries still waiting for a digest, oldest first (also after a crash)."""
        ...

    async def claim_pending(self, now: datetime, *, owner: str, until: datetime, limit: int) -> list[PendingEntry]:
        """Lease up to `limit` entries waiting for a digest to `owner` until `until`, oldest first.

        Skipped: entries another live lease holds; one whose holder died is taken over once
        its lease expires. Storing the digest (or `mark_failed`) ends the entry's wait.
        """
        ...

    async def renew_leases(self, owner: str, until: datetime) -> int:
        """Extend every entry lease `owner` holds to `until`; return how many."""
        ...

    async def release_leases(self, owner: str) -> int:
        """Give back every entry lease `owner` holds."""
        ...

    async def mark_failed(self, entry_id: int, error: str) -> None:
        """Give up on an entry whose digest cannot be made (logged by the caller)."""
        ...

    async def store_digest(self, entry_id: int, digest: Digest, *, also: Sequence[QueueHook] = ()) -> int:
        """Store a digest, join it to a story and queue one delivery per subscribed chat, atomically.

        Chats in `quotidien` mode get it only through the daily digest; a chat already sent the
        story from another feed in the story window is not sent it again. The entry leaves the
        pending state in the same transaction. Each of `also` queues its own deliveries in that
        transaction; one that raises is logged and undone, the digest still lands.
        """
        ...

    async def latest_digest_id(self, feed_id: int) -> int | None:
        """Return the id of the feed's newest digest, or None."""
        ...

    async def digest(self, digest_id: int) -> Digest | None:
        """Return a stored digest, or None."""
        ...
