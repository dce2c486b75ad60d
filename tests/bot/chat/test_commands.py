"""Every command answers: hostile arguments, accented names and a handler's own bug included."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator

import pytest
import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.console import ConsoleAdapter
from bot.app import Veille
from bot.chat.commands import INTERNAL_ERROR
from bot.feeds.fetch import Fetcher
from bot.logs import configure_logging
from bot.models import ChatRecord, CommandContext, Reply
from tests.support.core import Item, legal_body, rss
from tests.support.http import FeedServer
from tests.support.net import StaticResolver

UNICODE_DIGIT_COMMANDS = ["/desabonner ²", "/reprendre ²", "/nepassuivre ²", "/recherche cnil flux:²"]


def french_refusal(reply: Reply | None) -> str:
    """Return the reply's text, failing when there is none or when it is the internal-error reply."""
    assert reply is not None, "no answer at all"
    assert reply.text.strip(), "an empty answer"
    assert reply.text != INTERNAL_ERROR.text, "a handler raised"
    return reply.text


async def subscribed(app: Veille, console: ConsoleAdapter, feed_server: FeedServer) -> None:
    feed = rss([Item("a", "Titre", legal_body("Datalix"))])
    url = feed_server.set("/droit.xml", feed, content_type="application/rss+xml")
    reply = await console.command(f"/abonner {url}")
    assert reply is not None and reply.text.startswith("Abonnement ajouté"), reply
    await console.command("/suivre CNIL")


@pytest.mark.parametrize("line", UNICODE_DIGIT_COMMANDS)
async def test_a_unicode_digit_argument_gets_a_french_answer(
    core: tuple[Veille, ConsoleAdapter], feed_server: FeedServer, line: str
) -> None:
    app, console = core
    await subscribed(app, console, feed_server)
    text = french_refusal(await console.command(line))
    assert "²" in text or "numéro" in text.lower()
    chat = await app.storage.chats.get("console", "console")
    assert chat is not None and len(await app.storage.chats.subscriptions(chat.id)) == 1  # nothing removed


@pytest.mark.parametrize("line", ["/desabonner 9999999999999999999999", "/nepassuivre 1" + "0" * 40])
async def test_a_huge_number_is_refused_like_a_missing_one(core: tuple[Veille, ConsoleAdapter], line: str) -> None:
    _, console = core
    assert "Pas d" in french_refusal(await console.command(line))


async def test_fuseau_accepts_any_case_and_stores_the_canonical_name(core: tuple[Veille, ConsoleAdapter]) -> None:
    app, console = core
    assert french_refusal(await console.command("/fuseau europe/paris")) == "Fuseau horaire : Europe/Paris."
    assert french_refusal(await console.command("/fuseau AMERICA/MARTINIQUE")) == "Fuseau horaire : America/Martinique."
    chat = await app.storage.chats.get("console", "console")
    assert chat is not None and chat.timezone == "America/Martinique"


@pytest.mark.parametrize("zone", ["Europe", "America", "x" * 300, "Europe/" + "y" * 290, "../../../etc/passwd"])
async def test_fuseau_refuses_what_is_not_a_zone_in_french(core: tuple[Veille, ConsoleAdapter], zone: str) -> None:
    app, console = core
    assert "Fuseau inconnu" in french_refusal(await console.command(f"/fuseau {zone}"))
    chat = await app.storage.chats.get("console", "console")
    assert chat is not None and chat.timezone == "Europe/Paris"


@pytest.mark.parametrize("name", ["désabonner", "Désabonner", "DÉSABONNER", "dèsabonner"])
async def test_an_accented_command_name_is_an_alias(
    core: tuple[Veille, ConsoleAdapter], feed_server: FeedServer, name: str
) -> None:
    app, console = core
    await subscribed(app, console, feed_server)
    assert french_refusal(await console.command(f"/{name} 1")).startswith("Désabonné d")  # du, des, d'…
    chat = await app.storage.chats.get("console", "console")
    assert chat is not None and await app.storage.chats.subscriptions(chat.id) == []


def test_every_command_with_an_accented_french_name_has_it_as_alias(core: tuple[Veille, ConsoleAdapter]) -> None:
    app, _ = core
    written = {spec.name: spec.written_fr for spec in app.commands.specs if spec.written_fr}
    assert written == {"desabonner": "désabonner"}
    for spec in app.commands.specs:
        assert app.commands.canonical(spec.written_fr or spec.name) == spec.name


async def broken(ctx: CommandContext, chat: ChatRecord) -> Reply:
    raise RuntimeError("handler bug with a secret 123456789:AAFakeTokenForTestsOnly_abcdefghijkl")


async def test_a_failing_handler_gets_the_french_internal_error_and_a_logged_traceback(
    core: tuple[Veille, ConsoleAdapter], capsys: pytest.CaptureFixture[str]
) -> None:
    app, console = core
    spec = next(s for s in app.commands.specs if s.name == "suivis")
    app.commands.register(spec, broken)
    configure_logging(level="INFO")
    try:
        reply = await console.command("/suivis")
        err = capsys.readouterr().err
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers[:] = [logging.StreamHandler(io.StringIO())]
    assert reply is not None and reply.text.startswith("Une erreur interne est survenue")
    assert reply.text == INTERNAL_ERROR.text
    [line] = [line for line in err.splitlines() if "command.failed" in line]
    assert "level='error'" in line and "command='suivis'" in line and "platform='console'" in line
    assert "Traceback" in line and "RuntimeError" in line and "in broken" in line
    assert "AAFakeTokenForTestsOnly" not in line  # the traceback is scrubbed like the rest
    # The chat still works after the failure.
    assert french_refusal(await console.command("/aide")).startswith("Commandes de Veille")


# -- property: any argument to any command gets an answer ------------------------------------------

_PIECES = st.sampled_from(
    ["²", "١", "１", "1", "0", "2", "99999999999", "flux:", "flux:²", "flux:0", "depuis:", "depuis:9999m",
     "depuis:0001-01-01", "depuis:9999-12-31", "acteur:", "acteur:CNIL", '"', '"mise en examen"', "#abcde 2",
     "#zzzz 999", "off", "08:00", "25:99", "7h30", "Europe", "europe/paris", "UTC", "x" * 300, "@canalveille",
     "https://", "http://[oops", "ftp://x", "\x00", "\ud83d", "](https://evil.example)", "les deux", "both",
     "quotidien", "CNIL", "*", "-", "AND", "NEAR(", "é"]
)
_ARGS = st.lists(st.one_of(_PIECES, st.text(max_size=12)), max_size=5).map(" ".join)


@pytest.fixture
async def offline_core(core: tuple[Veille, ConsoleAdapter]) -> AsyncIterator[tuple[Veille, ConsoleAdapter]]:
    """The core with a fetcher whose resolver knows no name: /abonner fails fast, never dials out."""
    app, console = core
    fetcher = Fetcher(resolver=StaticResolver({}), total_timeout=2)
    await fetcher.start()
    await app.fetcher.close()  # the one it replaces: an open session left to the GC warns
    app.fetcher = app.subscriptions.fetcher = app.pipeline.fetcher = fetcher
    try:
        yield app, console
    finally:
        await fetcher.close()


_NAMES = sorted(
    {"abonner", "desabonner", "désabonner", "abonnements", "reprendre", "recherche", "quotidien", "fuseau",
     "mode", "suivre", "suivis", "nepassuivre", "aide", "start", "search", "unsubscribe", "timezone", "inconnue"}
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(_NAMES), args=_ARGS)
async def test_any_argument_to_any_command_gets_an_answer_and_never_raises(
    offline_core: tuple[Veille, ConsoleAdapter], name: str, args: str
) -> None:
    _, console = offline_core
    french_refusal(await console.command(f"/{name} {args}"))
