"""The repository contract, part two: feeds, entries and digests, the outbox, chats.

Each test drives `bot.store.protocols` repositories by their protocol names on every backend
of `BACKENDS` (SQLite on a real file, PostgreSQL on a real server in a schema of its own), so
the two stay interchangeable behind `Store`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from bot.models import ChatRecord, Entry, FeedRecord, Reply, utcnow
from bot.store.postgres import PostgresStore
from bot.store.protocols import (
    ChatRepository,
    EntryRepository,
    FeedRepository,
    Outbox,
    PollFailure,
    PollRecord,
    PollSuccess,
    Transaction,
)
from bot.store.sqlite import SqliteStore
from digests.model import Digest
from tests.bot.store.test_store_contract import BACKENDS
from tests.support.newsroom import make_digest
from tests.support.postgres import fresh_schema


@dataclass
class Repos:
    """The four repositories under test, on one backend."""

    feeds: FeedRepository
    entries: EntryRepository
    outbox: Outbox
    chats: ChatRepository

    async def feed(self, name: str) -> FeedRecord:
        feed, _ = await self.feeds.add(f"https://{name}.example.test/rss", name)
        return feed

    async def chat(self, name: str, *feeds: FeedRecord, mode: str = "instant") -> ChatRecord:
        chat = await self.chats.upsert("console", name, name)
        if mode != "instant":
            await self.chats.update(chat.id, mode=mode)
        for feed in feeds:
            await self.chats.subscribe(chat.id, feed.id)
        return chat

    async def publish(self, feed: FeedRecord, digest: Digest) -> int:
        (entry_id,) = await self.entries.add(feed.id, [Entry(uid=digest.url, url=digest.url, title=digest.title)])
        return await self.entries.store_digest(entry_id, digest)


@pytest.fixture(params=BACKENDS)
async def repos(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Repos]:
    """The repositories of a fresh, migrated store of the backend named by the parameter."""
    if request.param == "postgres":
        async with fresh_schema(request.getfixturevalue("postgres_server_url")) as url, PostgresStore(url) as store:
            yield Repos(store.feeds, store.entries, store.outbox, store.chats)
        return
    assert request.param == "sqlite"
    async with SqliteStore(tmp_path / "contract.db") as sqlite:
        yield Repos(sqlite.feeds, sqlite.entries, sqlite.outbox, sqlite.chats)


LATER = timedelta(minutes=30)

# -- FeedRepository ------------------------------------------------------------------------------


async def test_feeds_are_added_once_per_url_and_found_by_id_and_url(repos: Repos) -> None:
    feed, created = await repos.feeds.add("https://a.example.test/rss", "Alpha")
    again, created_again = await repos.feeds.add("https://a.example.test/rss", "Other title")
    assert created and not created_again and again == feed
    assert feed.title == "Alpha" and feed.status == "active" and feed.consecutive_errors == 0
    assert await repos.feeds.get(feed.id) == feed
    assert await repos.feeds.by_url("https://a.example.test/rss") == feed
    assert await repos.feeds.get(999_999) is None and await repos.feeds.by_url("https://nope.test/") is None


async def test_due_feeds_are_the_active_subscribed_ones_whose_time_has_come_by_id(repos: Repos) -> None:
    now = utcnow()
    alone, paused, quiet, due = [await repos.feed(n) for n in ("alone", "paused", "quiet", "due")]
    gone_chat = await repos.chat("gone", alone)
    await repos.chats.set_active(gone_chat.id, False)
    await repos.chat("reader", paused, quiet, due)
    await repos.feeds.set_status(paused.id, "paused")
    await repos.feeds.record_polls([PollRecord(quiet.id, PollSuccess(now + LATER, '"v1"', None), now)])

    assert [f.id for f in await repos.feeds.polled()] == [quiet.id, due.id]
    assert [f.id for f in await repos.feeds.due(now)] == [due.id]
    assert [f.id for f in await repos.feeds.due(now + LATER)] == [quiet.id, due.id]
    await repos.feeds.make_all_due()
    assert [f.id for f in await repos.feeds.due(now)] == [quiet.id, due.id]


async def test_polls_record_validators_and_error_streaks_and_resuming_clears_them(repos: Repos) -> None:
    now = utcnow()
    feed = await repos.feed("alpha")
    validators = PollSuccess(now + LATER, '"v1"', "Tue, 01 Dec 2026 10:00:00 GMT", "Alpha News", "h1")
    await repos.feeds.record_polls([PollRecord(feed.id, validators, now)])
    polled = await repos.feeds.get(feed.id)
    assert polled is not None
    assert (polled.etag, polled.last_modified, polled.title, polled.body_hash) == (
        '"v1"',
        "Tue, 01 Dec 2026 10:00:00 GMT",
        "Alpha News",
        "h1",
    )
    assert polled.next_poll_at == (now + LATER).replace(microsecond=0)

    await repos.feeds.record_polls([PollRecord(feed.id, PollFailure("timeout", now + 2 * LATER), now)])
    failing = await repos.feeds.record_poll_error(feed.id, error="HTTP 500", next_poll_at=now + 3 * LATER)
    assert failing.consecutive_errors == 2 and failing.last_error == "HTTP 500"
    assert failing.first_error_at == now.replace(microsecond=0) and failing.etag == '"v1"'

    await repos.feeds.record_polls([PollRecord(feed.id, PollSuccess(now + LATER, '"v2"', None, ""), now)])
    healed = await repos.feeds.get(feed.id)
    assert healed is not None
    assert (healed.consecutive_errors, healed.last_error, healed.first_error_at) == (0, None, None)
    assert healed.title == "Alpha News" and healed.body_hash == "h1"  # an empty title and no hash keep them

    await repos.feeds.record_poll_error(feed.id, error="HTTP 500", next_poll_at=now + LATER)
    await repos.feeds.set_status(feed.id, "paused")
    await repos.feeds.set_status(feed.id, "active")
    resumed = await repos.feeds.get(feed.id)
    assert resumed is not None and resumed.status == "active" and resumed.consecutive_errors == 0


async def test_stopping_a_feed_tells_each_active_subscriber_once(repos: Repos) -> None:
    feed = await repos.feed("alpha")
    await repos.chat("one", feed)
    await repos.chat("two", feed)
    blocked = await repos.chat("blocked", feed)
    await repos.chats.set_active(blocked.id, False)

    assert await repos.feeds.stop(feed.id, "gone", notice="Ce flux a disparu.") == 2
    assert await repos.feeds.stop(feed.id, "gone", notice="Ce flux a disparu.") == 0
    stopped = await repos.feeds.get(feed.id)
    assert stopped is not None and stopped.status == "gone"
    jobs = await repos.outbox.claim(utcnow())
    assert [(j.kind, j.message) for j in jobs] == [("notice", Reply("Ce flux a disparu."))] * 2


async def test_a_moved_feed_takes_its_new_url_unless_another_feed_has_it(repos: Repos) -> None:
    old, taken = await repos.feed("old"), await repos.feed("taken")
    await repos.feeds.move(old.id, "https://new.example.test/rss")
    assert (await repos.feeds.by_url("https://new.example.test/rss")) == await repos.feeds.get(old.id)
    await repos.feeds.move(old.id, taken.url)
    moved = await repos.feeds.get(old.id)
    assert moved is not None and moved.url == "https://new.example.test/rss"


# -- EntryRepository -----------------------------------------------------------------------------


async def test_new_entries_are_stored_once_and_only_the_newest_are_queued_for_a_digest(repos: Repos) -> None:
    now = utcnow()
    feed = await repos.feed("alpha")
    entries = [Entry(uid=f"u{n}", url=f"https://a.test/{n}", title=f"T{n}", published=now - timedelta(hours=n))
               for n in range(3)]
    poll = PollSuccess(now + LATER, '"v1"', None, body_hash="h1")

    queued = await repos.entries.add(feed.id, entries, digest_limit=2, poll=poll)
    assert len(queued) == 2
    pending = await repos.entries.pending()
    assert [p.id for p in pending] == sorted(queued)
    assert {p.entry.uid for p in pending} == {"u0", "u1"}  # the newest two; u2 is only seen
    assert pending[0].feed_title == "alpha" and pending[0].feed_url == feed.url
    stored = await repos.feeds.get(feed.id)
    assert stored is not None and stored.etag == '"v1"' and stored.body_hash == "h1"  # with the entries

    assert await repos.entries.add(feed.id, entries) == []  # known uids
    await repos.entries.mark_failed(queued[0], "no text")
    assert [p.id for p in await repos.entries.pending()] == queued[1:]


async def test_a_digest_is_stored_once_and_queued_for_instant_chats_only(repos: Repos) -> None:
    feed = await repos.feed("alpha")
    instant = await repos.chat("instant", feed)
    both = await repos.chat("both", feed, mode="both")
    await repos.chat("daily", feed, mode="quotidien")
    digest = make_digest("La CNIL sanctionne un hébergeur", "Une amende record.")
    (entry_id,) = await repos.entries.add(feed.id, [Entry(uid="u1", url=digest.url, title=digest.title)])

    digest_id = await repos.entries.store_digest(entry_id, digest)
    assert await repos.entries.store_digest(entry_id, digest) == digest_id
    assert await repos.entries.digest(digest_id) == digest
    assert await repos.entries.digest(999_999) is None
    assert await repos.entries.latest_digest_id(feed.id) == digest_id
    assert await repos.entries.pending() == []
    jobs = await repos.outbox.claim(utcnow())
    assert sorted(j.chat.id for j in jobs) == [instant.id, both.id]
    assert all(j.digest == digest and j.digest_id == digest_id and j.kind == "instant" for j in jobs)


async def test_a_story_already_sent_from_another_feed_is_not_sent_again(repos: Repos) -> None:
    alpha, beta = await repos.feed("alpha"), await repos.feed("beta")
    reader = await repos.chat("reader", alpha, beta)
    title, summary = "La CNIL inflige une amende record à Hébergeurs Réunis", "Sanction pour manquements au RGPD."
    await repos.publish(alpha, make_digest(title, summary, actors=[("CNIL",), ("Hébergeurs Réunis",)]))
    await repos.publish(beta, make_digest(title, summary, actors=[("CNIL",), ("Hébergeurs Réunis",)]))
    assert [j.chat.id for j in await repos.outbox.claim(utcnow())] == [reader.id]


async def test_a_failing_queue_hook_is_logged_and_the_digest_still_lands_with_its_deliveries(repos: Repos) -> None:
    feed = await repos.feed("alpha")
    reader = await repos.chat("reader", feed)

    async def broken(tx: Transaction, digest_id: int, digest: Digest) -> int:
        raise RuntimeError("a feature's bug")

    digest = make_digest("Titre")
    (entry_id,) = await repos.entries.add(feed.id, [Entry(uid="u1", url=digest.url, title=digest.title)])
    digest_id = await repos.entries.store_digest(entry_id, digest, also=[broken])
    assert await repos.entries.digest(digest_id) == digest and await repos.entries.pending() == []
    assert [j.chat.id for j in await repos.outbox.claim(utcnow())] == [reader.id]


# -- Outbox --------------------------------------------------------------------------------------


async def test_claimed_deliveries_are_sent_retried_or_failed_and_counted(repos: Repos) -> None:
    now = utcnow()
    feed = await repos.feed("alpha")
    one, two, three = [await repos.chat(n, feed) for n in ("one", "two", "three")]
    digest_id = await repos.publish(feed, make_digest("Titre"))
    assert await repos.outbox.pending_count() == 3

    first = await repos.outbox.claim(now, limit=2)
    assert [j.chat.id for j in first] == [one.id, two.id] and all(j.attempts == 0 for j in first)
    rest = await repos.outbox.claim(now)
    assert [j.chat.id for j in rest] == [three.id]  # claimed rows are not claimed again
    assert await repos.outbox.claim(now) == []

    await repos.outbox.mark_sent(first[0].id)
    await repos.outbox.mark_retry(first[1].id, error="429", next_attempt_at=now + LATER)
    await repos.outbox.mark_failed(rest[0].id, "403 blocked")
    assert await repos.outbox.pending_count() == 1
    assert await repos.outbox.claim(now) == []
    retried = await repos.outbox.claim(now + LATER)
    assert [(j.chat.id, j.attempts, j.digest_id) for j in retried] == [(two.id, 1, digest_id)]

    assert await repos.outbox.requeue_interrupted() == 1  # left 'sending' by a crash
    assert [j.id for j in await repos.outbox.claim(now + LATER)] == [retried[0].id]
    assert not await repos.outbox.queue(two.id, digest_id)  # already in the outbox
    assert await repos.outbox.queue((await repos.chat("four")).id, digest_id, kind="follow", note="Suivi : CNIL")


async def test_two_claims_at_once_never_take_the_same_delivery(repos: Repos) -> None:
    feed = await repos.feed("alpha")
    for n in range(20):
        await repos.chat(f"chat{n}", feed)
    await repos.publish(feed, make_digest("Titre"))
    now = utcnow()
    batches = await asyncio.gather(*(repos.outbox.claim(now, limit=7) for _ in range(4)))
    ids = [j.id for batch in batches for j in batch]
    assert len(ids) == 20 and len(set(ids)) == 20


async def test_a_days_digest_is_queued_once_and_its_occurrence_recorded(repos: Repos) -> None:
    chat = await repos.chat("one")
    now = utcnow()
    replies = [Reply("Votre veille du jour (1/2)"), Reply("Votre veille du jour (2/2)")]
    assert await repos.outbox.queue_daily(chat.id, replies, key="daily:2026-12-01", due=now) == 2
    assert await repos.outbox.queue_daily(chat.id, replies, key="daily:2026-12-01", due=now) == 0
    jobs = await repos.outbox.claim(now)
    assert [(j.kind, j.message, j.digest) for j in jobs] == [("daily", r, None) for r in replies]


# -- ChatRepository ------------------------------------------------------------------------------


async def test_chats_are_created_on_first_contact_and_keep_a_title_until_given_another(repos: Repos) -> None:
    chat = await repos.chats.upsert("telegram", "-100", "Rédaction")
    assert (chat.platform, chat.external_id, chat.title, chat.mode, chat.active) == (
        "telegram",
        "-100",
        "Rédaction",
        "instant",
        True,
    )
    assert (await repos.chats.upsert("telegram", "-100")).title == "Rédaction"
    assert (await repos.chats.upsert("telegram", "-100", "Desk")).id == chat.id
    assert (await repos.chats.get("telegram", "-100")) == await repos.chats.by_id(chat.id)
    assert await repos.chats.get("discord", "-100") is None and await repos.chats.by_id(999_999) is None

    await repos.chats.update(chat.id, timezone="Europe/Brussels", daily_time="07:30", mode="both")
    updated = await repos.chats.by_id(chat.id)
    assert updated is not None and (updated.timezone, updated.daily_time, updated.mode) == (
        "Europe/Brussels",
        "07:30",
        "both",
    )
    with pytest.raises(ValueError, match="unknown chat fields"):
        await repos.chats.update(chat.id, active="0")


async def test_a_chat_deactivated_drops_its_queue_and_a_moved_chat_keeps_its_subscriptions(repos: Repos) -> None:
    feed = await repos.feed("alpha")
    chat = await repos.chat("old-id", feed)
    await repos.publish(feed, make_digest("Titre"))
    assert await repos.chats.set_active(chat.id, False)
    assert not await repos.chats.set_active(chat.id, False)
    assert await repos.outbox.pending_count() == 0
    assert await repos.chats.set_active(chat.id, True)

    await repos.chats.move("console", "old-id", "new-id")
    moved = await repos.chats.get("console", "new-id")
    assert moved is not None and moved.id == chat.id
    assert [f.id for f in await repos.chats.subscriptions(chat.id)] == [feed.id]
    other = await repos.chat("other")
    await repos.chats.move("console", "other", "new-id")  # taken: nothing moves
    assert (await repos.chats.by_id(other.id)) == other


async def test_subscriptions_are_listed_in_the_order_added_and_removed_once(repos: Repos) -> None:
    beta, alpha = await repos.feed("beta"), await repos.feed("alpha")
    chat, other = await repos.chat("one"), await repos.chat("two")
    assert await repos.chats.subscribe(chat.id, beta.id)
    assert await repos.chats.subscribe(chat.id, alpha.id)
    assert not await repos.chats.subscribe(chat.id, beta.id)
    await repos.chats.subscribe(other.id, alpha.id)
    assert [f.id for f in await repos.chats.subscriptions(chat.id)] == [beta.id, alpha.id]
    assert [c.id for c in await repos.chats.subscribers(alpha.id)] == [chat.id, other.id]
    assert await repos.chats.unsubscribe(chat.id, beta.id)
    assert not await repos.chats.unsubscribe(chat.id, beta.id)
    assert [f.id for f in await repos.chats.subscriptions(chat.id)] == [alpha.id]
