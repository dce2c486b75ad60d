"""Search: query syntax, French-aware matching, ranking, pagination — through the console chat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.console import ConsoleAdapter
from bot.app import Veille
from bot.errors import InputError
from bot.models import ChatRecord, Entry, Reply
from bot.search.search import parse_query
from bot.store.sqlite.search import fts_expression
from tests.support.core import Item, legal_body, rss, running_core
from tests.support.http import FeedServer
from tests.support.newsroom import add_feed, make_digest, publish, subscribe

Core = tuple[Veille, ConsoleAdapter]
NOW = datetime.now(UTC)


async def ask(console: ConsoleAdapter, line: str) -> Reply:
    reply = await console.command(line)
    assert reply is not None
    return reply


def titles(reply: Reply) -> list[str]:
    return [item.title for item in reply.items]


def test_query_parser_reads_words_phrases_actors_and_filters() -> None:
    query = parse_query('sanction "fuite de données" acteur:CNIL depuis:7j flux:2', now=NOW)
    assert query.words == ("sanction",)
    assert query.phrases == ("fuite de données",)
    assert query.actors == ("CNIL",)
    assert query.since == NOW - timedelta(days=7)
    assert query.feed_number == 2
    assert parse_query("since:48h fraude", now=NOW).since == NOW - timedelta(hours=48)
    assert parse_query('acteur:"Conseil d\'État"', now=NOW).actors == ("Conseil d'État",)
    assert fts_expression(parse_query("Condamnée à l'amende", now=NOW)) == '"condamn" AND "amend"'


@pytest.mark.parametrize(
    "text",
    ["foo:bar", '"fuite de', "depuis:demain", "flux:0", "flux:deux", "acteur:", "le la de", "https://x.fr"],
)
def test_invalid_syntax_raises_a_french_hint(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_query(text, now=NOW)
    assert "Syntaxe" in caught.value.french


@pytest.mark.parametrize("text", ["NEAR(cnil sanction)", "cnil OR amende*", "-cnil ^titre", "a:b:c", "cnil)"])
async def test_fts5_operators_typed_by_users_never_leak_an_fts5_error(core: Core, chat: ChatRecord, text: str) -> None:
    app, console = core
    reply = await ask(console, f"/recherche {text}")
    assert "fts5" not in reply.text.lower() and "syntax error" not in reply.text.lower()


async def test_french_forms_and_engine_aliases_find_digests(core: Core, chat: ChatRecord) -> None:
    app, console = core
    feed = await add_feed(app, "journal")
    await publish(app, feed, make_digest("Le dirigeant de Mutualis condamné pour escroquerie"))
    await publish(
        app,
        feed,
        make_digest(
            "Amende record pour une fuite de données de santé",
            "Le régulateur sanctionne la mutuelle.",
            actors=[("Commission nationale de l'informatique et des libertés", "CNIL")],
        ),
    )
    assert titles(await ask(console, "/recherche condamnée")) == ["Le dirigeant de Mutualis condamné pour escroquerie"]
    found = await ask(console, "/recherche cnil")
    assert titles(found) == ["Amende record pour une fuite de données de santé"]
    assert "CNIL" in found.items[0].detail  # says why: the actor's alias
    assert titles(await ask(console, "/recherche DONNEES")) == titles(found)  # case and accents folded


async def test_actor_filter_matches_actors_only(core: Core, chat: ChatRecord) -> None:
    app, console = core
    feed = await add_feed(app, "journal")
    await publish(app, feed, make_digest("Jean Dupont mis en examen", actors=[("Jean Dupont",)]))
    await publish(app, feed, make_digest("Réaction de l'avocat", "L'avocat de M. Dupont conteste."))
    assert titles(await ask(console, "/recherche acteur:Dupont")) == ["Jean Dupont mis en examen"]
    assert len((await ask(console, "/recherche dupont")).items) == 2


async def test_exact_phrase_keeps_word_order(core: Core, chat: ChatRecord) -> None:
    app, console = core
    feed = await add_feed(app, "journal")
    await publish(app, feed, make_digest("Le maire mis en examen pour favoritisme"))
    await publish(app, feed, make_digest("Examen du texte : la mise en place reportée"))
    assert titles(await ask(console, '/recherche "mise en examen"')) == ["Le maire mis en examen pour favoritisme"]


async def test_since_and_feed_filters_narrow_results(core: Core, chat: ChatRecord) -> None:
    app, console = core
    first, second = await add_feed(app, "premier"), await add_feed(app, "second")
    await subscribe(app, chat, first, second)
    await publish(app, first, make_digest("Escroquerie ancienne", published=NOW - timedelta(days=30)))
    await publish(app, second, make_digest("Escroquerie récente", published=NOW - timedelta(days=1)))
    assert titles(await ask(console, "/recherche escroquerie depuis:7j")) == ["Escroquerie récente"]
    assert titles(await ask(console, "/recherche escroquerie since:7d")) == ["Escroquerie récente"]
    assert len((await ask(console, "/recherche escroquerie depuis:60j")).items) == 2
    assert titles(await ask(console, "/recherche escroquerie flux:1")) == ["Escroquerie ancienne"]
    assert titles(await ask(console, "/recherche flux:2")) == ["Escroquerie récente"]
    assert "Pas d'abonnement n° 3" in (await ask(console, "/recherche escroquerie flux:3")).text


async def test_ranking_puts_title_matches_first_and_newer_first_among_equals(core: Core, chat: ChatRecord) -> None:
    app, console = core
    feed = await add_feed(app, "journal")
    old, recent = NOW - timedelta(days=60), NOW - timedelta(hours=2)
    for n in range(6):  # other news, so the searched words are rare as in a real index
        await publish(app, feed, make_digest(f"Audience n° {n} au tribunal", "Un jugement.", published=old))
    await publish(app, feed, make_digest("Affaire de Lunel", "Un rançongiciel.", published=old))
    await publish(app, feed, make_digest("Rançongiciel à Valmont", "Hôpital bloqué.", published=old))
    assert titles(await ask(console, "/recherche rançongiciel")) == [
        "Rançongiciel à Valmont",
        "Affaire de Lunel",
    ]
    # Two parties apart, so that these are two stories (one story would be shown once).
    await publish(app, feed, make_digest("Affaire ancienne", "Une extorsion.", actors=[("Alpha",)], published=old))
    await publish(app, feed, make_digest("Affaire récente", "Une extorsion.", actors=[("Beta",)], published=recent))
    assert titles(await ask(console, "/recherche extorsion")) == ["Affaire récente", "Affaire ancienne"]


async def test_pagination_buttons_walk_five_results_per_page(core: Core, chat: ChatRecord) -> None:
    app, console = core
    feed = await add_feed(app, "journal")
    for n in range(12):
        digest = make_digest(f"Blanchiment n° {n}", actors=[(f"Société {n}",)], published=NOW - timedelta(hours=n))
        await publish(app, feed, digest)  # one party each: twelve stories, not one
    page1 = await ask(console, "/recherche blanchiment")
    assert len(page1.items) == 5 and [b.label for b in page1.buttons] == ["Suivants ▶"]
    assert all(len(b.data.encode()) <= 64 for b in page1.buttons)
    page2 = await ask(console, "/" + page1.buttons[0].data)
    assert [b.label for b in page2.buttons] == ["◀ Précédents", "Suivants ▶"]
    page3 = await ask(console, "/" + page2.buttons[1].data)
    assert len(page3.items) == 2 and [b.label for b in page3.buttons] == ["◀ Précédents"]
    assert page3.text.startswith("Résultats 11–12")
    seen = titles(page1) + titles(page2) + titles(page3)
    assert len(set(seen)) == 12
    assert titles(await ask(console, "/" + page2.buttons[0].data)) == titles(page1)
    assert "expiré" in (await ask(console, "/recherche #zzzzz 2")).text


async def test_digests_stored_without_hooks_are_indexed_at_restart(tmp_path: Path) -> None:
    async with running_core(tmp_path) as (app, _console):
        feed = await add_feed(app, "journal")
        digest = make_digest("Perquisition au siège de la fédération de voile")
        entry = Entry(uid="crash-1", url=digest.url, title=digest.title)
        (entry_id,) = await app.storage.entries.add(feed.id, [entry])
        await app.storage.entries.store_digest(entry_id, digest)  # crash before the hooks ran
    async with running_core(tmp_path) as (app, console):
        assert titles(await ask(console, "/recherche perquisition")) == [digest.title]


@pytest.mark.slow
async def test_search_finds_a_digest_made_by_the_real_engine(tmp_path: Path, feed_server: FeedServer) -> None:
    feed = rss(
        [
            Item(
                "e2e-1",
                "Fuite de données chez Mutualis : enquête ouverte",
                legal_body("la mutuelle Mutualis"),
            )
        ],
        base=feed_server.url(""),
    )
    feed_server.set("/rss.xml", feed, content_type="application/rss+xml")
    async with running_core(tmp_path) as (app, console):
        await console.command(f"/abonner {feed_server.url('/rss.xml')}")
        await app.settle()
        reply = await ask(console, "/recherche acteur:CNIL enquête")
        assert titles(reply) == ["Fuite de données chez Mutualis : enquête ouverte"]


async def test_search_shows_a_story_once_with_every_feed_that_carried_it(core: Core, chat: ChatRecord) -> None:
    app, console = core
    journal, actu = await add_feed(app, "journal"), await add_feed(app, "actu")
    await subscribe(app, chat, journal, actu)
    summary = "La mutuelle Mutualis est sanctionnée après la fuite des données de santé de ses adhérents."
    for feed, source in ((journal, "Le Journal du Droit"), (actu, "Actu Juridique")):
        await publish(
            app,
            feed,
            make_digest(
                "La CNIL inflige une amende de 5 millions d'euros à Mutualis",
                summary,
                source=source,
                actors=[("CNIL",), ("Mutualis",)],
                url="https://presse.example.test/mutualis-amende",
            ),
        )
    reply = await ask(console, "/recherche Mutualis")
    assert len(reply.items) == 1
    assert "Le Journal du Droit" in reply.items[0].detail and "Actu Juridique" in reply.items[0].detail


async def test_search_lists_once_a_feed_subscribed_under_two_url_spellings(core: Core, chat: ChatRecord) -> None:
    app, console = core
    one, _ = await app.storage.feeds.add("https://journal.example.test/rss", "Le Journal du Droit")
    other, _ = await app.storage.feeds.add("https://journal.example.test/rss/", "Le Journal du Droit")
    await subscribe(app, chat, one, other)
    for feed in (one, other):
        await publish(
            app,
            feed,
            make_digest(
                "Le Conseil d'État suspend l'arrêté anti-mendicité de Valmont",
                "Le juge des référés estime que l'interdiction porte une atteinte grave à la liberté d'aller et venir.",
                source="Le Journal du Droit",
                actors=[("Conseil d'État",), ("Valmont",)],
                url="https://journal.example.test/articles/valmont",
            ),
        )
    reply = await ask(console, "/recherche mendicité")
    assert len(reply.items) == 1
    assert reply.items[0].detail.count("Le Journal du Droit") == 1


async def test_search_keeps_apart_two_stories_of_one_regulator(core: Core, chat: ChatRecord) -> None:
    app, console = core
    feed = await add_feed(app, "journal")
    await subscribe(app, chat, feed)
    for company in ("Mutualis", "Datapub"):
        await publish(app, feed, make_digest(f"La CNIL sanctionne {company}", "Une amende.", actors=[(company,)]))
    reply = await ask(console, "/recherche CNIL sanctionne")
    assert len(reply.items) == 2


async def test_search_dates_the_first_of_a_month_as_1er(core: Core, chat: ChatRecord) -> None:
    app, console = core
    feed = await add_feed(app, "journal")
    await subscribe(app, chat, feed)
    published = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    await publish(app, feed, make_digest("Mutualis condamnée", "Amende pour Mutualis.", published=published))
    reply = await ask(console, "/recherche Mutualis")
    assert reply.items[0].detail.startswith("1er décembre 2026")
