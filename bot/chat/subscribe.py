"""Subscribe a chat to a feed from whatever address a user typed (feed URL or site URL)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import structlog

from bot.errors import FeedParseError, FetchError, InputError
from bot.feeds.fetch import Fetcher
from bot.feeds.parse import find_feed_links, parse_feed
from bot.feeds.pipeline import Pipeline
from bot.feeds.urls import normalize_url
from bot.models import ChatRecord, FeedRecord, ParsedFeed
from bot.store.protocols import Store

log = structlog.get_logger(__name__)

MAX_SUBSCRIPTIONS_PER_CHAT = 200


@dataclass(frozen=True, slots=True)
class Subscribed:
    """Result of a subscription: the feed, and whether the bot had never polled it before."""

    feed: FeedRecord
    new_feed: bool


class SubscriptionService:
    """Find the feed behind an address, store it, and queue the newest item for the chat."""

    def __init__(
        self, storage: Store, fetcher: Fetcher, pipeline: Pipeline, *, on_subscribed: Callable[[], None] | None = None
    ) -> None:
        self.storage = storage
        self.fetcher = fetcher
        self.pipeline = pipeline
        # Called once a subscription has queued its first item, so that the core digests and
        # sends it now: a user who just typed /abonner should not wait for the next tick.
        self.on_subscribed = on_subscribed

    async def subscribe(self, chat: ChatRecord, raw_url: str) -> Subscribed:
        """Subscribe `chat` to the feed at (or linked from) `raw_url`.

        Raises `InputError` / `FetchError` / `FeedParseError` with a French message; nothing
        is stored unless the feed was fetched and parsed.
        """
        url = normalize_url(raw_url)
        existing = await self.storage.feeds.by_url(url)
        if existing is None:
            count = len(await self.storage.chats.subscriptions(chat.id))
            if count >= MAX_SUBSCRIPTIONS_PER_CHAT:
                raise InputError(
                    "subscription limit reached",
                    french=f"Limite atteinte : {MAX_SUBSCRIPTIONS_PER_CHAT} abonnements par discussion.",
                )
            url, parsed = await self.discover(url)
            existing = await self.storage.feeds.by_url(url)
        else:
            parsed = None
        if existing is not None:
            if not await self.storage.chats.subscribe(chat.id, existing.id):
                raise InputError(
                    "already subscribed", french=f"Cette discussion est déjà abonnée à {existing.url}."
                )
            latest = await self.storage.entries.latest_digest_id(existing.id)
            if latest is not None:
                await self.storage.outbox.queue(chat.id, latest)
                self._wake()
            return Subscribed(existing, new_feed=False)
        assert parsed is not None
        feed, _ = await self.storage.feeds.add(url, parsed.title)
        await self.storage.chats.subscribe(chat.id, feed.id)
        await self.pipeline.store_entries(feed, parsed, first_poll=True)
        log.info("feed.subscribed", feed_id=feed.id, chat_id=chat.id, entries=len(parsed.entries))
        self._wake()
        return Subscribed(feed, new_feed=True)

    def _wake(self) -> None:
        if self.on_subscribed is not None:
            self.on_subscribed()

    async def discover(self, url: str) -> tuple[str, ParsedFeed]:
        """Return the feed URL and its parsed content: the URL itself, or a page's feed link."""
        result = await self.fetcher.fetch(url)
        try:
            return result.url, parse_feed(result.body, url=result.url, content_type=result.content_type)
        except FeedParseError:
            links = find_feed_links(result.body, result.url)
            if not links:
                raise FeedParseError(
                    f"no feed at {url}",
                    french="Aucun flux trouvé à cette adresse (ni RSS, ni Atom, ni lien vers un flux).",
                ) from None
        last_error: Exception | None = None
        for link in links[:3]:
            try:
                feed_url = normalize_url(link)
                found = await self.fetcher.fetch(feed_url)
                return found.url, parse_feed(found.body, url=found.url, content_type=found.content_type)
            except (FetchError, FeedParseError, InputError) as exc:
                last_error = exc
        raise FeedParseError(
            f"feed links of {url} unusable: {last_error}",
            french="Le site annonce un flux, mais il est illisible.",
        )
