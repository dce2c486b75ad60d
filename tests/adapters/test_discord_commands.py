"""Discord commands always get an answer: Unicode digits, the accented name, a handler's bug.

End to end: the real discord.py client against `tests.support.discord_fake.FakeDiscord`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord import DiscordAdapter
from bot.app import Veille
from bot.chat.commands import INTERNAL_ERROR, CommandSpec
from bot.compose import build
from bot.models import ChatRecord, CommandContext, Reply
from tests.support.core import Item, legal_body, make_settings, rss
from tests.support.discord_fake import CHANNEL_ID, TOKEN, FakeDiscord
from tests.support.discord_markdown import discord_links
from tests.support.handlers import NoCommands
from tests.support.http import FeedServer

EPHEMERAL = 64


def adapter_for(fake: FakeDiscord) -> DiscordAdapter:
    return DiscordAdapter(
        TOKEN, api_url=fake.api_url, gateway_url=fake.gateway_url, guild_ready_timeout=0.05, ready_timeout=10.0
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    before = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    async with FakeDiscord() as server:
        yield server
    assert (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY) == before, "endpoints not restored"


@pytest.fixture
async def running(tmp_path: Path, fake: FakeDiscord) -> AsyncIterator[tuple[Veille, DiscordAdapter]]:
    adapter = adapter_for(fake)
    async with build(make_settings(tmp_path), [adapter]) as app:
        yield app, adapter


async def subscribe(fake: FakeDiscord, feed_server: FeedServer) -> None:
    feed = rss([Item("a", "Titre", legal_body("Datalix"))])
    url = feed_server.set("/droit.xml", feed, content_type="application/rss+xml")
    answer = await fake.wait_for_callback(await fake.slash("abonner", {"url": url}))
    assert answer["data"]["content"].startswith("Abonnement ajouté")


async def subscriptions(app: Veille) -> int:
    chat = await app.storage.chats.get("discord", str(CHANNEL_ID))
    assert chat is not None
    return len(await app.storage.chats.subscriptions(chat.id))


async def test_a_unicode_digit_argument_gets_a_french_answer(
    running: tuple[Veille, DiscordAdapter], fake: FakeDiscord, feed_server: FeedServer
) -> None:
    app, _ = running
    await subscribe(fake, feed_server)
    answer = await fake.wait_for_callback(await fake.slash("desabonner", {"flux": "²"}))
    assert answer["data"]["content"] == "Pas d'abonnement n° ². Voir /abonnements."
    assert answer["data"]["flags"] & EPHEMERAL
    assert await subscriptions(app) == 1


async def test_the_accented_name_is_shown_to_french_users_and_runs_the_command(
    running: tuple[Veille, DiscordAdapter], fake: FakeDiscord, feed_server: FeedServer
) -> None:
    app, _ = running
    _, commands = fake.syncs[-1]
    unsubscribe = next(c for c in commands if c["name"] == "desabonner")
    assert unsubscribe["name_localizations"]["fr"] == "désabonner"
    assert unsubscribe["name_localizations"]["en-US"] == "unsubscribe"
    assert all("fr" not in c.get("name_localizations", {}) for c in commands if c["name"] != "desabonner")
    await subscribe(fake, feed_server)
    # Discord sends the base name whatever the user typed; a button may carry the accented one.
    button = {"type": 2, "style": 2, "label": "Se désabonner", "custom_id": "veille:désabonner 1"}
    message = fake.message(CHANNEL_ID, {"content": "x", "components": [{"type": 1, "components": [button]}]})
    answer = await fake.wait_for_callback(await fake.click(message, button["custom_id"]))
    assert answer["data"]["content"].startswith("Désabonné d")  # du, des, d'…
    assert await subscriptions(app) == 0


async def broken(ctx: CommandContext, chat: ChatRecord) -> Reply:
    raise RuntimeError("handler bug")


async def test_a_failing_handler_gets_the_french_internal_error(
    running: tuple[Veille, DiscordAdapter], fake: FakeDiscord
) -> None:
    app, _ = running
    spec = next(s for s in app.commands.specs if s.name == "suivis")
    app.commands.register(spec, broken)
    answer = await fake.wait_for_callback(await fake.slash("suivis"))
    assert answer["data"]["content"] == INTERNAL_ERROR.text
    assert answer["data"]["flags"] & EPHEMERAL


HOSTILE = "Fuite chez Mutualis](https://evil.example/phish) [lire"


async def test_search_and_list_link_only_to_the_feeds_own_addresses(
    running: tuple[Veille, DiscordAdapter], fake: FakeDiscord, feed_server: FeedServer
) -> None:
    app, _ = running
    feed = rss([Item("m", HOSTILE, legal_body("la mutuelle Mutualis"))], title=HOSTILE)
    url = feed_server.set("/droit.xml", feed, content_type="application/rss+xml")
    await fake.wait_for_callback(await fake.slash("abonner", {"url": url}))
    await app.settle()
    for command, options in (("recherche", {"requete": "Mutualis"}), ("abonnements", {})):
        answer = await fake.wait_for_callback(await fake.slash(command, options))
        [embed] = answer["data"]["embeds"]
        targets = [target for _, target in discord_links(embed["description"])]
        assert targets == [feed_server.url("/articles/m.html") if command == "recherche" else url], command
        assert "evil.example" not in "".join(targets)


class ExplodingCommands(NoCommands):
    """A core whose entry point itself raises: the adapter's own net must answer."""

    specs = (CommandSpec("suivis", "following", "Lister les suivis", "List follows"),)

    async def __call__(self, ctx: CommandContext) -> Reply | None:
        raise RuntimeError("core bug")


async def test_an_exception_outside_the_core_still_gets_the_french_internal_error(fake: FakeDiscord) -> None:
    adapter = adapter_for(fake)
    await adapter.start(ExplodingCommands())
    try:
        answer = await fake.wait_for_callback(await fake.slash("suivis"))
    finally:
        await adapter.stop()
    assert answer["data"]["content"] == INTERNAL_ERROR.text
    assert answer["data"]["flags"] & EPHEMERAL
