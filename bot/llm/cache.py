"""What the summarizer remembers of each model call: one answer per entry, kept with the digest.

Why: a call costs money or CPU time, and a restart or a re-poll must never ask twice for the
same entry. The answer (used, rejected or failed) is stored as soon as it arrives, before the
digest is, so even a crash between the two does not lead to a second call. The calls stored
today also seed the daily budget at start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

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
    """Where answers are kept: `bot.store.sqlite.llm.SqliteAnswerCache` in the bot."""

    async def get(self, entry_id: int) -> CachedAnswer | None:
        """Return the answer stored for an entry, if a call was made for it."""
        ...

    async def put(self, entry_id: int, answer: CachedAnswer) -> None:
        """Store an entry's answer (the first one wins: an entry is asked once)."""
        ...

    async def calls_since(self, since: datetime) -> int:
        """Count the calls made since `since` (the daily budget after a restart)."""
        ...
