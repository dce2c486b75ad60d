"""/filtre and /intervalle end to end through the console: replies, storage, delivery, polling."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.console import ConsoleAdapter
from bot.app import Veille
from bot.chat.commands import FloodGuard
from bot.models import ChatRecord, FeedRecord, Reply
from bot.store.protocols import SubscriptionOptions
from tests.support.core import Item, legal_body, rss, running_core
from tests.support.http import FeedServer
from tests.support.newsroom import add_feed, make_digest, publish, subscribe
from tests.support.sqlite_rows import delivery_rows

Core = tuple[Veille, ConsoleAdapter]
CNIL = ("CNIL", "Commission nationale de l'informatique et des libertés")


async def ask(console: ConsoleAdapter, line: str, **kwargs: str) -> Reply:
    reply = await console.command(line, **kwargs)
    assert reply is not None
    return reply


async def stored_options(app: Veille, chat: ChatRecord) -> list[SubscriptionOptions]:
    """Return the options stored for each of the chat's subscriptions, in order (none set: the defaults)."""
    options = await app.storage.options.of_chat(chat.id)
    feeds = await app.storage.chats.subscriptions(chat.id)
    return [options.get(feed.id, SubscriptionOptions(feed.id)) for feed in feeds]


async def test_a_filter_is_set_shown_listed_and_cleared(core: Core, chat: ChatRecord) -> None:
    app, console = core
    journal, actu = await add_feed(app, "journal"), await add_feed(app, "actu")
    await subscribe(app, chat, journal, actu)
    assert (await ask(console, "/filtre 2")).text.startswith("Pas de filtre sur actu : chaque article arrive.")
    set_reply = await ask(console, "/filtre 2 rançongiciel  -sport acteur:CNIL JURIDIQUE")
    assert set_reply.text.startswith("Filtre posé sur actu : +rançongiciel -sport acteur:CNIL juridique")
    assert "contient rançongiciel ; ne contient pas sport ; acteur CNIL ; au moins un enjeu juridique" in set_reply.text
    shown = await ask(console, "/filter 2")  # the English alias
    assert shown.text.startswith("Filtre sur actu : +rançongiciel -sport acteur:CNIL juridique")
    listed = await ask(console, "/abonnements")
    assert [item.detail for item in listed.items] == ["", "filtre : +rançongiciel -sport acteur:CNIL juridique"]
    cleared = await ask(console, "/filtre 2 off")
    assert cleared.text == "Filtre retiré : chaque article d'actu arrivera."
    assert [o.filter for o in await stored_options(app, chat)] == [None, None]


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("/filtre", "Précisez le numéro de l'abonnement"),
        ("/filtre 7 +cnil", "Pas d'abonnement n° 7 : seul le n° 1 existe. Voir /abonnements."),
        ("/filtre ² +cnil", "Pas d'abonnement n° ²"),
        ("/filtre cnil", "Indiquez d'abord le numéro de l'abonnement"),
        ('/filtre 1 +"mise en examen', "Filtre non compris : il manque un guillemet fermant."),
        ("/filtre 1 flux:2", "Filtre non compris : « flux: » est inconnu"),
        ("/filtre 1 +le", "trop courant pour filtrer"),
    ],
)
async def test_bad_filter_input_gets_a_french_answer_and_keeps_the_filter_in_place(
    core: Core, chat: ChatRecord, line: str, says: str
) -> None:
    app, console = core
    await subscribe(app, chat, await add_feed(app, "journal"))
    await ask(console, "/filtre 1 +cnil")
    reply = await ask(console, line)
    assert says in reply.text
    assert reply.ephemeral
    assert [o.filter for o in await stored_options(app, chat)] == ["+cnil"]


async def test_instant_deliveries_skip_what_the_subscription_filter_rejects(core: Core, chat: ChatRecord) -> None:
    app, console = core
    journal = await add_feed(app, "journal")
    other = await app.storage.chats.upsert("console", "autre", "Autre")
    await subscribe(app, chat, journal)
    await subscribe(app, other, journal)
    await ask(console, "/filtre 1 acteur:CNIL -sport")
    await publish(app, journal, make_digest("La CNIL sanctionne Datalix", actors=[CNIL]))
    await publish(app, journal, make_digest("Le tribunal condamne Fraudix"))
    await publish(app, journal, make_digest("La CNIL et le club de sport Footix", actors=[CNIL]))
    await app.dispatcher.run_once()
    assert [d.title for d in console.digests_for("console")] == ["La CNIL sanctionne Datalix"]
    assert len(console.digests_for("autre")) == 3  # the other chat set no filter
    per_chat = Counter(r.chat_id for r in await delivery_rows(app.storage))
    assert per_chat == {chat.id: 1, other.id: 3}  # rejected rows left no trace


async def test_the_daily_digest_keeps_only_what_each_feeds_filter_accepts(
    core: Core, chat: ChatRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, console = core
    journal, actu = await add_feed(app, "journal"), await add_feed(app, "actu")
    await subscribe(app, chat, journal, actu)
    await ask(console, "/mode quotidien")
    await ask(console, "/filtre 1 juridique")
    now = datetime.now(UTC)
    await publish(app, journal, make_digest("Escroquerie chez Fraudix", legal=[("infraction", "escroquerie")]))
    await publish(app, journal, make_digest("Salon du numérique à Lyon", published=now))
    await publish(app, actu, make_digest("Portrait d'une avocate", published=now))  # no filter on feed 2
    daily = app.scheduler.get_job(f"daily:{chat.id}")
    assert daily is not None
    fire = daily.trigger.get_next_fire_time(None, now)
    monkeypatch.setattr("bot.delivery.daily.utcnow", lambda: fire.astimezone(UTC) + timedelta(seconds=2))
    await daily.func(*daily.args)
    [digest_message] = [m for m in console.messages if m.text.startswith("Digest quotidien du")]
    titles = [item.title for item in digest_message.reply.items] if digest_message.reply else []
    assert sorted(titles) == ["Escroquerie chez Fraudix", "Portrait d'une avocate"]


async def test_an_interval_is_set_shown_listed_and_cleared(core: Core, chat: ChatRecord) -> None:
    app, console = core
    await subscribe(app, chat, await add_feed(app, "journal"))
    assert "intervalle par défaut (15 min" in (await ask(console, "/intervalle 1")).text
    assert (await ask(console, "/intervalle 1 1h30")).text.startswith("journal sera relevé toutes les 1 h 30.")
    assert (await ask(console, "/interval 1")).text == "journal est relevé toutes les 1 h 30."
    listed = await ask(console, "/abonnements")
    assert listed.items[0].detail == "relevé toutes les 1 h 30"
    await ask(console, "/filtre 1 +cnil")
    assert (await ask(console, "/abonnements")).items[0].detail == "filtre : +cnil · relevé toutes les 1 h 30"
    assert (await ask(console, "/intervalle 1 off")).text.startswith("journal revient à l'intervalle par défaut")
    assert [o.interval for o in await stored_options(app, chat)] == [None]


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("/intervalle 1 2min", "Intervalle hors limites : entre 5 min et 24 h (vous avez demandé 2 min)."),
        ("/intervalle 1 3j", "Intervalle hors limites : entre 5 min et 24 h"),
        ("/intervalle 1 bientôt", "Intervalle non compris : « bientôt »"),
        ("/intervalle 4 30min", "Pas d'abonnement n° 4 : seul le n° 1 existe."),
        ("/intervalle", "Précisez le numéro de l'abonnement : /intervalle 2 30min"),
    ],
)
async def test_bad_interval_input_gets_a_french_answer_and_changes_nothing(
    core: Core, chat: ChatRecord, line: str, says: str
) -> None:
    app, console = core
    await subscribe(app, chat, await add_feed(app, "journal"))
    await ask(console, "/intervalle 1 2h")
    assert says in (await ask(console, line)).text
    assert [o.interval for o in await stored_options(app, chat)] == [timedelta(hours=2)]


async def test_the_minimum_interval_is_a_setting(tmp_path: Path) -> None:
    async with running_core(tmp_path, VEILLE_MIN_INTERVAL="60") as (app, console):
        chat = await app.storage.chats.upsert("console", "console")
        await subscribe(app, chat, await add_feed(app, "journal"))
        assert (await ask(console, "/intervalle 1 2min")).text.startswith("journal sera relevé toutes les 2 min")
        assert "entre 1 min et 24 h" in (await ask(console, "/intervalle 1 30s")).text


# -- polling at the feed's interval ----------------------------------------------------------------

ITEM = Item("x1", "Fuite de données chez Assurix", legal_body("la société Assurix"))


def feed_with(ttl: str = "") -> bytes:
    body = rss([ITEM]).decode()
    if ttl:
        body = body.replace("<description>Flux de test</description>", f"<description>Flux de test</description>{ttl}")
    return body.encode()


async def next_poll_in(app: Veille, feed: FeedRecord) -> timedelta:
    """Poll the feed once (no digest made) and return how long until its next poll."""
    fresh = await app.storage.feeds.get(feed.id)
    assert fresh is not None
    before = datetime.now(UTC)
    await app.pipeline.poll_many([fresh])
    polled = await app.storage.feeds.get(feed.id)
    assert polled is not None and polled.next_poll_at is not None
    return polled.next_poll_at - before


def about(value: timedelta, expected: timedelta) -> bool:
    """Compare with the scheduler's ±10 % jitter (and a second of rounding)."""
    return expected * 0.9 - timedelta(seconds=2) <= value <= expected * 1.1 + timedelta(seconds=2)


async def feed_at(app: Veille, feed_server: FeedServer, body: bytes, **headers: str) -> FeedRecord:
    url = feed_server.set("/feed.xml", body, content_type="application/rss+xml", headers=headers)
    feed, _ = await app.storage.feeds.add(url, "journal")
    return feed


async def test_a_feed_is_polled_at_the_interval_its_chat_asked(
    core: Core, chat: ChatRecord, feed_server: FeedServer
) -> None:
    app, console = core
    feed = await feed_at(app, feed_server, feed_with())
    await subscribe(app, chat, feed)
    assert about(await next_poll_in(app, feed), timedelta(minutes=15))  # the global interval
    await ask(console, "/intervalle 1 2h")
    assert about(await next_poll_in(app, feed), timedelta(hours=2))


@pytest.mark.parametrize(
    ("ttl", "headers", "expected"),
    [
        ("<ttl>120</ttl>", {}, timedelta(hours=2)),
        (
            '<sy:updatePeriod xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">daily</sy:updatePeriod>'
            '<sy:updateFrequency xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">4</sy:updateFrequency>',
            {},
            timedelta(hours=6),
        ),
        ("", {"Cache-Control": "public, max-age=3600"}, timedelta(hours=1)),
        ("<ttl>5</ttl>", {}, timedelta(minutes=15)),  # shorter than the global interval: ignored
    ],
)
async def test_the_feeds_own_hint_is_honoured_when_longer_than_the_global_interval(
    core: Core, chat: ChatRecord, feed_server: FeedServer, ttl: str, headers: dict[str, str], expected: timedelta
) -> None:
    app, _ = core
    feed = await feed_at(app, feed_server, feed_with(ttl), **headers)
    await subscribe(app, chat, feed)
    assert about(await next_poll_in(app, feed), expected)
    stored = await app.storage.feeds.get(feed.id)
    assert stored is not None and stored.hint is not None  # kept for the 304s to come
    assert about(await next_poll_in(app, feed), expected)  # the second poll answers 304 (no ETag: 200 same body)


async def test_a_shared_feed_is_polled_at_the_shortest_interval_wanted(
    core: Core, chat: ChatRecord, feed_server: FeedServer
) -> None:
    app, console = core
    feed = await feed_at(app, feed_server, feed_with("<ttl>60</ttl>"))
    other = await app.storage.chats.upsert("console", "autre", "Autre")
    await subscribe(app, chat, feed)
    await subscribe(app, other, feed)
    await ask(console, "/intervalle 1 3h")
    # the other chat asked nothing: it wants the default, here the feed's own hour
    assert about(await next_poll_in(app, feed), timedelta(hours=1))
    await ask(console, "/intervalle 1 10min", chat_id="autre")
    assert about(await next_poll_in(app, feed), timedelta(minutes=10))
    assert feed_server.hits("/feed.xml") == 2  # one fetch per cycle serves both chats


async def test_setting_a_shorter_interval_brings_the_next_poll_forward(
    core: Core, chat: ChatRecord, feed_server: FeedServer
) -> None:
    app, console = core
    feed = await feed_at(app, feed_server, feed_with("<ttl>600</ttl>"))
    await subscribe(app, chat, feed)
    assert about(await next_poll_in(app, feed), timedelta(hours=10))
    await ask(console, "/intervalle 1 5min")
    polled = await app.storage.feeds.get(feed.id)
    assert polled is not None and polled.next_poll_at is not None
    assert polled.next_poll_at - datetime.now(UTC) <= timedelta(minutes=5)
    assert [f.id for f in await app.storage.feeds.due(datetime.now(UTC) + timedelta(minutes=5, seconds=1))] == [feed.id]


async def test_filters_and_intervals_survive_a_restart(tmp_path: Path) -> None:
    async with running_core(tmp_path) as (app, console):
        app.commands.flood = FloodGuard(limit=1000)
        chat = await app.storage.chats.upsert("console", "console")
        await subscribe(app, chat, await add_feed(app, "journal"))
        await ask(console, "/filtre 1 +cnil")
        await ask(console, "/intervalle 1 45min")
    async with running_core(tmp_path) as (app, console):
        listed = await ask(console, "/abonnements")
        assert listed.items[0].detail == "filtre : +cnil · relevé toutes les 45 min"


async def test_a_story_turned_away_by_one_feeds_filter_still_comes_from_another_feed(
    core: Core, chat: ChatRecord
) -> None:
    app, console = core
    strict, plain = await add_feed(app, "strict"), await add_feed(app, "plain")
    await subscribe(app, chat, strict, plain)
    await ask(console, "/filtre 1 juridique")
    story = "Le parquet de Paris ouvre une enquête sur la fuite de données de Mutualis"
    first = make_digest(story, actors=[("parquet de Paris",), ("Mutualis",)])
    second = make_digest(story, actors=[("parquet de Paris",), ("Mutualis",)])
    await publish(app, strict, first)
    await publish(app, plain, second)
    now = datetime.now(UTC)
    told = await app.storage.daily.digests_between(chat.id, now - timedelta(days=1), now + timedelta(days=1))
    assert len(told) == 2 and len({item.story_id for item in told}) == 1  # one story told by both feeds
    await app.dispatcher.run_once()
    # the first copy was filtered out, so it does not count as "already sent" for the second
    assert [d.url for d in console.digests_for("console")] == [second.url]


async def test_a_follow_does_not_bring_back_what_a_subscribed_feeds_filter_turned_away(
    core: Core, chat: ChatRecord
) -> None:
    app, console = core
    journal = await add_feed(app, "journal")
    await subscribe(app, chat, journal)
    await ask(console, "/filtre 1 +sport")
    await ask(console, "/suivre CNIL")
    await publish(app, journal, make_digest("La CNIL sanctionne Datalix", actors=[CNIL]))
    await app.dispatcher.run_once()
    assert console.digests_for("console") == []
