"""Search: `SearchStore`, the parsed `Query` and the rows a result page is built from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from digests.model import Digest


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
