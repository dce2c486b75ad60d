"""Follows: `FollowStore` and its rows, the follow alerts queued in a digest's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.store.protocols.transaction import Transaction


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
