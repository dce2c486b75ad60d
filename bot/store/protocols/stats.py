"""Statistics: `StatsStore` and its snapshot, the operator's `/stats` figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


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
