"""The spine end to end: a local feed server, the real core, a console chat, a real SQLite file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.feeds import pipeline as pipeline_module
from bot.feeds.parse import parse_feed
from bot.models import FeedRecord, ParsedFeed
from bot.store.sqlite import SqliteStore
from tests.support.core import Item, legal_body, make_settings, rss, running_core
from tests.support.http import FeedServer
from tests.support.sqlite_rows import stored_entries

FIRST = Item("a1", "Fuite de données chez Assurix : enquête du parquet", legal_body("la société Assurix"))
SECOND = Item(
    "a2",
    "Piratage de Transportia : la CNIL saisie",
    legal_body("la société Transportia"),
    date="Tue, 24 Nov 2026 10:00:00 GMT",
)
THIRD = Item(
    "a3",
    "Rançongiciel : Mairix porte plainte",
    legal_body("la mairie de Mairix"),
    date="Wed, 25 Nov 2026 10:00:00 GMT",
)


async def test_subscribing_to_a_new_feed_delivers_only_its_newest_item(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", rss([SECOND, FIRST]), content_type="application/rss+xml")
    async with running_core(tmp_path) as (app, console):
        reply = await console.command(f"/abonner {url}")
        assert reply is not None and reply.text.startswith("Abonnement ajouté")
        await app.settle()
        digests = console.digests_for("console")
    assert [d.title for d in digests] == [SECOND.title]
    assert "Acteurs" in digests[0].text or "acteur" in digests[0].text.lower()


async def test_new_entries_reach_each_subscribed_chat_exactly_once(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", rss([FIRST]), content_type="application/rss+xml", etag='"v1"')
    async with running_core(tmp_path) as (app, console):
        for chat in ("chat-a", "chat-b", "chat-c"):
            await console.command(f"/abonner {url}", chat_id=chat)
        await app.settle()
        feed_server.set("/feed.xml", rss([THIRD, SECOND, FIRST]), content_type="application/rss+xml", etag='"v2"')
        await app.storage.feeds.make_all_due()
        outcomes = await app.poll_once()
        assert [o.new_entries for o in outcomes] == [2]
        await app.storage.feeds.make_all_due()
        again = await app.poll_once()  # same ETag: 304, nothing new
        assert [o.status for o in again] == ["not_modified"]
        per_chat = {chat: [d.title for d in console.digests_for(chat)] for chat in ("chat-a", "chat-b", "chat-c")}
    # chat-a subscribed first and got the newest item; the others got it queued at subscription.
    for titles in per_chat.values():
        assert sorted(titles) == sorted([FIRST.title, SECOND.title, THIRD.title])
    assert feed_server.hits("/feed.xml") == 3  # one subscription fetch, one 200 poll, one 304 poll


async def test_conditional_get_sends_validators_and_skips_parsing_on_304(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    url = feed_server.set(
        "/feed.xml",
        rss([FIRST]),
        content_type="application/rss+xml",
        etag='"abc"',
        last_modified="Mon, 23 Nov 2026 10:00:00 GMT",
    )
    async with running_core(tmp_path) as (app, console):
        await console.command(f"/abonner {url}")
        feed = await app.storage.feeds.by_url(url)
        assert feed is not None
        # The first poll stores the validators; the second sends them and gets a 304.
        await app.pipeline.poll_feed(feed)
        feed = await app.storage.feeds.by_url(url)
        assert feed is not None and feed.etag == '"abc"'
        outcome = await app.pipeline.poll_feed(feed)
    assert outcome.status == "not_modified"
    last = feed_server.requests[-1]
    assert last.headers.get("If-None-Match") == '"abc"'
    assert last.headers.get("If-Modified-Since") == "Mon, 23 Nov 2026 10:00:00 GMT"


async def test_a_malformed_feed_records_its_error_while_the_others_go_on(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    good = feed_server.set("/good.xml", rss([FIRST]), content_type="application/rss+xml")
    bad = feed_server.set("/bad.xml", rss([SECOND]), content_type="application/rss+xml")
    async with running_core(tmp_path) as (app, console):
        await console.command(f"/abonner {good}")
        await console.command(f"/abonner {bad}")
        await app.settle()
        feed_server.set("/bad.xml", b"\x00\x01 this is not xml at all \xff\xfe", content_type="application/rss+xml")
        feed_server.set("/good.xml", rss([SECOND, FIRST]), content_type="application/rss+xml")
        await app.storage.feeds.make_all_due()
        outcomes = {o.feed_id: o for o in await app.poll_once()}
        bad_feed = await app.storage.feeds.by_url(bad)
        good_feed = await app.storage.feeds.by_url(good)
    assert bad_feed is not None and good_feed is not None
    assert outcomes[bad_feed.id].status == "error"
    assert bad_feed.consecutive_errors == 1 and bad_feed.last_error
    assert bad_feed.next_poll_at is not None
    assert outcomes[good_feed.id].new_entries == 1
    assert SECOND.title in [d.title for d in console.digests_for("console")]


async def test_subscribing_to_a_site_url_discovers_its_feed(tmp_path: Path, feed_server: FeedServer) -> None:
    feed_server.set("/rss/une.xml", rss([FIRST]), content_type="application/rss+xml")
    site = feed_server.set(
        "/",
        '<html><head><link rel="alternate" type="application/rss+xml" href="/rss/une.xml"></head>'
        "<body>Accueil</body></html>",
        content_type="text/html; charset=utf-8",
    )
    async with running_core(tmp_path) as (app, console):
        reply = await console.command(f"/abonner {site}")
        feeds = await app.storage.chats.subscriptions((await app.storage.chats.get("console", "console")).id)  # type: ignore[union-attr]
    assert reply is not None and "Abonnement ajouté" in reply.text
    assert [f.url for f in feeds] == [feed_server.url("/rss/une.xml")]


async def test_pending_deliveries_go_out_once_after_a_restart(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", rss([SECOND, FIRST]), content_type="application/rss+xml")
    async with running_core(tmp_path) as (app, console):
        await console.command(f"/abonner {url}")
        await app.pipeline.digest_pending()  # digest stored, delivery queued, not sent: "crash" now
        assert await app.storage.outbox.pending_count() == 1
        assert console.digests_for("console") == []
    async with running_core(tmp_path) as (app, console):
        await app.settle()
        first_run = [d.title for d in console.digests_for("console")]
        await app.settle()
    async with running_core(tmp_path) as (app, console):
        await app.settle()
        third_run = console.digests_for("console")
    assert first_run == [SECOND.title]
    assert third_run == []


async def test_a_delivery_interrupted_mid_send_is_requeued_at_start(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", rss([FIRST]), content_type="application/rss+xml")
    async with running_core(tmp_path) as (app, console):
        await console.command(f"/abonner {url}")
        await app.pipeline.digest_pending()
        from bot.models import utcnow

        claimed = await app.storage.outbox.claim(utcnow())  # 'sending', then the process dies
        assert len(claimed) == 1
    async with running_core(tmp_path) as (app, console):
        await app.settle()
        assert [d.title for d in console.digests_for("console")] == [FIRST.title]


async def test_entries_left_undigested_by_a_crash_are_digested_at_the_next_cycle(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    url = feed_server.set("/feed.xml", rss([FIRST]), content_type="application/rss+xml")
    async with running_core(tmp_path) as (app, console):
        await console.command(f"/abonner {url}")  # entry stored as 'new'; no digest yet
    async with SqliteStore(tmp_path / "veille.db") as db:
        assert len(await db.entries.pending()) == 1
    async with running_core(tmp_path) as (app, console):
        await app.poll_once()
        assert [d.title for d in console.digests_for("console")] == [FIRST.title]


async def test_a_feed_item_without_full_text_is_completed_from_its_page(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    short = Item("p1", "Arnaque au faux conseiller : deux suspects en garde à vue", "Deux hommes interpellés.")
    page = (
        "<html><head><title>Arnaque</title></head><body><nav>Accueil | Justice</nav><article>"
        f"<h1>{short.title}</h1>{legal_body('un réseau de faux conseillers bancaires')}</article>"
        "<footer>Mentions légales</footer></body></html>"
    )
    feed_server.set("/articles/p1.html", page, content_type="text/html; charset=utf-8")
    url = feed_server.set("/feed.xml", rss([short], base=feed_server.base_url), content_type="application/rss+xml")
    async with running_core(tmp_path) as (app, console):
        await console.command(f"/abonner {url}")
        await app.settle()
        digests = console.digests_for("console")
    assert feed_server.hits("/articles/p1.html") == 1
    assert len(digests) == 1
    assert "OFAC" in digests[0].text or "parquet" in digests[0].text.lower()


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/abonner", "Indiquez l'adresse"),
        ("/abonner ftp://exemple.fr/rss", "http"),
        ("/abonner http://", "mal formée"),
        ("/desabonner 4", "Pas d'abonnement n° 4"),
        ("/inconnue", "Commande inconnue"),
    ],
)
async def test_bad_input_gets_a_french_explanation_and_stores_nothing(
    tmp_path: Path, command: str, expected: str
) -> None:
    async with running_core(tmp_path) as (app, console):
        reply = await console.command(command)
        feeds = (await app.storage.gauges.read()).feeds  # every feed, by status
    assert reply is not None and expected in reply.text
    assert sum(feeds.values()) == 0


async def test_a_url_that_is_not_a_feed_is_refused_and_nothing_is_stored(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    url = feed_server.set("/page", "<html><body>Pas de flux ici</body></html>", content_type="text/html")
    async with running_core(tmp_path) as (app, console):
        reply = await console.command(f"/abonner {url}")
        chat = await app.storage.chats.get("console", "console")
        rows = await app.storage.chats.subscriptions(chat.id) if chat is not None else []
    assert reply is not None and "Aucun flux" in reply.text
    assert rows == []


async def test_subscribing_twice_is_refused_politely(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", rss([FIRST]), content_type="application/rss+xml")
    async with running_core(tmp_path) as (app, console):
        await console.command(f"/abonner {url}")
        reply = await console.command(f"/subscribe {url}")
        chat = await app.storage.chats.get("console", "console")
        assert chat is not None
        subscriptions = await app.storage.chats.subscriptions(chat.id)
    assert reply is not None and "déjà abonnée" in reply.text
    assert len(subscriptions) == 1


async def test_list_and_unsubscribe_by_number(tmp_path: Path, feed_server: FeedServer) -> None:
    one = feed_server.set("/one.xml", rss([FIRST], title="Flux Un"), content_type="application/rss+xml")
    two = feed_server.set("/two.xml", rss([SECOND], title="Flux Deux"), content_type="application/rss+xml")
    async with running_core(tmp_path) as (app, console):
        await console.command(f"/abonner {one}")
        await console.command(f"/abonner {two}")
        listing = await console.command("/abonnements")
        removed = await console.command("/desabonner 1")
        after = await console.command("/list")
    assert listing is not None and [i.title for i in listing.items] == ["1. Flux Un", "2. Flux Deux"]
    assert [b.data for b in listing.buttons] == ["desabonner 1", "desabonner 2"]
    assert removed is not None and "Flux Un" in removed.text
    assert after is not None and [i.title for i in after.items] == ["1. Flux Deux"]


async def test_help_lists_french_commands_with_english_aliases(tmp_path: Path) -> None:
    async with running_core(tmp_path) as (_, console):
        reply = await console.command("/help")
    assert reply is not None
    assert "/abonner URL" in reply.text and "(/subscribe)" in reply.text
    assert "/desabonner" in reply.text and "(/list)" in reply.text


def test_settings_reject_a_bad_value_with_one_line_naming_it(tmp_path: Path) -> None:
    from bot.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path, VEILLE_POLL_INTERVAL="souvent")
    assert "VEILLE_POLL_INTERVAL" in str(caught.value) and "\n" not in str(caught.value)


async def subscribe_directly(app, *urls: str) -> list[FeedRecord]:  # type: ignore[no-untyped-def]  # test helper
    """Store feeds and a console subscription without polling them, so the next poll is the first."""
    chat = await app.storage.chats.upsert("console", "console", "Console")
    feeds = []
    for url in urls:
        feed, _ = await app.storage.feeds.add(url)
        await app.storage.chats.subscribe(chat.id, feed.id)
        feeds.append(feed)
    return feeds


def counting_parser(calls: list[str], *, poison_first: bool = False) -> Callable[..., ParsedFeed]:
    """The real parser, recording each call; `poison_first` hands back an entry SQLite refuses once."""

    def parse(body: bytes, *, url: str, **kwargs: Any) -> ParsedFeed:
        calls.append(url)
        parsed = parse_feed(body, url=url, **kwargs)
        if poison_first and len(calls) == 1:
            return replace(parsed, entries=tuple(replace(e, title="\ud83d") for e in parsed.entries))
        return parsed

    return parse


async def test_a_body_identical_to_the_last_stored_one_is_not_parsed_again(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that ignores conditional GET sends the same bytes each time: one parse is enough."""
    url = feed_server.set("/feed.xml", rss([FIRST]), content_type="application/rss+xml")  # no ETag
    calls: list[str] = []
    monkeypatch.setattr(pipeline_module, "parse_feed", counting_parser(calls))
    async with running_core(tmp_path) as (app, console):
        (feed,) = await subscribe_directly(app, url)
        first = await app.pipeline.poll_feed(feed)
        for _ in range(2):
            current = await app.storage.feeds.get(feed.id)
            assert current is not None
            same = await app.pipeline.poll_feed(current)
            assert same.status == "unchanged"
        feed_server.set("/feed.xml", rss([SECOND, FIRST]), content_type="application/rss+xml")
        current = await app.storage.feeds.get(feed.id)
        assert current is not None
        changed = await app.pipeline.poll_feed(current)
        stored = await app.storage.feeds.get(feed.id)
    assert first.status == "new" and changed.status == "new" and changed.new_entries == 1
    assert len(calls) == 2  # the first body and the changed one; the two repeats were skipped
    assert stored is not None and stored.consecutive_errors == 0 and stored.next_poll_at is not None


async def test_a_body_whose_entries_were_not_stored_is_parsed_again(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fingerprint lands with the entries: a failed store must not make the next poll skip them."""
    url = feed_server.set("/feed.xml", rss([FIRST]), content_type="application/rss+xml")
    calls: list[str] = []
    monkeypatch.setattr(pipeline_module, "parse_feed", counting_parser(calls, poison_first=True))
    async with running_core(tmp_path) as (app, console):
        (feed,) = await subscribe_directly(app, url)
        failed = await app.pipeline.poll_feed(feed)
        current = await app.storage.feeds.get(feed.id)
        assert current is not None and current.body_hash is None
        retried = await app.pipeline.poll_feed(current)
        entries = await stored_entries(app.storage, feed.id)
    assert failed.status == "error" and retried.status == "new"
    assert len(calls) == 2 and [e.uid for e in entries] == ["a1"]
