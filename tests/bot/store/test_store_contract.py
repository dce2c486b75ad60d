"""The repository contract: each `bot.store.protocols` repository, driven through its protocol.

Every test takes `backend`, parametrised over the storage backends (SQLite on a real file
today), so a new backend passes the same tests before any feature uses it. Seeding (feeds,
chats, entries, digests) goes through `Storage`, which is not behind a protocol yet.
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
from bot.store.protocols import (
    AlertTarget,
    DailySchedule,
    Follow,
    FollowStore,
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
