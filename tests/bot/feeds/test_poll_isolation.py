"""Each feed's poll is its own failure domain: one poisoned feed never stops the others' digests.

Real cycles: a feed server on 127.0.0.1, the real core and SQLite file, a console chat. The
three reproduced poisons (surrogate-pair references in an RSS title, `<link>http://[oops`,
a JSON Feed lone surrogate) are repaired and delivered; a parser or a store step that raises
anything at all is recorded as that feed's error (backoff, then pause and notice after three
days) while every other feed is delivered in the same cycle.
"""

from __future__ import annotations

import asyncio
import builtins
import json
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.console import ConsoleAdapter
from bot.app import Veille
from bot.compose import build
from bot.errors import FeedParseError, VeilleError
from bot.feeds import pipeline as pipeline_module
from bot.feeds.parse import parse_feed
from bot.models import FeedRecord, ParsedFeed, utcnow
from tests.support.core import Item, legal_body, make_settings, rss, running_core
from tests.support.http import FeedServer
from tests.support.sqlite_rows import make_feed_due, set_first_error_at, stored_entries

RSS = "application/rss+xml"
# Invented items on five unrelated cases, so same-story detection keeps them apart.
BODIES = {
    "emojix": (
        "<p>L'hôpital d'Emojix a été visé par un rançongiciel qui a paralysé ses urgences pendant "
        "trois jours. Les pirates réclament une rançon en cryptomonnaie.</p><p>Le parquet de Lille "
        "a saisi la section cybercriminalité, et les patients ont été redirigés vers les "
        "établissements voisins. La direction assure qu'aucun dossier médical n'a été publié, "
        "mais l'Agence régionale de santé a demandé un audit complet des sauvegardes et des accès "
        "distants utilisés par les prestataires informatiques de l'établissement.</p>"
    ),
    "lienix": (
        "<p>L'Autorité de la concurrence a infligé une amende de douze millions d'euros à Lienix et "
        "à deux fabricants de câbles pour une entente sur les prix.</p><p>Pendant six ans, les trois "
        "sociétés se seraient réparti les appels d'offres des opérateurs de réseaux, selon la "
        "décision publiée jeudi. Lienix, qui a coopéré au titre de la procédure de clémence, voit "
        "sa sanction réduite de moitié et annonce qu'elle ne fera pas appel devant la cour d'appel "
        "de Paris, contrairement à ses deux concurrents qui contestent les calculs.</p>"
    ),
    "jsonix": (
        "<p>Le conseil de prud'hommes de Nantes a jugé sans cause réelle et sérieuse le licenciement "
        "d'une développeuse de Jsonix, congédiée après avoir signalé des failles de sécurité.</p>"
        "<p>Les juges retiennent la qualité de lanceuse d'alerte de la salariée et condamnent "
        "l'éditeur de logiciels à lui verser quarante mille euros de dommages et intérêts. Son "
        "avocat salue une décision qui rappelle que la loi Sapin II protège aussi les signalements "
        "internes faits de bonne foi, même lorsqu'ils dérangent la direction commerciale.</p>"
    ),
    "bonneval": (
        "<p>Le maire de Bonneval est renvoyé devant le tribunal correctionnel pour favoritisme dans "
        "l'attribution d'un marché de voirie de quatre millions d'euros.</p><p>Selon l'ordonnance "
        "des juges d'instruction, le cahier des charges aurait été rédigé sur mesure pour une "
        "entreprise dirigée par un proche de l'élu. Celui-ci conteste toute irrégularité et dénonce "
        "une procédure lancée par ses opposants. Le procès devrait se tenir au printemps, et la "
        "commune s'est constituée partie civile pour obtenir réparation du surcoût des travaux.</p>"
    ),
    "amendix": (
        "<p>La CNIL a sanctionné le site de vente en ligne Amendix pour avoir déposé des cookies "
        "publicitaires sans le consentement de ses visiteurs.</p><p>La formation restreinte relève "
        "que le bouton de refus était caché sous plusieurs écrans, alors que l'acceptation tenait "
        "en un clic. L'amende reste sous le seuil de dix mille euros car la société a corrigé son "
        "bandeau dès le contrôle, mais la décision est rendue publique pour avertir les autres "
        "commerçants qui utilisent le même module de gestion du consentement.</p>"
    ),
}
GOOD = Item("ok1", "Favoritisme : le maire de Bonneval renvoyé en correctionnelle", BODIES["bonneval"])
AMENDE = "Amende < 10 000 € si x > 3 : la CNIL tranche"


def raw_rss(title: str, link: str, body: str, guid: str) -> bytes:
    """An RSS feed written by hand, so a poisoned title or link reaches the wire unescaped."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Flux</title>'
        f"<link>https://poison.example.org/</link><item><title>{title}</title><link>{link}</link>"
        f'<guid isPermaLink="false">{guid}</guid><description><![CDATA[{body}]]></description></item>'
        "</channel></rss>"
    ).encode()


async def subscribe_directly(app: Veille, *urls: str) -> list[FeedRecord]:
    """Store feeds and the console chat's subscriptions, so the next cycle's poll is the first."""
    chat = await app.storage.chats.upsert("console", "console", "Console")
    feeds = []
    for url in urls:
        feed, _ = await app.storage.feeds.add(url)
        await app.storage.chats.subscribe(chat.id, feed.id)
        feeds.append(feed)
    return feeds


async def test_the_three_reproduced_poisons_are_repaired_stored_and_delivered(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    surrogate_refs = feed_server.set(
        "/emoji.xml",
        raw_rss("Rançongiciel &#55357;&#56832; à l'hôpital d'Emojix", "/articles/e1.html", BODIES["emojix"], "e1"),
        content_type=RSS,
    )
    bad_link = feed_server.set(
        "/link.xml",
        raw_rss("Entente sur les câbles : Lienix sanctionnée", "http://[oops", BODIES["lienix"], "l1"),
        content_type=RSS,
    )
    json_doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Flux JSON",
        "items": [{"id": "j1", "title": "\ud83d", "content_html": BODIES["jsonix"]}],
    }
    lone_surrogate = feed_server.set("/feed.json", json.dumps(json_doc).encode(), content_type="application/feed+json")
    amende = Item("ok2", AMENDE, BODIES["amendix"], date="Tue, 24 Nov 2026 10:00:00 GMT")
    good = feed_server.set("/good.xml", rss([GOOD, amende]), content_type=RSS)
    async with running_core(tmp_path) as (app, console):
        feeds = await subscribe_directly(app, surrogate_refs, bad_link, lone_surrogate, good)
        outcomes = await app.poll_once()
        stored = [await app.storage.feeds.get(f.id) for f in feeds]
        digests = console.digests_for("console")
    assert [o.status for o in outcomes] == ["new"] * 4, outcomes
    assert all(f is not None and f.consecutive_errors == 0 for f in stored)
    titles = sorted(d.title for d in digests)
    assert len(titles) == 5, titles
    assert "Rançongiciel \U0001f600 à l'hôpital d'Emojix" in titles
    assert "Entente sur les câbles : Lienix sanctionnée" in titles
    assert GOOD.title in titles
    assert AMENDE in titles  # item 6: "< 10 000 € si x >" is text, not a tag
    # The JSON item's only title was a lone surrogate: it gets one made from its text.
    assert any(t.startswith("Le conseil de prud'hommes de Nantes") for t in titles), titles


def failing_parser(bad_url: str, exc: BaseException) -> Callable[..., ParsedFeed]:
    """The real parser, except for one feed whose parse raises `exc`."""

    def parse(body: bytes, *, url: str, **kwargs: Any) -> ParsedFeed:
        if url == bad_url:
            raise exc
        return parse_feed(body, url=url, **kwargs)

    return parse


async def test_a_feed_whose_parser_raises_unexpectedly_backs_off_then_pauses_with_a_notice(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = feed_server.set("/bad.xml", rss([Item("b1", "Ignoré", legal_body("Ignorix"))]), content_type=RSS)
    good = feed_server.set("/good.xml", rss([GOOD]), content_type=RSS)
    monkeypatch.setattr(pipeline_module, "parse_feed", failing_parser(bad, RuntimeError("parser bug")))
    async with running_core(tmp_path) as (app, console):
        bad_feed, _ = await subscribe_directly(app, bad, good)
        before = utcnow()
        first = {o.feed_id: o for o in await app.poll_once()}
        after_one = await app.storage.feeds.get(bad_feed.id)
        assert after_one is not None
        assert first[bad_feed.id].status == "error"
        assert after_one.consecutive_errors == 1 and "parser bug" in (after_one.last_error or "")
        assert after_one.next_poll_at is not None and after_one.next_poll_at - before > timedelta(minutes=20)
        assert [d.title for d in console.digests_for("console")] == [GOOD.title]

        await set_first_error_at(app.storage, bad_feed.id, utcnow() - timedelta(days=4))
        await make_feed_due(app.storage, bad_feed.id)
        second = {o.feed_id: o for o in await app.poll_once()}
        paused = await app.storage.feeds.get(bad_feed.id)
        notices = [m.text for m in console.messages_for("console") if m.reply is not None]
    assert second[bad_feed.id].status == "paused"
    assert paused is not None and paused.status == "paused"
    assert any("mis en pause" in text and bad in text for text in notices), notices


async def test_a_store_step_that_raises_mid_transaction_records_only_that_feeds_error(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry SQLite cannot encode fails the store: the poll's ETag must not land without it."""
    bad = feed_server.set("/bad.xml", rss([Item("b1", "Ignoré", legal_body("Ignorix"))]), content_type=RSS, etag='"b1"')
    good = feed_server.set("/good.xml", rss([GOOD]), content_type=RSS)

    def parse(body: bytes, *, url: str, **kwargs: Any) -> ParsedFeed:
        parsed = parse_feed(body, url=url, **kwargs)
        if url != bad:
            return parsed
        poisoned = tuple(replace(e, title="\ud83d") for e in parsed.entries)  # past the parser's guard
        return replace(parsed, entries=poisoned)

    monkeypatch.setattr(pipeline_module, "parse_feed", parse)
    async with running_core(tmp_path) as (app, console):
        bad_feed, _ = await subscribe_directly(app, bad, good)
        outcomes = {o.feed_id: o for o in await app.poll_once()}
        stored = await app.storage.feeds.get(bad_feed.id)
        entries = await stored_entries(app.storage, bad_feed.id)
        digests = console.digests_for("console")
    assert outcomes[bad_feed.id].status == "error"
    assert stored is not None and stored.consecutive_errors == 1
    assert stored.etag is None and not entries  # the whole poll rolled back: the next one is a 200
    assert [d.title for d in digests] == [GOOD.title]


async def test_when_even_recording_the_error_fails_the_other_feeds_are_delivered(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = feed_server.set("/bad.xml", rss([Item("b1", "Ignoré", legal_body("Ignorix"))]), content_type=RSS)
    good = feed_server.set("/good.xml", rss([GOOD]), content_type=RSS)
    monkeypatch.setattr(pipeline_module, "parse_feed", failing_parser(bad, KeyError("boom")))
    async with running_core(tmp_path) as (app, console):
        await subscribe_directly(app, bad, good)

        async def broken(*args: Any, **kwargs: Any) -> FeedRecord:
            raise sqlite3.DatabaseError("database disk image is malformed")

        monkeypatch.setattr(app.storage.feeds, "record_poll_error", broken)
        monkeypatch.setattr(app.storage.feeds, "record_polls", broken)  # the cycle's batched errors
        outcomes = await app.poll_once()
        digests = console.digests_for("console")
    assert sorted(o.status for o in outcomes) == ["error", "new"]
    assert [d.title for d in digests] == [GOOD.title]


async def test_a_cycle_whose_polling_fails_still_digests_and_delivers_stored_entries(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = feed_server.set("/good.xml", rss([GOOD]), content_type=RSS)
    async with running_core(tmp_path) as (app, console):
        (feed,) = await subscribe_directly(app, good)
        parsed = parse_feed(rss([GOOD]), url=good)
        await app.storage.entries.add(feed.id, parsed.entries)  # stored, not digested yet (a crash)

        async def broken(*args: Any) -> list[FeedRecord]:
            raise sqlite3.OperationalError("database is locked")

        monkeypatch.setattr(app.storage.feeds, "claim_due", broken)
        outcomes = await app.poll_once()
        digests = console.digests_for("console")
    assert outcomes == []
    assert [d.title for d in digests] == [GOOD.title]


# -- property: any exception from one feed's parser --------------------------------------------


def _raisable() -> list[type[BaseException]]:
    kinds: list[type[BaseException]] = [
        c for c in vars(builtins).values() if isinstance(c, type) and issubclass(c, Exception)
    ]
    return [*kinds, VeilleError, FeedParseError, sqlite3.Error, sqlite3.IntegrityError]


def _instance(kind: type[BaseException], message: str) -> BaseException:
    if issubclass(kind, UnicodeEncodeError):
        return UnicodeEncodeError("utf-8", message or "\ud83d", 0, 1, "surrogates not allowed")
    try:
        return kind(message)
    except TypeError:  # needs other arguments (UnicodeDecodeError, …)
        return RuntimeError(f"{kind.__name__}: {message}")


# Messages may carry what poisoned the feed: lone surrogates and controls included.
MESSAGE = st.text(
    st.characters() | st.integers(min_value=0xD800, max_value=0xDFFF).map(chr) | st.just("\x00"), max_size=40
)
EXCEPTION = st.builds(_instance, st.sampled_from(_raisable()), MESSAGE)


async def _cycle_with_one_failing_parser(exc: BaseException, workdir: Path) -> tuple[list[str], int, str]:
    console = ConsoleAdapter(stream=StringIO())
    async with FeedServer() as server:
        bad = server.set("/bad.xml", rss([Item("b1", "Ignoré", legal_body("Ignorix"))]), content_type=RSS)
        good = server.set("/good.xml", rss([GOOD]), content_type=RSS)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(pipeline_module, "parse_feed", failing_parser(bad, exc))
            async with build(make_settings(workdir), [console]) as app:
                bad_feed, _ = await subscribe_directly(app, bad, good)
                await app.poll_once()
                stored = await app.storage.feeds.get(bad_feed.id)
    assert stored is not None
    return [d.title for d in console.digests_for("console")], stored.consecutive_errors, stored.status


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(EXCEPTION)
def test_any_exception_from_one_feeds_parser_leaves_the_other_feeds_digests_delivered(
    exc: BaseException,
) -> None:
    with tempfile.TemporaryDirectory(prefix="veille-prop-") as workdir:
        titles, errors, status = asyncio.run(_cycle_with_one_failing_parser(exc, Path(workdir)))
    assert titles == [GOOD.title]
    assert errors == 1 and status == "active"
