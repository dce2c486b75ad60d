"""Feed health: backoff, Retry-After, moved and gone feeds, pausing after three days of errors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.feeds.pipeline import MAX_BACKOFF, next_poll_time
from bot.models import utcnow
from tests.support.core import Item, legal_body, rss, running_core
from tests.support.http import FeedServer
from tests.support.sqlite_rows import delivery_rows, set_first_error_at, stored_entries

ITEM = Item("h1", "Cyberattaque : une plainte déposée", legal_body("la société Hospitex"))
RSS = "application/rss+xml"


async def subscribe(app, console, url: str):  # type: ignore[no-untyped-def]  # test helper
    reply = await console.command(f"/abonner {url}")
    assert reply is not None and "Abonnement ajouté" in reply.text, reply
    feed = await app.storage.feeds.by_url(url)
    assert feed is not None
    return feed


def test_backoff_doubles_per_error_and_stops_at_24_hours() -> None:
    now = utcnow()
    interval = timedelta(minutes=15)
    delays = [next_poll_time(interval, now=now, errors=n) - now for n in range(0, 12)]
    assert delays[1] > delays[0] * 1.5 and delays[3] > delays[2] * 1.5
    assert all(d <= MAX_BACKOFF * 1.1 for d in delays)
    assert delays[-1] >= MAX_BACKOFF * 0.9


async def test_retry_after_on_429_and_503_pushes_the_next_poll_back(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", rss([ITEM]), content_type=RSS)
    async with running_core(tmp_path) as (app, console):
        feed = await subscribe(app, console, url)
        for status in (429, 503):
            feed_server.set("/feed.xml", "busy", status=status, headers={"Retry-After": "7200"})
            before = utcnow()
            outcome = await app.pipeline.poll_feed(feed)
            feed = await app.storage.feeds.get(feed.id)
            assert feed is not None and feed.next_poll_at is not None
            assert outcome.status == "error"
            assert feed.next_poll_at - before >= timedelta(seconds=7199)  # stored to the second
        assert feed.consecutive_errors == 2


async def test_a_permanent_redirect_updates_the_stored_url(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.set("/old.xml", rss([ITEM]), content_type=RSS)
    async with running_core(tmp_path) as (app, console):
        feed = await subscribe(app, console, url)
        for status, target in ((301, "/new.xml"), (308, "/newer.xml")):
            feed_server.set(target, rss([ITEM]), content_type=RSS)
            current = await app.storage.feeds.get(feed.id)
            assert current is not None
            feed_server.redirect(current.url.removeprefix(feed_server.base_url), target, status=status)
            await app.pipeline.poll_feed(current)
            moved = await app.storage.feeds.get(feed.id)
            assert moved is not None and moved.url == feed_server.url(target)


async def test_a_temporary_redirect_keeps_the_stored_url(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", rss([ITEM]), content_type=RSS)
    async with running_core(tmp_path) as (app, console):
        feed = await subscribe(app, console, url)
        feed_server.set("/tmp.xml", rss([ITEM]), content_type=RSS)
        feed_server.redirect("/feed.xml", "/tmp.xml", status=302)
        await app.pipeline.poll_feed(feed)
        after = await app.storage.feeds.get(feed.id)
    assert after is not None and after.url == url


async def test_410_marks_the_feed_gone_at_once_and_tells_subscribers(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", rss([ITEM]), content_type=RSS)
    async with running_core(tmp_path) as (app, console):
        feed = await subscribe(app, console, url)
        feed_server.set("/feed.xml", "gone", status=410)
        outcome = await app.pipeline.poll_feed(feed)
        await app.dispatcher.run_once()  # the notice went to the outbox with the status change
        after = await app.storage.feeds.get(feed.id)
        due = await app.storage.feeds.due(utcnow() + timedelta(days=30))
        notices = [m.text for m in console.messages_for("console") if "erreur 410" in m.text]
    assert outcome.status == "gone" and after is not None and after.status == "gone"
    assert due == []
    assert len(notices) == 1


async def test_three_days_of_errors_pause_the_feed_and_tell_each_chat_once(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    url = feed_server.set("/feed.xml", rss([ITEM]), content_type=RSS)
    async with running_core(tmp_path) as (app, console):
        feed = await subscribe(app, console, url)
        await console.command(f"/abonner {url}", chat_id="autre")
        feed_server.set("/feed.xml", "oops", status=500)
        first = await app.pipeline.poll_feed(feed)
        assert first.status == "error"
        await set_first_error_at(app.storage, feed.id, utcnow() - timedelta(days=3, hours=1))
        current = await app.storage.feeds.get(feed.id)
        assert current is not None
        second = await app.pipeline.poll_feed(current)
        await app.dispatcher.run_once()  # the notices went to the outbox with the pause
        due = await app.storage.feeds.due(utcnow() + timedelta(days=30))
        notices = {
            chat: [m.text for m in console.messages_for(chat) if "/reprendre" in m.text]
            for chat in ("console", "autre")
        }
        resumed = await console.command("/reprendre 1")
        after = await app.storage.feeds.get(feed.id)
    assert second.status == "paused" and due == []
    assert {chat: len(texts) for chat, texts in notices.items()} == {"console": 1, "autre": 1}
    assert resumed is not None and "relancé" in resumed.text
    assert after is not None and after.status == "active" and after.consecutive_errors == 0


async def test_a_flood_of_new_entries_is_capped_per_cycle(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", rss([ITEM]), content_type=RSS)
    many = [
        Item(f"n{i}", f"Dépêche {i}", "Texte court.", date=f"Tue, 24 Nov 2026 {i % 24:02d}:{i % 60:02d}:00 GMT")
        for i in range(40)
    ]
    async with running_core(tmp_path, VEILLE_MAX_NEW_ENTRIES=5) as (app, console):
        feed = await subscribe(app, console, url)
        feed_server.set("/feed.xml", rss([*many, ITEM]), content_type=RSS)
        outcome = await app.pipeline.poll_feed(feed)
        stored = await stored_entries(app.storage, feed.id)
    assert outcome.new_entries == 5
    assert len(stored) == 41  # every entry is known, so none comes back later


async def test_a_gone_feed_notice_is_queued_with_the_status_change_and_waits_for_an_absent_platform(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    url = feed_server.set("/feed.xml", rss([ITEM]), content_type=RSS)
    async with running_core(tmp_path) as (app, console):
        feed = await subscribe(app, console, url)
        away = await app.storage.chats.upsert("telegram", "4242", "Rédaction")  # not running in this process
        await app.storage.chats.subscribe(away.id, feed.id)
        feed_server.set("/feed.xml", "gone", status=410)
        await app.pipeline.poll_feed(feed)
        await app.pipeline.poll_feed(feed)  # polled again by a late cycle: still one notice per chat
        await app.dispatcher.run_once()
        rows = await delivery_rows(app.storage)
        notices = [m.text for m in console.messages_for("console") if "erreur 410" in m.text]
    assert sorted((r.platform, r.state) for r in rows if r.kind == "notice") == [
        ("console", "sent"),
        ("telegram", "pending"),
    ]
    assert len(notices) == 1
