"""Telegram commands always get an answer: Unicode digits, accented names, a handler's bug.

End to end: the real PTB `Application` polls the fake Bot API (`tests.support.telegram_api`),
which marks a `bot_command` entity only where Telegram does (ASCII names), so an accented
command reaches the adapter as plain text, as it does in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.telegram import TelegramAdapter
from adapters.telegram_commands import parse_command
from adapters.telegram_pacing import Limits
from bot.app import Veille
from bot.chat.commands import INTERNAL_ERROR, CommandSpec
from bot.compose import build
from bot.models import ChatRecord, CommandContext, Reply
from tests.support.core import Item, legal_body, make_settings, rss
from tests.support.handlers import NoCommands
from tests.support.http import FeedServer
from tests.support.telegram_api import ADMIN, TOKEN, FakeBotAPI, SentMessage

FAST = Limits(per_second=30, chat_interval=0.05, group_limit=20, group_period=60.0)
ALICE = 1111
GROUP = -1001234567890


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def running(tmp_path: Path, api: FakeBotAPI) -> AsyncIterator[tuple[Veille, TelegramAdapter]]:
    settings = make_settings(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api.api_url)
    adapter = TelegramAdapter.from_settings(settings, poll_timeout=1, limits=FAST)
    async with build(settings, [adapter]) as app:
        yield app, adapter


async def ask(api: FakeBotAPI, text: str, *, chat_id: int, **options: Any) -> SentMessage:
    before = len(api.sent_to(chat_id))
    api.command(text, chat_id=chat_id, **options)
    return (await api.wait_sent(before + 1, chat_id=chat_id))[before]


async def subscribe(api: FakeBotAPI, feed_server: FeedServer, chat_id: int = ALICE) -> None:
    feed = rss([Item("a", "Titre", legal_body("Datalix"))])
    url = feed_server.set("/droit.xml", feed, content_type="application/rss+xml")
    assert (await ask(api, f"/abonner {url}", chat_id=chat_id)).text.startswith("Abonnement ajouté")


def test_the_fake_marks_command_entities_only_on_ascii_names_like_telegram(api: FakeBotAPI) -> None:
    api.command("/desabonner 1", chat_id=ALICE)
    api.command("/désabonner 1", chat_id=ALICE)
    plain, accented = (update["message"] for update in api.updates)
    assert plain["entities"] == [{"type": "bot_command", "offset": 0, "length": len("/desabonner")}]
    assert "entities" not in accented


async def test_a_unicode_digit_argument_gets_a_french_answer(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI, feed_server: FeedServer
) -> None:
    app, _ = running
    await subscribe(api, feed_server)
    answer = await ask(api, "/desabonner ²", chat_id=ALICE)
    assert answer.text == "Pas d'abonnement n° ². Voir /abonnements."
    chat = await app.storage.chats.get("telegram", str(ALICE))
    assert chat is not None and len(await app.storage.chats.subscriptions(chat.id)) == 1


async def test_an_accented_command_name_without_entity_is_run(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI, feed_server: FeedServer
) -> None:
    app, _ = running
    await subscribe(api, feed_server)
    answer = await ask(api, "/désabonner 1", chat_id=ALICE)
    assert answer.text.startswith("Désabonné d")  # du, des, d'…
    chat = await app.storage.chats.get("telegram", str(ALICE))
    assert chat is not None and await app.storage.chats.subscriptions(chat.id) == []


async def test_an_accented_command_in_a_group_is_answered_but_slash_text_is_not(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI
) -> None:
    api.set_member(GROUP, ALICE, ADMIN)
    reply = await ask(api, "/désabonner@veille_test_bot", chat_id=GROUP, user_id=ALICE, chat_type="supergroup")
    assert reply.text.startswith("Précisez lequel")  # an admin check passed, then the usage
    api.command("/été chaud", chat_id=GROUP, user_id=ALICE, chat_type="supergroup")
    api.command("/home/user/notes.txt", chat_id=GROUP, user_id=ALICE, chat_type="supergroup")
    last = api.command("/aide", chat_id=GROUP, user_id=ALICE, chat_type="supergroup")
    await api.wait_confirmed(last)
    await api.wait_sent(2, chat_id=GROUP)
    assert [m.text.split(" ", 1)[0] for m in api.sent_to(GROUP)] == ["Précisez", "Commandes"]


def test_parse_command_reads_accented_names() -> None:
    assert parse_command("/Désabonner@veille_test_bot 2", "veille_test_bot") == ("désabonner", "2", True)


async def broken(ctx: CommandContext, chat: ChatRecord) -> Reply:
    raise RuntimeError("handler bug")


async def test_a_failing_handler_gets_the_french_internal_error(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI
) -> None:
    app, _ = running
    spec = next(s for s in app.commands.specs if s.name == "suivis")
    app.commands.register(spec, broken)
    answer = await ask(api, "/suivis", chat_id=ALICE)
    assert answer.text == INTERNAL_ERROR.text
    assert answer.text.startswith("Une erreur interne est survenue")
    api.callback("suivis", chat_id=ALICE)  # the same handler behind a button
    await api.wait_for(lambda: bool(api.callback_answers), what="callback answer")
    assert api.callback_answers[0]["text"] == INTERNAL_ERROR.text


class ExplodingCommands(NoCommands):
    """A core whose entry point itself raises: the adapter's own net must answer."""

    specs = (CommandSpec("suivis", "following", "Lister les suivis", "List follows"),)

    async def __call__(self, ctx: CommandContext) -> Reply | None:
        raise RuntimeError("core bug")


async def test_an_exception_outside_the_core_still_gets_the_french_internal_error(
    tmp_path: Path, api: FakeBotAPI
) -> None:
    settings = make_settings(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api.api_url)
    adapter = TelegramAdapter.from_settings(settings, poll_timeout=1, limits=FAST)
    await adapter.start(ExplodingCommands())
    try:
        answer = await ask(api, "/suivis", chat_id=ALICE)
        api.callback("suivis 1", chat_id=ALICE)
        await api.wait_for(lambda: bool(api.callback_answers), what="callback answer")
    finally:
        await adapter.stop()
    assert answer.text == INTERNAL_ERROR.text
    assert api.callback_answers[0]["text"] == INTERNAL_ERROR.text
