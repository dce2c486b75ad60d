"""The outbox: `Outbox`, `DeliveryJob` and the default delivery lease, all that dispatch needs to send."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.models import ChatRecord, Reply
from digests.model import Digest

# How long a delivery claimed without an explicit lease stays claimed (its sender renews it).
DELIVERY_LEASE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    """One outbox row claimed for sending: a digest (instant, follow) or a message (daily, notice)."""

    id: int
    chat: ChatRecord
    digest_id: int | None
    digest: Digest | None
    kind: str
    note: str | None
    attempts: int
    message: Reply | None = None


class Outbox(Protocol):
    """Deliveries waiting, being sent and sent: every message but a command's reply."""

    async def queue(self, chat_id: int, digest_id: int, *, kind: str = "instant", note: str | None = None) -> bool:
        """Queue one digest for one chat unless it was already queued; return True if queued."""
        ...

    async def queue_daily(self, chat_id: int, replies: Sequence[Reply], *, key: str, due: datetime) -> int:
        """Queue a chat's daily digest and record `due` as handled, atomically; return how many.

        `key` names the chat's day; a day already queued is not queued again.
        """
        ...

    async def claim(
        self,
        now: datetime,
        limit: int = 200,
        *,
        owner: str = "veille",
        until: datetime | None = None,
        platforms: Collection[str] | None = None,
    ) -> list[DeliveryJob]:
        """Claim due pending deliveries of active chats for sending and return them, oldest first.

        A claimed job is leased to `owner` until `until` (default: `DELIVERY_LEASE` from `now`)
        and stays claimed until marked; a claim whose lease expired (its holder died) is taken
        over, and `requeue_interrupted` releases at once the claims a previous run of the same
        owner left (the one case where a chat may get a message twice). `platforms` limits the
        claim to chats of those platforms (a process serving only some of them).
        """
        ...

    async def renew_leases(self, owner: str, until: datetime) -> int:
        """Extend every delivery lease `owner` holds to `until`; return how many."""
        ...

    async def mark_sent(self, delivery_id: int) -> None:
        """Record that the platform confirmed the message."""
        ...

    async def mark_retry(
        self, delivery_id: int, *, error: str, next_attempt_at: datetime, count_attempt: bool = True
    ) -> None:
        """Put a delivery back in the queue for a later attempt."""
        ...

    async def mark_failed(self, delivery_id: int, error: str) -> None:
        """Give up on a delivery."""
        ...

    async def requeue_interrupted(self, owner: str | None = None) -> int:
        """Put claimed deliveries a crash left unmarked back in the queue; return how many.

        With `owner`, only that owner's claims (its previous run's: other processes' claims are
        theirs to finish); without, every claim (a single process, at start).
        """
        ...

    async def pending_count(self) -> int:
        """Return how many deliveries wait (pending or claimed)."""
        ...
