"""Model answers: `AnswerCache`, `CachedAnswer` and its statuses, so that an entry's model call is made once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

# What became of an entry's one model call (bot.llm).
USED = "used"
REJECTED = "rejected"
FAILED = "failed"


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """One model call for one entry: its outcome, the model's text, and why it was not used."""

    status: str  # USED, REJECTED or FAILED
    summary: str
    detail: str
    model: str
    called_at: datetime


class AnswerCache(Protocol):
    """The model's answers, one per entry, kept with the entry so that it is never asked twice.

    An answer is stored as soon as it arrives, before the digest, so a restart, a crash between
    the two or a re-poll never leads to a second call; today's count seeds the daily budget.
    """

    async def get(self, entry_id: int) -> CachedAnswer | None:
        """Return the answer stored for an entry, if a call was made for it."""
        ...

    async def put(self, entry_id: int, answer: CachedAnswer) -> None:
        """Store an entry's answer (the first one wins: an entry is asked once)."""
        ...

    async def calls_since(self, since: datetime) -> int:
        """Count the calls made since `since` (the daily budget after a restart)."""
        ...
