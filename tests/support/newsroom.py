"""Builders for feature tests: invented digests stored through the real storage and hooks.

Constructing `Digest` objects skips the NLP engine (slow to load) while exercising everything
after it: `store_digest` (stories, dedupe, outbox), then the core's digest hooks (search
index, follow alerts), exactly as the pipeline calls them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime

from bot.app import Veille
from bot.models import ChatRecord, Entry, FeedRecord
from digests.model import Actor, Digest, LegalItem

_uids = itertools.count(1)


def make_digest(
    title: str,
    summary: str = "",
    *,
    source: str = "Le Journal du Droit (test)",
    actors: Sequence[tuple[str, ...]] = (),
    legal: Sequence[tuple[str, str]] = (),
    published: datetime | None = None,
    url: str = "",
) -> Digest:
    """Build a digest; `actors` are (name, *aliases), `legal` are (kind, text) pairs."""
    number = next(_uids)
    return Digest(
        title=title,
        url=url or f"https://example.test/articles/{number}",
        published=published,
        source=source,
        summary=summary,
        actors=tuple(Actor(a[0], "organisation", "autre", aliases=tuple(a[1:])) for a in actors),
        legal=tuple(LegalItem(kind, text) for kind, text in legal),
        text=f"{title}\n{summary}",
    )


async def add_feed(app: Veille, name: str) -> FeedRecord:
    """Store a feed named `name` (no network: its URL is never polled in these tests)."""
    feed, _ = await app.storage.feeds.add(f"https://{name}.example.test/rss", name)
    return feed


async def subscribe(app: Veille, chat: ChatRecord, *feeds: FeedRecord) -> None:
    """Subscribe a chat to feeds, in order (their /abonnements numbers follow that order)."""
    for feed in feeds:
        await app.storage.chats.subscribe(chat.id, feed.id)


async def add_entry(app: Veille, feed: FeedRecord, digest: Digest) -> int:
    """Store a new entry of `feed` that `digest` will be the digest of; return its id."""
    entry = Entry(uid=f"uid-{next(_uids)}", url=digest.url, title=digest.title, published=digest.published)
    (entry_id,) = await app.storage.entries.add(feed.id, [entry])
    return entry_id


async def publish(app: Veille, feed: FeedRecord, digest: Digest) -> int:
    """Store `digest` as the digest of a new entry of `feed`, as the pipeline does (hooks included)."""
    return await app.pipeline.store_digest(await add_entry(app, feed, digest), digest)
