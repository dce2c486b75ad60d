"""OPML on Telegram: /exporter sends a document, /importer reads one (getFile), via the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.telegram import TelegramAdapter
from adapters.telegram_pacing import Limits
from bot.app import Veille
from bot.compose import build
from bot.models import Attachment, Reply, ReplyItem, utcnow
from bot.opml.document import MAX_OPML_BYTES, OpmlFeed, read_opml, write_opml
from tests.support.core import Item, legal_body, make_settings, rss
from tests.support.http import FeedServer
from tests.support.telegram_api import TOKEN, FakeBotAPI

FAST = Limits(per_second=30, chat_interval=0.05, group_limit=20, group_period=60.0)
ALICE = 1111


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


def two_feeds(feed_server: FeedServer) -> list[OpmlFeed]:
    feeds = []
    for name, title in (("greffe", "La Gazette du Greffe"), ("cnil", "Veille CNIL")):
        items = [Item(f"{name}-1", f"Article {name}", legal_body(f"la société {name.title()}"))]
        url = feed_server.set(f"/{name}.xml", rss(items, title=title), content_type="application/rss+xml")
        feeds.append(OpmlFeed(url, title))
    return feeds


async def stored_urls(app: Veille, chat_id: int) -> list[str]:
    chat = await app.storage.chats.get("telegram", str(chat_id))
    return [] if chat is None else [feed.url for feed in await app.storage.chats.subscriptions(chat.id)]


async def test_exporter_uploads_an_opml_document_with_a_french_caption(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI
) -> None:
    app, _ = running
    chat = await app.storage.chats.upsert("telegram", str(ALICE), "Alice")
    feed, _ = await app.storage.feeds.add("https://greffe.example.test/rss", "La Gazette du Greffe & co")
    await app.storage.chats.subscribe(chat.id, feed.id)
    api.command("/export", chat_id=ALICE)
    [document] = await api.wait_documents(1)
    assert document.chat_id == ALICE
    assert document.filename.startswith("veille-abonnements-") and document.filename.endswith(".opml")
    assert document.caption is not None and document.caption.startswith("Vos 1 abonnement au format OPML")
    assert read_opml(document.data) == [OpmlFeed("https://greffe.example.test/rss", "La Gazette du Greffe & co")]
    assert api.sent_to(ALICE) == []  # the caption carries the text: one message, not two


async def test_a_document_captioned_importer_subscribes_to_its_feeds(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI, feed_server: FeedServer
) -> None:
    app, _ = running
    feeds = two_feeds(feed_server)
    api.document(write_opml(feeds, title="Export", created=utcnow()), chat_id=ALICE, caption="/importer")
    [reply] = await api.wait_sent(1, chat_id=ALICE)
    assert reply.text.startswith("Import OPML : 2 flux lus — 2 ajoutés, 0 déjà présent, 0 refusé.")
    assert "La Gazette du Greffe" in reply.text and "Veille CNIL" in reply.text
    assert await stored_urls(app, ALICE) == [f.url for f in feeds]
    assert len(api.method_calls("getFile")) == 1


async def test_importer_sent_as_a_reply_to_a_document_reads_that_document(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI, feed_server: FeedServer
) -> None:
    app, _ = running
    feeds = two_feeds(feed_server)
    message = api.document(write_opml(feeds[:1], title="Export", created=utcnow()), chat_id=ALICE)
    api.reply_command("/import", to=message)
    [reply] = await api.wait_sent(1, chat_id=ALICE)
    assert "1 ajouté" in reply.text
    assert await stored_urls(app, ALICE) == [feeds[0].url]


async def test_a_document_declared_too_large_is_refused_without_downloading_it(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI, feed_server: FeedServer
) -> None:
    app, _ = running
    data = write_opml(two_feeds(feed_server), title="Export", created=utcnow())
    api.document(data, chat_id=ALICE, caption="/importer", declared_size=3 * MAX_OPML_BYTES)
    [reply] = await api.wait_sent(1, chat_id=ALICE)
    assert reply.text.startswith("Fichier trop volumineux (1536 Ko) : 512 Ko au plus")
    assert api.method_calls("getFile") == []
    assert await stored_urls(app, ALICE) == []


async def test_a_document_that_lies_about_its_size_is_refused_on_its_bytes(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI
) -> None:
    app, _ = running
    api.document(b"<opml>" + b" " * MAX_OPML_BYTES + b"</opml>", chat_id=ALICE, caption="/importer", declared_size=100)
    [reply] = await api.wait_sent(1, chat_id=ALICE)
    assert reply.text.startswith("Fichier trop volumineux")
    assert await stored_urls(app, ALICE) == []


async def test_a_document_that_is_not_xml_gets_a_french_error_and_nothing_changes(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI
) -> None:
    app, _ = running
    api.document(b"\x89PNG\r\n\x1a\n binary", chat_id=ALICE, filename="photo.png", caption="/importer")
    [reply] = await api.wait_sent(1, chat_id=ALICE)
    assert "n'est pas un document XML lisible" in reply.text
    assert await stored_urls(app, ALICE) == []


async def test_importer_without_a_document_says_how_to_send_one(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI
) -> None:
    api.command("/importer", chat_id=ALICE)
    [reply] = await api.wait_sent(1, chat_id=ALICE)
    assert reply.text.startswith("Il manque le fichier OPML : envoyez le fichier .opml en document")


async def test_a_reply_with_items_and_a_file_sends_its_text_then_the_document(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI
) -> None:
    _, adapter = running
    reply = Reply(
        "Voici vos flux :",
        items=(ReplyItem("Greffe", "https://greffe.example.test/rss"),),
        file=Attachment("flux.opml", b"<opml/>", "text/x-opml"),
    )
    await adapter.send_reply(str(ALICE), reply)
    [message] = await api.wait_sent(1, chat_id=ALICE)
    [document] = await api.wait_documents(1)
    assert message.text.startswith("Voici vos flux :")
    assert (document.filename, document.data, document.caption) == ("flux.opml", b"<opml/>", None)
