"""OPML on Discord: /exporter answers with an attachment, /importer takes one, via the fake Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord import DiscordAdapter
from bot.app import Veille
from bot.compose import build
from bot.models import Attachment, Reply, utcnow
from bot.opml.document import MAX_OPML_BYTES, OpmlFeed, read_opml, write_opml
from tests.support.core import Item, legal_body, make_settings, rss
from tests.support.discord_fake import CHANNEL_ID, MEMBER_ID, TOKEN, FakeDiscord
from tests.support.http import FeedServer


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    before = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    async with FakeDiscord() as server:
        yield server
    assert (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY) == before


@pytest.fixture
async def running(tmp_path: Path, fake: FakeDiscord) -> AsyncIterator[tuple[Veille, DiscordAdapter]]:
    adapter = DiscordAdapter(
        TOKEN, api_url=fake.api_url, gateway_url=fake.gateway_url, guild_ready_timeout=0.05, ready_timeout=10.0
    )
    async with build(make_settings(tmp_path), [adapter]) as app:
        yield app, adapter


def one_feed(feed_server: FeedServer) -> OpmlFeed:
    items = [Item("g-1", "Article du greffe", legal_body("la société Greffix"))]
    url = feed_server.set("/greffe.xml", rss(items, title="La Gazette du Greffe"), content_type="application/rss+xml")
    return OpmlFeed(url, "La Gazette du Greffe")


async def stored_urls(app: Veille) -> list[str]:
    chat = await app.storage.chats.get("discord", str(CHANNEL_ID))
    return [] if chat is None else [feed.url for feed in await app.storage.chats.subscriptions(chat.id)]


async def test_importer_is_synced_with_a_required_attachment_option(
    running: tuple[Veille, DiscordAdapter], fake: FakeDiscord
) -> None:
    by_name = {c["name"]: c for c in fake.syncs[-1][1]}
    [option] = by_name["importer"]["options"]
    assert (option["name"], option["type"], option["required"]) == ("fichier", 11, True)
    assert by_name["importer"]["name_localizations"]["en-US"] == "import"
    assert by_name["exporter"].get("options", []) == []


async def test_exporter_answers_with_the_opml_file_attached(
    running: tuple[Veille, DiscordAdapter], fake: FakeDiscord
) -> None:
    app, _ = running
    chat = await app.storage.chats.upsert("discord", str(CHANNEL_ID), "#veille-juridique")
    feed, _ = await app.storage.feeds.add("https://greffe.example.test/rss", "La Gazette du Greffe")
    await app.storage.chats.subscribe(chat.id, feed.id)
    answer = await fake.wait_for_callback(await fake.slash("exporter"))
    assert answer["type"] == 4
    assert answer["data"]["content"].startswith("Vos 1 abonnement au format OPML")
    [file] = answer["_files"]
    assert file["filename"].endswith(".opml")
    assert read_opml(file["data"]) == [OpmlFeed("https://greffe.example.test/rss", "La Gazette du Greffe")]


async def test_importer_downloads_the_attachment_and_subscribes_the_channel(
    running: tuple[Veille, DiscordAdapter], fake: FakeDiscord, feed_server: FeedServer
) -> None:
    app, _ = running
    feed = one_feed(feed_server)
    data = write_opml([feed], title="Export", created=utcnow())
    answer = await fake.wait_for_callback(await fake.slash_with_file("importer", "fichier", data), timeout=20)
    assert answer["data"]["content"].startswith("Import OPML : 1 flux lu — 1 ajouté, 0 déjà présent, 0 refusé.")
    assert "La Gazette du Greffe" in answer["data"]["embeds"][0]["description"]
    assert await stored_urls(app) == [feed.url]
    assert len(fake.downloads) == 1


async def test_an_attachment_declared_too_large_is_refused_without_download(
    running: tuple[Veille, DiscordAdapter], fake: FakeDiscord, feed_server: FeedServer
) -> None:
    app, _ = running
    data = write_opml([one_feed(feed_server)], title="Export", created=utcnow())
    interaction = await fake.slash_with_file("importer", "fichier", data, declared_size=MAX_OPML_BYTES + 1)
    answer = await fake.wait_for_callback(interaction)
    assert answer["data"]["content"].startswith("Fichier trop volumineux")
    assert fake.downloads == [] and await stored_urls(app) == []


async def test_an_attachment_that_is_not_opml_gets_a_french_error(
    running: tuple[Veille, DiscordAdapter], fake: FakeDiscord
) -> None:
    app, _ = running
    rss_file = b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>'
    answer = await fake.wait_for_callback(await fake.slash_with_file("importer", "fichier", rss_file))
    assert "n'est pas un OPML (son élément racine est <rss>" in answer["data"]["content"]
    assert await stored_urls(app) == []


async def test_a_plain_member_may_export_but_not_import(
    running: tuple[Veille, DiscordAdapter], fake: FakeDiscord, feed_server: FeedServer
) -> None:
    app, _ = running
    data = write_opml([one_feed(feed_server)], title="Export", created=utcnow())
    answer = await fake.wait_for_callback(await fake.slash_with_file("importer", "fichier", data, user_id=MEMBER_ID))
    assert "seuls les administrateurs" in answer["data"]["content"]
    assert fake.downloads == [] and await stored_urls(app) == []


async def test_a_reply_with_a_file_posted_in_the_channel_is_one_multipart_message(
    running: tuple[Veille, DiscordAdapter], fake: FakeDiscord
) -> None:
    _, adapter = running
    await adapter.send_reply(str(CHANNEL_ID), Reply("Export du jour", file=Attachment("flux.opml", b"<opml/>")))
    [message] = await fake.wait_for_messages(CHANNEL_ID)
    assert message["content"] == "Export du jour"
    assert [(f["filename"], f["data"]) for f in message["_files"]] == [("flux.opml", b"<opml/>")]
