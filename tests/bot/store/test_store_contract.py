"""The repository contract: each `bot.store.protocols` repository, driven through its protocol.

Every test takes `backend`, parametrised over the storage backends (SQLite on a real file,
PostgreSQL on a real server in a schema of its own), so a backend passes the same tests before
any feature uses it. Everything, seeding included, goes through `bot.store.protocols.Store`;
only the fixture knows the backend.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.models import ChatRecord, Entry, FeedRecord, Reply, utcnow
from bot.store.postgres import PostgresStore
from bot.store.protocols import (
    FAILED,
    REJECTED,
    USED,
    AlertTarget,
    CachedAnswer,
    DailySchedule,
    Follow,
    FollowStore,
    PollFailure,
    PollRecord,
    PollSuccess,
    Query,
    SearchStore,
    Store,
    StoredDigest,
    Transaction,
)
from bot.store.sqlite import SqliteStore
from digests.model import Digest
from tests.support.newsroom import make_digest
from tests.support.postgres import fresh_schema

BACKENDS = ["sqlite", "postgres"]


@dataclass
class Backend:
    """One backend's repositories, plus what the contract needs to seed and to open a transaction."""

    storage: Store
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
    if request.param == "postgres":
        server_url = request.getfixturevalue("postgres_server_url")
        async with fresh_schema(server_url) as url, PostgresStore(url) as store:
            yield Backend(store, store.search, store.follows, store.daily, store.database.transaction)
        return
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


async def test_search_meets_inflections_and_accents_and_keeps_actors_and_phrases_in_their_field(
    backend: Backend,
) -> None:
    feed = await backend.feed("alpha")
    convicted = await _indexed(backend, feed, make_digest("Trois dirigeants condamnés à Lyon", published=DAY))
    named = await _indexed(backend, feed, make_digest("Un hébergeur épinglé", "La CNIL enquête.", published=DAY))
    actor = await _indexed(backend, feed, make_digest("Une sanction", actors=[("CNIL",)], published=DAY))
    opened = await _indexed(backend, feed, make_digest("Une enquête ouverte", "Fraude massive", published=DAY))

    async def found(query: Query) -> list[int]:
        return [r.digest_id for r in await backend.search.rank(query, feed_id=None, now=DAY, limit=10, offset=0)]

    assert await found(Query(words=("condamnee",))) == [convicted]
    assert await found(Query(words=("HEBERGEUR", "epingle"))) == [named]
    assert await found(Query(actors=("cnil",))) == [actor]
    assert set(await found(Query(words=("cnil",)))) == {named, actor}
    assert await found(Query(phrases=("enquête ouverte",))) == [opened]
    assert await found(Query(phrases=("ouverte fraude",))) == []  # title, then summary: no phrase
    # Stop words are bot.french's alone: a name PostgreSQL's own French list holds is still found.
    club = await _indexed(backend, feed, make_digest("L'AS Monaco soit condamnée", published=DAY))
    assert await found(Query(words=("AS",))) == [club]
    assert await found(Query(phrases=("AS Monaco soit",))) == [club]


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


# -- FeedRepository ------------------------------------------------------------------------------


async def test_feeds_are_added_once_per_url_and_found_by_id_and_url(backend: Backend) -> None:
    feed, created = await backend.storage.feeds.add("https://alpha.example.test/rss", "Alpha")
    again, created_again = await backend.storage.feeds.add("https://alpha.example.test/rss", "Autre titre")
    assert created and not created_again and again == feed
    assert feed.title == "Alpha" and feed.status == "active" and feed.consecutive_errors == 0
    assert await backend.storage.feeds.get(feed.id) == feed
    assert await backend.storage.feeds.by_url("https://alpha.example.test/rss") == feed
    assert await backend.storage.feeds.get(999_999) is None
    assert await backend.storage.feeds.by_url("https://nowhere.example.test/rss") is None


async def test_only_active_feeds_of_active_chats_are_polled_and_due_once_their_time_comes(backend: Backend) -> None:
    feeds = backend.storage.feeds
    read, lonely, paused, of_gone_chat = [await backend.feed(n) for n in ("read", "lonely", "paused", "orphan")]
    await backend.chat("reader", read, paused)
    gone = await backend.chat("gone", of_gone_chat)
    await backend.storage.chats.set_active(gone.id, False)
    await feeds.set_status(paused.id, "paused")
    now = utcnow() + timedelta(seconds=1)
    assert [f.id for f in await feeds.polled()] == [read.id]
    assert [f.id for f in await feeds.due(now)] == [read.id]  # a new feed is due at once
    assert lonely.id not in [f.id for f in await feeds.due(now)]

    later = now + timedelta(minutes=30)
    await feeds.record_polls([PollRecord(read.id, PollSuccess(later, '"v1"', None), now)])
    assert await feeds.due(now) == []
    assert [f.id for f in await feeds.due(later)] == [read.id]
    await feeds.make_all_due()
    assert [f.id for f in await feeds.due(now)] == [read.id]


async def test_a_poll_batch_records_validators_and_errors_and_a_success_clears_the_streak(backend: Backend) -> None:
    feeds = backend.storage.feeds
    good, bad = await backend.feed("good"), await backend.feed("bad")
    now = utcnow()
    later = now + timedelta(hours=1)
    await feeds.record_polls(
        [
            PollRecord(good.id, PollSuccess(later, '"e1"', "Mon, 30 Nov 2026 08:00:00 GMT", "Bon titre", "h1"), now),
            PollRecord(bad.id, PollFailure("HTTP 500", later), now),
        ]
    )
    polled = await feeds.get(good.id)
    assert polled is not None
    assert (polled.etag, polled.last_modified, polled.title, polled.body_hash) == (
        '"e1"',
        "Mon, 30 Nov 2026 08:00:00 GMT",
        "Bon titre",
        "h1",
    )
    assert polled.next_poll_at is not None and abs(polled.next_poll_at - later) < timedelta(seconds=1)
    # an empty title and no body hash keep what is stored
    await feeds.record_polls([PollRecord(good.id, PollSuccess(later, '"e2"', None), now)])
    kept = await feeds.get(good.id)
    assert kept is not None and (kept.etag, kept.title, kept.body_hash) == ('"e2"', "Bon titre", "h1")

    failing = await feeds.get(bad.id)
    assert failing is not None and failing.consecutive_errors == 1 and failing.last_error == "HTTP 500"
    first_error = failing.first_error_at
    assert first_error is not None
    again = await feeds.record_poll_error(bad.id, error="HTTP 503", next_poll_at=later)
    assert again.consecutive_errors == 2 and again.last_error == "HTTP 503" and again.first_error_at == first_error
    await feeds.record_polls([PollRecord(bad.id, PollSuccess(later, None, None), now)])
    healed = await feeds.get(bad.id)
    assert healed is not None
    assert (healed.consecutive_errors, healed.last_error, healed.first_error_at) == (0, None, None)
    await feeds.record_polls([])  # nothing to write is fine


async def test_resuming_a_feed_clears_its_error_streak_and_makes_it_due(backend: Backend) -> None:
    feeds = backend.storage.feeds
    feed = await backend.feed("alpha")
    await backend.chat("reader", feed)
    far = utcnow() + timedelta(days=1)
    await feeds.record_poll_error(feed.id, error="HTTP 500", next_poll_at=far)
    await feeds.set_status(feed.id, "paused")
    paused = await feeds.get(feed.id)
    assert paused is not None and paused.status == "paused" and paused.consecutive_errors == 1
    await feeds.set_status(feed.id, "active")
    resumed = await feeds.get(feed.id)
    assert resumed is not None and resumed.status == "active"
    assert (resumed.consecutive_errors, resumed.first_error_at) == (0, None)
    assert [f.id for f in await feeds.due(utcnow() + timedelta(seconds=1))] == [feed.id]


async def test_stopping_a_feed_tells_each_active_subscriber_once(backend: Backend) -> None:
    feed = await backend.feed("alpha")
    one, two = await backend.chat("one", feed), await backend.chat("two", feed)
    asleep = await backend.chat("asleep", feed)
    await backend.storage.chats.set_active(asleep.id, False)
    assert await backend.storage.feeds.stop(feed.id, "paused", notice="Le flux est en pause.") == 2
    assert await backend.storage.feeds.stop(feed.id, "paused", notice="Le flux est en pause.") == 0
    stopped = await backend.storage.feeds.get(feed.id)
    assert stopped is not None and stopped.status == "paused"
    assert await backend.storage.feeds.polled() == []

    jobs = await backend.storage.outbox.claim(utcnow() + timedelta(seconds=1))
    assert sorted(j.chat.id for j in jobs) == sorted([one.id, two.id])
    assert {(j.kind, j.digest_id, j.message.text if j.message else None) for j in jobs} == {
        ("notice", None, "Le flux est en pause.")
    }
    assert await backend.storage.feeds.stop(feed.id, "gone", notice="Le flux n'existe plus.") == 2


async def test_a_moved_feed_takes_its_new_url_unless_another_feed_has_it(backend: Backend) -> None:
    alpha, beta = await backend.feed("alpha"), await backend.feed("beta")
    await backend.storage.feeds.move(alpha.id, "https://alpha.example.test/nouveau")
    moved = await backend.storage.feeds.get(alpha.id)
    assert moved is not None and moved.url == "https://alpha.example.test/nouveau"
    await backend.storage.feeds.move(alpha.id, beta.url)
    kept = await backend.storage.feeds.get(alpha.id)
    assert kept is not None and kept.url == "https://alpha.example.test/nouveau"


# -- EntryRepository -----------------------------------------------------------------------------


def _entry(uid: str, title: str, published: datetime | None, **fields: str) -> Entry:
    return Entry(uid=uid, url=f"https://alpha.example.test/{uid}", title=title, published=published, **fields)


async def test_entries_are_stored_once_and_only_the_newest_wait_for_a_digest(backend: Backend) -> None:
    feed = await backend.feed("alpha")
    entries = [
        _entry("old", "Ancien", DAY - timedelta(days=2)),
        _entry("new", "Récent", DAY, summary="Le chapô", content="<p>Le texte</p>"),
        _entry("mid", "Moyen", DAY - timedelta(days=1)),
    ]
    queued = await backend.storage.entries.add(feed.id, entries, digest_limit=1)
    assert len(queued) == 1
    pending = await backend.storage.entries.pending()
    assert [p.id for p in pending] == queued
    assert pending[0].feed_id == feed.id and pending[0].feed_title == "alpha" and pending[0].feed_url == feed.url
    assert pending[0].entry == entries[1]
    assert await backend.storage.entries.add(feed.id, entries) == []  # all three are known
    more = await backend.storage.entries.add(feed.id, [*entries, _entry("x", "Suivant", None)])
    assert len(more) == 1 and [p.entry.uid for p in await backend.storage.entries.pending()] == ["new", "x"]
    assert len(await backend.storage.entries.pending(limit=1)) == 1


async def test_entries_land_with_their_polls_validators_even_when_none_is_new(backend: Backend) -> None:
    feed = await backend.feed("alpha")
    later = utcnow() + timedelta(hours=1)
    poll = PollSuccess(later, '"e1"', None, "Alpha renommé", "h1")
    assert await backend.storage.entries.add(feed.id, [_entry("a", "Un", DAY)], poll=poll) != []
    stored = await backend.storage.feeds.get(feed.id)
    assert stored is not None and (stored.etag, stored.title, stored.body_hash) == ('"e1"', "Alpha renommé", "h1")
    assert await backend.storage.entries.add(feed.id, [], poll=PollSuccess(later, '"e2"', None)) == []
    again = await backend.storage.feeds.get(feed.id)
    assert again is not None and again.etag == '"e2"'


async def test_a_failed_entry_no_longer_waits(backend: Backend) -> None:
    feed = await backend.feed("alpha")
    (entry_id,) = await backend.storage.entries.add(feed.id, [_entry("a", "Un", DAY)])
    await backend.storage.entries.mark_failed(entry_id, "ValueError('illisible')")
    assert await backend.storage.entries.pending() == []


async def test_a_digest_is_stored_once_with_one_delivery_per_instant_chat(backend: Backend) -> None:
    feed = await backend.feed("alpha")
    instant, both = await backend.chat("instant", feed), await backend.chat("both", feed)
    daily, asleep = await backend.chat("daily", feed), await backend.chat("asleep", feed)
    await backend.storage.chats.update(both.id, mode="both")
    await backend.storage.chats.update(daily.id, mode="quotidien", daily_time="08:00")
    await backend.storage.chats.set_active(asleep.id, False)
    (entry_id,) = await backend.storage.entries.add(feed.id, [_entry("a", "Un", DAY)])
    digest = make_digest("La CNIL sanctionne un hébergeur", published=DAY)

    digest_id = await backend.storage.entries.store_digest(entry_id, digest)
    assert await backend.storage.entries.store_digest(entry_id, digest) == digest_id
    assert await backend.storage.entries.pending() == []
    assert await backend.storage.entries.digest(digest_id) == digest
    assert await backend.storage.entries.digest(999_999) is None
    assert await backend.storage.entries.latest_digest_id(feed.id) == digest_id
    jobs = await backend.storage.outbox.claim(utcnow() + timedelta(seconds=1))
    assert sorted(j.chat.id for j in jobs) == sorted([instant.id, both.id])
    assert all(j.kind == "instant" and j.digest == digest and j.digest_id == digest_id for j in jobs)


async def test_the_newest_digest_of_a_feed_is_the_newest_published(backend: Backend) -> None:
    feed = await backend.feed("alpha")
    assert await backend.storage.entries.latest_digest_id(feed.id) is None
    newer = await backend.store(feed, make_digest("Récent", published=DAY))
    await backend.store(feed, make_digest("Ancien", published=DAY - timedelta(days=3)))
    assert await backend.storage.entries.latest_digest_id(feed.id) == newer


async def test_a_story_already_sent_from_another_feed_is_not_queued_again(backend: Backend) -> None:
    alpha, beta = await backend.feed("alpha"), await backend.feed("beta")
    both = await backend.chat("both", alpha, beta)
    only_beta = await backend.chat("beta-only", beta)
    await backend.store(alpha, make_digest("La CNIL sanctionne Assurix", "Une amende record."))
    await backend.store(beta, make_digest("La CNIL sanctionne Assurix", "Une amende record."))
    jobs = await backend.storage.outbox.claim(utcnow() + timedelta(seconds=1))
    assert sorted(j.chat.id for j in jobs) == sorted([both.id, only_beta.id])


async def test_queue_hooks_write_in_the_digests_transaction_and_a_failing_one_is_undone(backend: Backend) -> None:
    feed = await backend.feed("alpha")
    follower, other = await backend.chat("follower"), await backend.chat("other")
    (entry_id,) = await backend.storage.entries.add(feed.id, [_entry("a", "Un", DAY)])

    async def alert(tx: Transaction, digest_id: int, digest: Digest) -> int:
        return int(await backend.follows.queue_alert(tx, follower.id, digest_id, "Suivi : CNIL", now=utcnow()))

    async def half_then_raise(tx: Transaction, digest_id: int, digest: Digest) -> int:
        await backend.follows.queue_alert(tx, other.id, digest_id, "x", now=utcnow())
        raise RuntimeError("a feature's bug")

    digest_id = await backend.storage.entries.store_digest(entry_id, make_digest("CNIL"), also=(half_then_raise, alert))
    assert await backend.storage.entries.digest(digest_id) is not None
    jobs = await backend.storage.outbox.claim(utcnow() + timedelta(seconds=1))
    assert [(j.chat.id, j.kind, j.note) for j in jobs] == [(follower.id, "follow", "Suivi : CNIL")]


# -- Outbox --------------------------------------------------------------------------------------


async def _digest_for(backend: Backend, *chats: ChatRecord) -> int:
    """Store a digest of a feed nobody follows, then queue it for `chats` by hand."""
    digest_id = await backend.store(await backend.feed(f"f{len(chats)}-{utcnow().timestamp()}"), make_digest("Un"))
    for chat in chats:
        assert await backend.storage.outbox.queue(chat.id, digest_id)
    return digest_id


async def test_a_delivery_is_queued_once_per_chat_and_counted_until_sent(backend: Backend) -> None:
    chat = await backend.chat("one")
    digest_id = await _digest_for(backend, chat)
    assert not await backend.storage.outbox.queue(chat.id, digest_id)
    assert not await backend.storage.outbox.queue(chat.id, digest_id, kind="follow", note="Suivi : CNIL")
    assert await backend.storage.outbox.pending_count() == 1
    (job,) = await backend.storage.outbox.claim(utcnow() + timedelta(seconds=1))
    assert (job.chat, job.digest_id, job.kind, job.note, job.attempts, job.message) == (
        chat,
        digest_id,
        "instant",
        None,
        0,
        None,
    )
    assert await backend.storage.outbox.pending_count() == 1  # claimed still waits
    await backend.storage.outbox.mark_sent(job.id)
    assert await backend.storage.outbox.pending_count() == 0
    assert await backend.storage.outbox.claim(utcnow() + timedelta(days=1)) == []


async def test_claims_take_due_jobs_of_active_chats_oldest_first_up_to_the_limit_and_once(backend: Backend) -> None:
    one, two, asleep = await backend.chat("one"), await backend.chat("two"), await backend.chat("asleep")
    first = await _digest_for(backend, one, two)
    second = await _digest_for(backend, one)
    await backend.storage.outbox.queue(asleep.id, second)
    await backend.storage.chats.update(asleep.id, title="asleep")  # still active until deactivated
    await backend.storage.chats.set_active(asleep.id, False)
    now = utcnow() + timedelta(seconds=1)
    assert await backend.storage.outbox.claim(now - timedelta(minutes=5)) == []  # queued after that time

    claimed = await backend.storage.outbox.claim(now, limit=2)
    assert [(j.chat.id, j.digest_id) for j in claimed] == [(one.id, first), (two.id, first)]
    rest = await backend.storage.outbox.claim(now)
    assert [(j.chat.id, j.digest_id) for j in rest] == [(one.id, second)]
    assert await backend.storage.outbox.claim(now) == []


async def test_two_claims_at_once_never_take_the_same_delivery(backend: Backend) -> None:
    feed = await backend.feed("alpha")
    for n in range(20):
        await backend.chat(f"chat{n}", feed)
    await backend.store(feed, make_digest("Titre"))
    now = utcnow()
    batches = await asyncio.gather(*(backend.storage.outbox.claim(now, limit=7) for _ in range(4)))
    ids = [j.id for batch in batches for j in batch]
    assert len(ids) == 20 and len(set(ids)) == 20  # on PostgreSQL, FOR UPDATE SKIP LOCKED


async def test_a_retry_waits_its_time_and_counts_its_attempt_unless_told_not_to(backend: Backend) -> None:
    chat = await backend.chat("one")
    await _digest_for(backend, chat)
    now = utcnow() + timedelta(seconds=1)
    (job,) = await backend.storage.outbox.claim(now)
    later = now + timedelta(minutes=10)
    await backend.storage.outbox.mark_retry(job.id, error="HTTP 502", next_attempt_at=later)
    assert await backend.storage.outbox.claim(now) == []
    (again,) = await backend.storage.outbox.claim(later)
    assert again.id == job.id and again.attempts == 1
    await backend.storage.outbox.mark_retry(again.id, error="pacing", next_attempt_at=later, count_attempt=False)
    (third,) = await backend.storage.outbox.claim(later)
    assert third.attempts == 1


async def test_a_failed_delivery_is_never_claimed_again(backend: Backend) -> None:
    chat = await backend.chat("one")
    await _digest_for(backend, chat)
    (job,) = await backend.storage.outbox.claim(utcnow() + timedelta(seconds=1))
    await backend.storage.outbox.mark_failed(job.id, "Forbidden: bot was blocked")
    assert await backend.storage.outbox.pending_count() == 0
    assert await backend.storage.outbox.claim(utcnow() + timedelta(days=1)) == []


async def test_claims_a_crash_left_are_put_back_once(backend: Backend) -> None:
    chat = await backend.chat("one")
    await _digest_for(backend, chat)
    await _digest_for(backend, chat)
    now = utcnow() + timedelta(seconds=1)
    claimed = await backend.storage.outbox.claim(now)
    await backend.storage.outbox.mark_sent(claimed[0].id)
    assert await backend.storage.outbox.requeue_interrupted() == 1
    assert await backend.storage.outbox.requeue_interrupted() == 0
    assert [j.id for j in await backend.storage.outbox.claim(now)] == [claimed[1].id]


async def test_a_daily_digest_is_queued_once_per_day_and_marks_its_occurrence(backend: Backend) -> None:
    chat = await backend.chat("one")
    replies = [Reply("Votre digest du 20 novembre : 2 affaires"), Reply("La suite")]
    assert await backend.storage.outbox.queue_daily(chat.id, replies, key="daily:2026-11-20", due=DAY) == 2
    assert await backend.daily.last_due(chat.id) == DAY
    again = DAY + timedelta(minutes=1)
    assert await backend.storage.outbox.queue_daily(chat.id, replies, key="daily:2026-11-20", due=again) == 0
    assert await backend.daily.last_due(chat.id) == again
    jobs = await backend.storage.outbox.claim(utcnow() + timedelta(seconds=1))
    assert [(j.kind, j.message, j.digest) for j in jobs] == [("daily", replies[0], None), ("daily", replies[1], None)]


# -- ChatRepository ------------------------------------------------------------------------------


async def test_a_chat_is_created_on_first_contact_and_its_title_refreshed_only_when_given(backend: Backend) -> None:
    chats = backend.storage.chats
    chat = await chats.upsert("telegram", "-100", "Rédaction")
    assert (chat.platform, chat.external_id, chat.title, chat.mode, chat.active) == (
        "telegram",
        "-100",
        "Rédaction",
        "instant",
        True,
    )
    assert await chats.upsert("telegram", "-100") == chat
    renamed = await chats.upsert("telegram", "-100", "Rédaction web")
    assert renamed.id == chat.id and renamed.title == "Rédaction web"
    assert await chats.get("telegram", "-100") == renamed
    assert await chats.by_id(chat.id) == renamed
    assert await chats.get("discord", "-100") is None
    assert await chats.by_id(999_999) is None


async def test_deactivating_a_chat_drops_its_queue_and_keeps_its_subscriptions(backend: Backend) -> None:
    feed = await backend.feed("alpha")
    chat = await backend.chat("one", feed)
    await backend.store(feed, make_digest("Un"))
    assert await backend.storage.outbox.pending_count() == 1
    assert await backend.storage.chats.set_active(chat.id, False)
    assert not await backend.storage.chats.set_active(chat.id, False)
    assert await backend.storage.outbox.pending_count() == 0
    assert [f.id for f in await backend.storage.chats.subscriptions(chat.id)] == [feed.id]
    assert await backend.storage.chats.set_active(chat.id, True)
    back = await backend.storage.chats.by_id(chat.id)
    assert back is not None and back.active
    assert await backend.storage.outbox.claim(utcnow() + timedelta(seconds=1)) == []  # dropped, not paused


async def test_a_migrated_chat_keeps_its_settings_unless_the_new_id_is_taken(backend: Backend) -> None:
    chats = backend.storage.chats
    feed = await backend.feed("alpha")
    chat = await chats.upsert("telegram", "-1", "Groupe")
    await chats.subscribe(chat.id, feed.id)
    await chats.update(chat.id, timezone="America/Montreal")
    await chats.move("telegram", "-1", "-1001")
    moved = await chats.get("telegram", "-1001")
    assert moved is not None and moved.id == chat.id and moved.timezone == "America/Montreal"
    assert await chats.get("telegram", "-1") is None
    assert [f.id for f in await chats.subscriptions(chat.id)] == [feed.id]
    taken = await chats.upsert("telegram", "-2")
    await chats.move("telegram", "-1001", "-2")
    assert await chats.get("telegram", "-1001") == moved and await chats.get("telegram", "-2") == taken


async def test_chat_settings_change_by_name_and_an_unknown_name_is_refused(backend: Backend) -> None:
    chats = backend.storage.chats
    chat = await backend.chat("one")
    await chats.update(chat.id, timezone="Europe/Brussels", daily_time="07:45", mode="both", title="Un")
    changed = await chats.by_id(chat.id)
    assert changed is not None
    settings = (changed.timezone, changed.daily_time, changed.mode, changed.title)
    assert settings == ("Europe/Brussels", "07:45", "both", "Un")
    await chats.update(chat.id, daily_time=None)
    cleared = await chats.by_id(chat.id)
    assert cleared is not None and cleared.daily_time is None and cleared.mode == "both"
    await chats.update(chat.id)  # nothing to change
    with pytest.raises(ValueError, match="unknown chat fields"):
        await chats.update(chat.id, active="0")


async def test_subscriptions_are_kept_once_and_listed_in_the_order_added(backend: Backend) -> None:
    # Added in feed order: the listing is the same whether same-second ties go by feed or not.
    chats = backend.storage.chats
    alpha, beta, gamma = [await backend.feed(n) for n in ("alpha", "beta", "gamma")]
    one, two = await backend.chat("one"), await backend.chat("two")
    for feed in (alpha, beta, gamma):
        assert await chats.subscribe(one.id, feed.id)
    assert not await chats.subscribe(one.id, alpha.id)
    await chats.subscribe(two.id, alpha.id)
    assert [f.id for f in await chats.subscriptions(one.id)] == [alpha.id, beta.id, gamma.id]
    assert [c.id for c in await chats.subscribers(alpha.id)] == [one.id, two.id]
    assert await chats.unsubscribe(one.id, alpha.id)
    assert not await chats.unsubscribe(one.id, alpha.id)
    assert [f.id for f in await chats.subscriptions(one.id)] == [beta.id, gamma.id]
    assert [c.id for c in await chats.subscribers(alpha.id)] == [two.id]
    assert await chats.subscriptions((await backend.chat("three")).id) == []


# -- leases: several processes on one store ------------------------------------------------------
#
# Two stores opened on the same database stand for two processes (two pollers, or a poller and a
# chat process): each has its own connection, as separate processes would.


@dataclass
class Pair:
    """Two stores of one backend on the same database: process A and process B."""

    a: Store
    b: Store


@asynccontextmanager
async def _sqlite_pair(tmp_path: Path) -> AsyncIterator[Pair]:
    async with SqliteStore(tmp_path / "shared.db") as a, SqliteStore(tmp_path / "shared.db") as b:
        yield Pair(a, b)


@pytest.fixture(params=BACKENDS)
async def pair(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Pair]:
    """Two stores of the backend named by the parameter, sharing one fresh database."""
    if request.param == "postgres":
        server_url = request.getfixturevalue("postgres_server_url")
        async with fresh_schema(server_url) as url, PostgresStore(url) as a, PostgresStore(url) as b:
            yield Pair(a, b)
        return
    assert request.param == "sqlite"
    async with _sqlite_pair(tmp_path) as stores:
        yield stores


NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


async def _due_feeds(store: Store, count: int) -> list[FeedRecord]:
    """Add `count` feeds a chat subscribes to, all due at NOW (never polled)."""
    chat = await store.chats.upsert("console", "lecteur")
    feeds = []
    for n in range(count):
        feed, _ = await store.feeds.add(f"https://f{n}.example.test/rss", f"f{n}")
        await store.chats.subscribe(chat.id, feed.id)
        feeds.append(feed)
    await store.feeds.make_all_due()
    return feeds


ANSWERED = PollSuccess(next_poll_at=NOW + timedelta(hours=1), etag='"v2"', last_modified=None)


async def test_claim_due_leases_each_due_feed_to_one_process_until_its_poll_is_recorded(pair: Pair) -> None:
    feeds = await _due_feeds(pair.a, 3)
    first = await pair.a.feeds.claim_due(NOW, owner="A", until=NOW + LEASE, limit=2)
    rest = await pair.b.feeds.claim_due(NOW, owner="B", until=NOW + LEASE, limit=10)
    assert [f.id for f in first] == [feeds[0].id, feeds[1].id]
    assert [f.id for f in rest] == [feeds[2].id], "B gets only what A does not hold"
    assert await pair.a.feeds.claim_due(NOW, owner="A", until=NOW + LEASE, limit=10) == []
    assert await pair.b.feeds.due(NOW) == [], "a leased feed is not due while its lease holds"

    await pair.a.feeds.record_polls([PollRecord(first[0].id, ANSWERED, NOW)])  # a 304: recorded, released
    (changed,) = rest  # a 200 with entries: its poll lands with them, and releases the feed too
    await pair.b.entries.add(
        changed.id, [Entry(uid="u1", url="https://f2.example.test/1", title="Neuf")], poll=ANSWERED
    )
    later = NOW + LEASE + timedelta(seconds=1)  # every lease has expired by now
    again = await pair.b.feeds.claim_due(later, owner="B", until=later + LEASE, limit=10)
    assert [f.id for f in again] == [feeds[1].id], "only the feed whose poll A never recorded is taken over"


async def test_a_feed_lease_renewed_holds_and_one_released_or_expired_is_taken_over(pair: Pair) -> None:
    feeds = await _due_feeds(pair.a, 2)
    await pair.a.feeds.claim_due(NOW, owner="A", until=NOW + LEASE, limit=10)
    assert await pair.a.feeds.renew_leases("A", NOW + 3 * LEASE) == 2
    at_expiry = NOW + LEASE + timedelta(seconds=1)
    assert await pair.b.feeds.claim_due(at_expiry, owner="B", until=at_expiry + LEASE, limit=10) == []

    assert await pair.a.feeds.release_leases("nobody") == 0
    assert await pair.a.feeds.release_leases("A") == 2
    taken = await pair.b.feeds.claim_due(NOW, owner="B", until=NOW + LEASE, limit=10)
    assert [f.id for f in taken] == [f.id for f in feeds]
    late = NOW + 2 * LEASE
    assert [f.id for f in await pair.a.feeds.claim_due(late, owner="A", until=late + LEASE, limit=10)] == [
        f.id for f in feeds
    ], "B's leases expired unrenewed (B died): A takes its feeds over"


async def test_concurrent_claims_from_two_processes_split_the_due_feeds_without_overlap(pair: Pair) -> None:
    feeds = await _due_feeds(pair.a, 60)

    async def claim_all(store: Store, owner: str) -> list[int]:
        mine: list[int] = []
        while batch := await store.feeds.claim_due(NOW, owner=owner, until=NOW + LEASE, limit=4):
            mine.extend(f.id for f in batch)
            await asyncio.sleep(0)
        return mine

    got_a, got_b = await asyncio.gather(claim_all(pair.a, "A"), claim_all(pair.b, "B"))
    assert not set(got_a) & set(got_b)
    assert sorted(got_a + got_b) == [f.id for f in feeds]


async def _pending_entries(store: Store, count: int) -> list[int]:
    (feed,) = await _due_feeds(store, 1)
    entries = [Entry(uid=f"u{n}", title=f"Article {n}", url=f"https://f0.example.test/{n}") for n in range(count)]
    return sorted(await store.entries.add(feed.id, entries))


async def test_claim_pending_gives_each_waiting_entry_to_one_process_until_digested(pair: Pair) -> None:
    ids = await _pending_entries(pair.a, 3)
    first = await pair.a.entries.claim_pending(NOW, owner="A", until=NOW + LEASE, limit=2)
    rest = await pair.b.entries.claim_pending(NOW, owner="B", until=NOW + LEASE, limit=10)
    assert [p.id for p in first] == ids[:2] and [p.id for p in rest] == ids[2:]
    assert first[0].entry.title == "Article 0" and first[0].feed_title == "f0"
    assert len(await pair.a.entries.pending()) == 3, "`pending` still lists leased entries"

    await pair.a.entries.store_digest(ids[0], make_digest("Article 0"))
    await pair.b.entries.mark_failed(ids[2], "illisible")
    later = NOW + LEASE + timedelta(seconds=1)
    assert [p.id for p in await pair.b.entries.claim_pending(later, owner="B", until=later + LEASE, limit=10)] == [
        ids[1]
    ], "the entry A never digested is taken over once its lease expires"
    assert await pair.b.entries.renew_leases("B", later + 3 * LEASE) == 1
    assert await pair.a.entries.claim_pending(later + LEASE, owner="A", until=later + 2 * LEASE, limit=10) == []
    assert await pair.b.entries.release_leases("B") == 1
    assert [p.id for p in await pair.a.entries.claim_pending(later, owner="A", until=later + LEASE, limit=10)] == [
        ids[1]
    ]


async def test_an_entry_digested_by_two_processes_keeps_one_digest_and_one_delivery_per_chat(pair: Pair) -> None:
    (entry_id,) = await _pending_entries(pair.a, 1)
    first = await pair.a.entries.store_digest(entry_id, make_digest("Article 0"))
    second = await pair.b.entries.store_digest(entry_id, make_digest("Article 0"))  # a lease lost to a stall
    assert first == second
    assert await pair.a.outbox.pending_count() == 1


async def _digest(store: Store) -> int:
    """Store one digest (of a feed nobody subscribes to: it queues nothing by itself)."""
    feed, _ = await store.feeds.add("https://solo.example.test/rss", "solo")
    (entry_id,) = await store.entries.add(feed.id, [Entry(uid="u", title="Article", url="https://solo.example.test/1")])
    return await store.entries.store_digest(entry_id, make_digest("Article"))


async def _queue(store: Store, digest_id: int, count: int, *, platform: str = "console") -> None:
    for n in range(count):
        chat = await store.chats.upsert(platform, f"{platform}-{n}")
        assert await store.outbox.queue(chat.id, digest_id)


async def test_outbox_claims_are_leased_so_two_senders_never_send_the_same_row(pair: Pair) -> None:
    await _queue(pair.a, await _digest(pair.a), 3)
    now = utcnow() + timedelta(seconds=1)
    claimed_a = await pair.a.outbox.claim(now, limit=2, owner="A", until=now + LEASE)
    claimed_b = await pair.b.outbox.claim(now, limit=10, owner="B", until=now + LEASE)
    assert len(claimed_a) == 2 and len(claimed_b) == 1, "B gets the one row A left"
    assert not {j.id for j in claimed_a} & {j.id for j in claimed_b}
    assert await pair.b.outbox.claim(now, limit=10, owner="B", until=now + LEASE) == []

    await pair.a.outbox.mark_sent(claimed_a[0].id)
    assert await pair.a.outbox.renew_leases("A", now + 3 * LEASE) == 1, "only the row still being sent"
    expired = now + LEASE + timedelta(seconds=1)
    taken = await pair.b.outbox.claim(expired, limit=10, owner="B", until=expired + LEASE)
    assert [j.id for j in taken] == [claimed_b[0].id], "B's own unrenewed claim expired; A's renewed one holds"
    assert await pair.a.outbox.requeue_interrupted("B") == 1, "only B's claims go back to the queue"
    assert await pair.a.outbox.pending_count() == 2


async def test_outbox_claim_serves_only_the_platforms_asked_for(pair: Pair) -> None:
    digest_id = await _digest(pair.a)
    await _queue(pair.a, digest_id, 2, platform="telegram")
    await _queue(pair.a, digest_id, 1, platform="discord")
    now = utcnow() + timedelta(seconds=1)
    discord = await pair.b.outbox.claim(now, owner="chat:discord", until=now + LEASE, platforms=["discord"])
    assert [j.chat.platform for j in discord] == ["discord"]
    telegram = await pair.a.outbox.claim(now, owner="chat:telegram", until=now + LEASE, platforms=["telegram"])
    assert [j.chat.platform for j in telegram] == ["telegram", "telegram"]


async def test_a_days_digest_queued_by_two_processes_at_once_is_queued_once(pair: Pair) -> None:
    chat = await pair.a.chats.upsert("console", "quotidien")
    replies = [Reply("Digest quotidien du 20 novembre 2026 — 2 affaires (1/2) :"), Reply("(2/2)")]
    counts = await asyncio.gather(
        pair.a.outbox.queue_daily(chat.id, replies, key="daily:2026-11-20", due=NOW),
        pair.b.outbox.queue_daily(chat.id, replies, key="daily:2026-11-20", due=NOW),
    )
    assert sorted(counts) == [0, 2]
    assert await pair.a.outbox.pending_count() == 2
    assert await pair.b.daily.last_due(chat.id) == NOW


# -- AnswerCache ---------------------------------------------------------------------------------


async def test_an_entrys_model_answer_is_kept_once_and_counted_by_call_time(backend: Backend) -> None:
    feed = await backend.feed("alpha")
    first, second = await backend.storage.entries.add(feed.id, [_entry("a", "Un", DAY), _entry("b", "Deux", DAY)])
    answers = backend.storage.answers
    assert await answers.get(first) is None
    used = CachedAnswer(USED, "Le parquet ouvre une enquête.", "", "modèle-test", DAY)
    await answers.put(first, used)
    await answers.put(first, CachedAnswer(REJECTED, "Autre", "nom inventé", "modèle-test", DAY))  # first one wins
    assert await answers.get(first) == used
    await answers.put(second, CachedAnswer(FAILED, "", "délai dépassé", "modèle-test", DAY + timedelta(hours=2)))
    assert await answers.calls_since(DAY) == 2
    assert await answers.calls_since(DAY + timedelta(hours=1)) == 1
    assert await answers.calls_since(DAY + timedelta(hours=3)) == 0


# -- GaugeSource ---------------------------------------------------------------------------------


async def test_the_gauges_count_deliveries_by_state_and_platform_and_feeds_by_status(backend: Backend) -> None:
    storage = backend.storage
    await storage.gauges.ping()  # answers on a fresh store
    empty = await storage.gauges.read()
    assert empty.deliveries == {} and empty.feeds == {"active": 0, "paused": 0, "gone": 0}

    alpha, failing, paused = await backend.feed("alpha"), await backend.feed("failing"), await backend.feed("paused")
    await storage.feeds.record_poll_error(failing.id, error="HTTP 503", next_poll_at=DAY)
    await storage.feeds.set_status(paused.id, "paused")
    chat = await backend.chat("lecteur", alpha)
    for title in ("Premier", "Second"):  # each stored digest is queued for the subscriber
        await backend.store(alpha, make_digest(title))
    claimed, *_ = await storage.outbox.claim(utcnow() + timedelta(seconds=1), limit=1)
    assert claimed.chat.id == chat.id
    await storage.outbox.mark_sent(claimed.id)

    gauges = await storage.gauges.read()
    assert gauges.deliveries == {
        ("pending", "console"): 1,
        ("sending", "console"): 0,
        ("sent", "console"): 1,
        ("failed", "console"): 0,
        ("dropped", "console"): 0,
    }
    assert gauges.outbox_depth == 1
    assert gauges.feeds == {"active": 2, "paused": 1, "gone": 0}
    assert gauges.feeds_backing_off == 1
