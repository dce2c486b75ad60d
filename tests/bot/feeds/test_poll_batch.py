"""A cycle's poll results (304s, errors) are written in batches, not one transaction per feed.

Real cycles: a feed server on 127.0.0.1, the real core and SQLite file. A batch lost in a crash
only means its feeds are polled again; a 200 with entries keeps its own transaction
(tests/bot/test_crash_safety.py).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.feeds.pollbatch import PollBatch
from bot.models import FeedRecord, utcnow
from bot.store.protocols import PollFailure, PollRecord, PollSuccess
from tests.support.core import Item, legal_body, rss, running_core
from tests.support.http import FeedServer

RSS = "application/rss+xml"
FEEDS = 30


async def subscribed(app, urls: list[str]) -> list[FeedRecord]:  # type: ignore[no-untyped-def]  # test helper
    chat = await app.storage.chats.upsert("console", "console", "Console")
    feeds = []
    for url in urls:
        feed, _ = await app.storage.feeds.add(url)
        await app.storage.chats.subscribe(chat.id, feed.id)
        feeds.append(feed)
    return feeds


def serve_feeds(feed_server: FeedServer) -> list[str]:
    return [
        feed_server.set(
            f"/f{n}.xml",
            rss([Item(f"u{n}", f"Article {n} : une enquête ouverte", legal_body(f"la société Société{n}"))]),
            content_type=RSS,
            etag=f'"e{n}"',
        )
        for n in range(FEEDS)
    ]


async def test_a_cycle_of_304_answers_is_recorded_in_one_transaction_not_one_per_feed(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    urls = serve_feeds(feed_server)
    async with running_core(tmp_path) as (app, _):
        await app.pipeline.poll_many(await subscribed(app, urls))  # first polls: 200s, ETags stored
        primed = await app.storage.feeds.due(utcnow() + timedelta(days=2))
        await app.storage.connection.execute("UPDATE feeds SET consecutive_errors = 2, last_error = 'old'")
        statements: list[str] = []
        await app.storage.connection.db.set_trace_callback(statements.append)
        before = utcnow()
        outcomes = await app.pipeline.poll_many(primed)
        await app.storage.connection.db.set_trace_callback(None)
        after = [await app.storage.feeds.get(f.id) for f in primed]
    assert [o.status for o in outcomes] == ["not_modified"] * FEEDS
    assert sum(s.lstrip().upper().startswith("BEGIN") for s in statements) == 1, statements
    for feed, stored in zip(primed, after, strict=True):
        assert stored is not None and stored.etag == feed.etag == f'"e{primed.index(feed)}"'
        assert stored.consecutive_errors == 0 and stored.last_error is None
        assert stored.next_poll_at is not None and stored.next_poll_at > before + timedelta(minutes=5)


async def test_a_cycle_of_failing_feeds_records_every_error_in_one_transaction(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    urls = serve_feeds(feed_server)
    async with running_core(tmp_path) as (app, _):
        feeds = await subscribed(app, urls)
        for n in range(FEEDS):
            feed_server.set(f"/f{n}.xml", "panne", status=500)
        statements: list[str] = []
        await app.storage.connection.db.set_trace_callback(statements.append)
        before = utcnow()
        outcomes = await app.pipeline.poll_many(feeds)
        await app.storage.connection.db.set_trace_callback(None)
        after = [await app.storage.feeds.get(f.id) for f in feeds]
    assert [o.status for o in outcomes] == ["error"] * FEEDS
    assert sum(s.lstrip().upper().startswith("BEGIN") for s in statements) == 1, statements
    for stored in after:
        assert stored is not None and stored.consecutive_errors == 1 and "500" in (stored.last_error or "")
        assert stored.first_error_at is not None and stored.first_error_at >= before - timedelta(seconds=1)
        assert stored.next_poll_at is not None and stored.next_poll_at > before + timedelta(minutes=5)


async def test_a_row_sqlite_refuses_loses_only_its_own_poll_not_the_batch(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    urls = serve_feeds(feed_server)[:3]
    async with running_core(tmp_path) as (app, _):
        good, bad, other = await subscribed(app, urls)
        now = utcnow()
        later = now + timedelta(hours=1)
        batch = PollBatch(app.storage)
        await batch.add(PollRecord(good.id, PollSuccess(next_poll_at=later, etag='"g"', last_modified=None), now))
        await batch.add(PollRecord(bad.id, PollFailure(error="\ud83d", next_poll_at=later), now))  # unencodable
        await batch.add(PollRecord(other.id, PollFailure(error="HTTP 500", next_poll_at=later), now))
        await batch.flush()
        stored = {f.id: await app.storage.feeds.get(f.id) for f in (good, bad, other)}
    assert stored[good.id] is not None and stored[good.id].etag == '"g"'  # type: ignore[union-attr]
    assert stored[other.id] is not None and stored[other.id].consecutive_errors == 1  # type: ignore[union-attr]
    assert stored[bad.id] is not None and stored[bad.id].consecutive_errors == 0  # type: ignore[union-attr]
