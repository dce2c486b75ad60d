"""The repository contract: each `bot.store.protocols` repository, driven through its protocol.

Every test takes `backend`, parametrised over the storage backends (SQLite on a real file
today), so a new backend passes the same tests before any feature uses it. Seeding (feeds,
chats, entries, digests) goes through `Storage`, which is not behind a protocol yet.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.models import ChatRecord, Entry, FeedRecord, utcnow
from bot.store.protocols import (
    AlertTarget,
    DailySchedule,
    Follow,
    FollowStore,
    Query,
    SearchStore,
    StoredDigest,
    Transaction,
)
from bot.store.sqlite import SqliteStore
from digests.model import Digest
from tests.support.newsroom import make_digest

BACKENDS = ["sqlite"]


@dataclass
class Backend:
    """One backend's repositories, plus what the contract needs to seed and to open a transaction."""

    storage: SqliteStore
    search: SearchStore
    follows: FollowStore
    daily: DailySchedule
    transaction: Callable[[], AbstractAsyncContextManager[Transaction]]

    async def feed(self, name: str) -> FeedRecord:
        feed, _ = await self.storage.feeds.add(f"https://{name}.example.test/rss", name)
        return feed

    async def chat(self, name: str, *feeds: FeedRecord) -> ChatRecord:
        chat = await self.storage.chats.upsert("console", name, name)
        for feed in feeds:
            await self.storage.chats.subscribe(chat.id, feed.id)
        return chat

    async def store(self, feed: FeedRecord, digest: Digest) -> int:
        """Store a digest of a new entry of `feed` (not indexed, no hooks)."""
        entry = Entry(uid=f"{digest.url}#uid", url=digest.url, title=digest.title, published=digest.published)
        (entry_id,) = await self.storage.entries.add(feed.id, [entry])
        return await self.storage.entries.store_digest(entry_id, digest)


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """A fresh, migrated store of the backend named by the parameter."""
    assert request.param == "sqlite"
    async with SqliteStore(tmp_path / "contract.db") as storage:
        yield Backend(
            storage,
            storage.search,
            storage.follows,
            storage.daily,
            storage.connection.transaction,
        )


DAY = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
DAY_SPAN = timedelta(hours=48)

# -- SearchStore ---------------------------------------------------------------------------------


async def test_search_indexes_a_digest_once_and_lists_only_the_unindexed(backend: Backend) -> None:
    feed = await backend.feed("alpha")
    first = await backend.store(feed, make_digest("La CNIL sanctionne un hébergeur", published=DAY))
    second = await backend.store(feed, make_digest("Un tribunal juge un escroc", published=DAY))
    assert await backend.search.feed_of_digest(first) == feed.id
    assert await backend.search.feed_of_digest(999_999) is None

    missing = await backend.search.unindexed(10)
    assert [d.digest_id for d in missing] == [first, second]
    assert missing[0].feed_id == feed.id and missing[0].digest.title == "La CNIL sanctionne un hébergeur"

    assert await backend.search.index(missing[:1], now=DAY) == 1
    assert await backend.search.index(missing, now=DAY) == 1  # the first is already indexed
    assert await backend.search.unindexed(10) == []
    assert await backend.search.index([], now=DAY) == 0


async def _indexed(backend: Backend, feed: FeedRecord, digest: Digest) -> int:
    digest_id = await backend.store(feed, digest)
    await backend.search.index([StoredDigest(digest_id, feed.id, digest)], now=DAY)
    return digest_id


async def test_search_ranks_matches_filters_by_feed_and_date_and_pages(backend: Backend) -> None:
    alpha, beta = await backend.feed("alpha"), await backend.feed("beta")
    old = await _indexed(backend, alpha, make_digest("Amende pour un hébergeur", published=DAY - timedelta(days=30)))
    new = await _indexed(backend, beta, make_digest("Amende pour un transporteur", published=DAY))
    other = await _indexed(backend, alpha, make_digest("Procès d'un escroc à Lyon", published=DAY))

    ranked = await backend.search.rank(Query(words=("amendes",)), feed_id=None, now=DAY, limit=10, offset=0)
    assert [r.digest_id for r in ranked] == [new, old]  # same words: the fresher ranks first
    assert ranked[0].published == DAY

    in_beta = await backend.search.rank(Query(words=("amende",)), feed_id=beta.id, now=DAY, limit=10, offset=0)
    assert [r.digest_id for r in in_beta] == [new]
    recent = Query(words=("amende",), since=DAY - timedelta(days=7))
    assert [r.digest_id for r in await backend.search.rank(recent, feed_id=None, now=DAY, limit=10, offset=0)] == [new]

    # No terms: filters only, newest first, then paged by limit and offset.
    dated = Query(since=DAY - timedelta(days=60))
    everything = await backend.search.rank(dated, feed_id=None, now=DAY, limit=10, offset=0)
    assert {r.digest_id for r in everything} == {old, new, other}
    assert everything[-1].digest_id == old
    second_page = await backend.search.rank(dated, feed_id=None, now=DAY, limit=2, offset=2)
    assert [r.digest_id for r in second_page] == [old]
    phrase = Query(phrases=("escroc à Lyon",))
    assert [r.digest_id for r in await backend.search.rank(phrase, feed_id=None, now=DAY, limit=10, offset=0)] == [
        other
    ]


async def test_search_reads_digests_back_and_names_every_outlet_of_a_story(backend: Backend) -> None:
    alpha, beta = await backend.feed("alpha"), await backend.feed("beta")
    story = ("La CNIL inflige une amende record à Hébergeurs Réunis", "Sanction pour manquements au RGPD.")
    mine = await _indexed(
        backend, alpha, make_digest(*story, source="", actors=[("CNIL",), ("Hébergeurs Réunis",)], published=DAY)
    )
    theirs = await _indexed(
        backend, beta, make_digest(*story, source="Le Quotidien", actors=[("CNIL",), ("Hébergeurs Réunis",)])
    )

    read = await backend.search.digests([mine, theirs, 999_999])
    assert set(read) == {mine, theirs} and read[theirs].source == "Le Quotidien"
    assert await backend.search.digests([]) == {}

    outlets = await backend.search.story_outlets([mine])
    assert [(o.hit_id, o.source or o.feed_title) for o in outlets] == [(mine, "alpha"), (mine, "Le Quotidien")]
    assert outlets[0].feed_url == alpha.url
    assert await backend.search.story_outlets([]) == []


async def test_search_keeps_a_query_per_chat_and_forgets_old_ones(backend: Backend) -> None:
    one, two = await backend.chat("one"), await backend.chat("two")
    await backend.search.save_query("abc12", one.id, "cnil depuis:7j", now=DAY, forget_before=DAY - timedelta(days=1))
    assert await backend.search.saved_query("abc12", one.id) == "cnil depuis:7j"
    assert await backend.search.saved_query("abc12", two.id) is None  # another chat's token
    later = DAY + timedelta(days=2)
    await backend.search.save_query("zz999", two.id, "rgpd", now=later, forget_before=later - timedelta(days=1))
    assert await backend.search.saved_query("abc12", one.id) is None
    assert await backend.search.saved_query("zz999", two.id) == "rgpd"


# -- FollowStore ---------------------------------------------------------------------------------


async def test_follows_are_added_once_per_normalised_term_listed_in_order_and_removed(backend: Backend) -> None:
    chat = await backend.chat("one")
    assert await backend.follows.count(chat.id) == 0
    assert await backend.follows.add(chat.id, "CNIL", "cnil", now=DAY)
    assert await backend.follows.add(chat.id, "Société Générale", "societe generale", now=DAY)
    assert not await backend.follows.add(chat.id, "cnil", "cnil", now=DAY)
    follows = await backend.follows.of_chat(chat.id)
    assert [f.term for f in follows] == ["CNIL", "Société Générale"]
    assert all(isinstance(f, Follow) for f in follows)
    assert await backend.follows.count(chat.id) == 2

    await backend.follows.remove(follows[0].follow_id)
    assert [f.term for f in await backend.follows.of_chat(chat.id)] == ["Société Générale"]
    assert await backend.follows.of_chat((await backend.chat("two")).id) == []


async def test_follow_alerts_skip_subscribers_and_inactive_chats_and_queue_once(backend: Backend) -> None:
    feed = await backend.feed("alpha")
    subscriber = await backend.chat("subscriber", feed)
    follower = await backend.chat("follower")
    gone = await backend.chat("gone")
    for chat in (subscriber, follower, gone):
        await backend.follows.add(chat.id, "CNIL", "cnil", now=DAY)
    await backend.follows.add(follower.id, "RGPD", "rgpd", now=DAY)
    await backend.storage.chats.set_active(gone.id, False)
    digest_id = await backend.store(feed, make_digest("La CNIL et le RGPD"))

    async with backend.transaction() as tx:
        assert sorted(await backend.follows.followed_norms(tx)) == ["cnil", "rgpd"]
        targets = await backend.follows.alert_targets(tx, digest_id, ["cnil", "rgpd"], since=utcnow() - DAY_SPAN)
        assert targets == [AlertTarget(follower.id, "CNIL"), AlertTarget(follower.id, "RGPD")]
        assert await backend.follows.alert_targets(tx, digest_id, [], since=utcnow()) == []
        assert await backend.follows.queue_alert(tx, follower.id, digest_id, "Suivi : CNIL", now=utcnow())
        assert not await backend.follows.queue_alert(tx, follower.id, digest_id, "Suivi : CNIL", now=utcnow())
    assert await backend.storage.outbox.pending_count() == 2  # the subscriber's instant one, the alert


# -- DailySchedule -------------------------------------------------------------------------------


async def test_daily_lists_chats_that_want_a_daily_digest_and_remembers_the_last_occurrence(
    backend: Backend,
) -> None:
    daily, both, instant, off = [await backend.chat(n) for n in ("daily", "both", "instant", "off")]
    await backend.storage.chats.update(daily.id, daily_time="08:00", mode="quotidien")
    await backend.storage.chats.update(both.id, daily_time="07:30", mode="both")
    await backend.storage.chats.update(instant.id, daily_time="08:00", mode="instant")
    await backend.storage.chats.update(off.id, daily_time="08:00", mode="quotidien")
    await backend.storage.chats.set_active(off.id, False)
    assert sorted(await backend.daily.daily_chat_ids()) == sorted([daily.id, both.id])

    assert await backend.daily.last_due(daily.id) is None
    await backend.daily.mark_due(daily.id, DAY)
    await backend.daily.mark_due(daily.id, DAY + timedelta(days=1))
    assert await backend.daily.last_due(daily.id) == DAY + timedelta(days=1)
    assert await backend.daily.last_due(both.id) is None


async def test_daily_returns_the_digests_of_the_chats_feeds_in_the_window_with_their_story(
    backend: Backend,
) -> None:
    mine, other = await backend.feed("alpha"), await backend.feed("beta")
    chat = await backend.chat("one", mine)
    before = utcnow()
    first = make_digest("Une affaire jugée", published=DAY)
    await backend.store(mine, first)
    await backend.store(other, make_digest("Ailleurs, une autre affaire"))
    await backend.store(mine, make_digest("Un second article sur un autre sujet"))
    after = utcnow() + timedelta(seconds=1)

    items = await backend.daily.digests_between(chat.id, before - timedelta(seconds=1), after)
    assert [i.digest.title for i in items] == ["Une affaire jugée", "Un second article sur un autre sujet"]
    assert items[0].digest == first and items[0].feed_title == "alpha"
    assert items[0].created_at is not None and before - timedelta(seconds=1) <= items[0].created_at <= after
    assert items[0].story_id != items[1].story_id
    assert await backend.daily.digests_between(chat.id, after, after + timedelta(hours=1)) == []
