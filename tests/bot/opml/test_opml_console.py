"""/exporter and /importer end to end in the console chat, against feeds on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from io import StringIO
from pathlib import Path

from adapters.console import ConsoleAdapter
from bot.app import Veille
from bot.chat.commands import FloodGuard
from bot.chat.subscribe import MAX_SUBSCRIPTIONS_PER_CHAT
from bot.compose import build
from bot.models import utcnow
from bot.opml.document import MAX_OPML_BYTES, OpmlFeed, read_opml, write_opml
from tests.support.core import Item, legal_body, make_settings, rss
from tests.support.http import FeedServer

SITE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Le Palais</title>
<link rel="alternate" type="application/rss+xml" title="Tout" href="/palais/rss.xml"></head>
<body><p>Bienvenue.</p></body></html>"""


@asynccontextmanager
async def console_core(tmp_path: Path, **overrides: object) -> AsyncIterator[tuple[Veille, ConsoleAdapter]]:
    console = ConsoleAdapter(stream=StringIO(), files_dir=tmp_path / "exports")
    async with build(make_settings(tmp_path, **overrides), [console]) as app:
        app.commands.flood = FloodGuard(limit=10_000)
        yield app, console


def serve_feeds(feed_server: FeedServer) -> dict[str, str]:
    feeds = {}
    for name, title in (("greffe", "La Gazette du Greffe"), ("cnil", "Veille CNIL")):
        items = [Item(f"{name}-1", f"Article du flux {name}", legal_body(f"la société {name.title()}"))]
        feeds[name] = feed_server.set(f"/{name}.xml", rss(items, title=title), content_type="application/rss+xml")
    feeds["palais"] = feed_server.set(
        "/palais/rss.xml",
        rss([Item("p1", "Audience au palais", legal_body("la société Palais"))], title="Le Palais"),
        content_type="application/rss+xml",
    )
    feeds["site"] = feed_server.set("/palais/", SITE, content_type="text/html; charset=utf-8")
    feeds["missing"] = feed_server.set("/gone.xml", "absent", status=404)
    return feeds


async def subscribe_without_fetching(app: Veille, url: str) -> None:
    chat = await app.storage.chats.upsert("console", "console", "Console")
    feed, _ = await app.storage.feeds.add(url, "Veille CNIL")
    await app.storage.chats.subscribe(chat.id, feed.id)


def opml_file(tmp_path: Path, feeds: list[OpmlFeed], name: str = "abonnements.opml") -> Path:
    path = tmp_path / name
    path.write_bytes(write_opml(feeds, title="Export d'un autre lecteur", created=utcnow()))
    return path


async def test_exporter_writes_an_opml_file_of_the_chats_feeds_in_order(tmp_path: Path) -> None:
    async with console_core(tmp_path) as (app, console):
        chat = await app.storage.chats.upsert("console", "console", "Console")
        for name, title in (("greffe", "La Gazette du Greffe"), ("cnil", "Veille « CNIL » & co")):
            feed, _ = await app.storage.feeds.add(f"https://{name}.example.test/rss", title)
            await app.storage.chats.subscribe(chat.id, feed.id)
        reply = await console.command("/export")
    assert reply is not None and "Vos 2 abonnements au format OPML" in reply.text
    shown = console.messages[-1]
    assert shown.file is not None and shown.file.parent == (tmp_path / "exports").resolve()
    assert f"Fichier enregistré : {shown.file}" in shown.text
    assert read_opml(shown.file.read_bytes()) == [
        OpmlFeed("https://greffe.example.test/rss", "La Gazette du Greffe"),
        OpmlFeed("https://cnil.example.test/rss", "Veille « CNIL » & co"),
    ]


async def test_a_second_export_the_same_day_does_not_overwrite_the_first(tmp_path: Path) -> None:
    async with console_core(tmp_path) as (app, console):
        chat = await app.storage.chats.upsert("console", "console", "Console")
        feed, _ = await app.storage.feeds.add("https://greffe.example.test/rss", "Greffe")
        await app.storage.chats.subscribe(chat.id, feed.id)
        await console.command("/exporter")
        await console.command("/exporter")
    files = [m.file for m in console.messages if m.file is not None]
    assert len(files) == 2 and files[0] != files[1] and all(f.exists() for f in files)


async def test_exporter_without_subscriptions_says_so_and_writes_nothing(tmp_path: Path) -> None:
    async with console_core(tmp_path) as (_, console):
        reply = await console.command("/exporter")
    assert reply is not None and reply.file is None and "Aucun abonnement à exporter" in reply.text
    assert not (tmp_path / "exports").exists()


async def test_importer_adds_feeds_discovers_sites_counts_known_ones_and_gives_refusal_reasons(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    urls = serve_feeds(feed_server)
    path = opml_file(
        tmp_path,
        [
            OpmlFeed(urls["greffe"], "La Gazette du Greffe"),
            OpmlFeed(urls["site"], "Le Palais (site)"),
            OpmlFeed(urls["cnil"], "Veille CNIL"),
            OpmlFeed(urls["missing"], "Flux disparu"),
            OpmlFeed("ftp://archives.example.test/flux", "Archives FTP"),
        ],
    )
    async with console_core(tmp_path) as (app, console):
        await subscribe_without_fetching(app, urls["cnil"])
        reply = await console.command(f"/importer {path}")
        await app.settle()
        chat = await app.storage.chats.upsert("console", "console", "Console")
        stored = [feed.url for feed in await app.storage.chats.subscriptions(chat.id)]
        queued = await app.storage.outbox.pending_count()
    assert reply is not None
    assert reply.text.startswith("Import OPML : 5 flux lus — 2 ajoutés, 1 déjà présent, 2 refusés.")
    assert [(i.title, i.detail) for i in reply.items] == [
        ("La Gazette du Greffe", "ajouté"),
        ("Le Palais (site)", "ajouté"),
        ("Veille CNIL", "déjà abonné"),
        ("Flux disparu", "refusé : Le site a répondu par une erreur 404"),
        ("Archives FTP", "refusé : Seules les adresses http:// et https:// sont acceptées"),
    ]
    assert stored == [urls["cnil"], urls["greffe"], urls["palais"]]  # the site's own feed, found on its page
    assert console.digests_for("console") == []  # imported feeds start with their next article
    assert queued == 0


async def test_importer_refuses_private_addresses_without_connecting(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    urls = serve_feeds(feed_server)
    path = opml_file(tmp_path, [OpmlFeed(urls["greffe"], "Greffe en local")])
    async with console_core(tmp_path, VEILLE_ALLOW_PRIVATE_URLS=False) as (app, console):
        reply = await console.command(f"/importer {path}")
        chat = await app.storage.chats.upsert("console", "console", "Console")
        assert await app.storage.chats.subscriptions(chat.id) == []
    assert reply is not None and "1 refusé" in reply.text
    assert reply.items[0].detail.startswith("refusé : Adresse refusée")
    assert feed_server.hits("/greffe.xml") == 0


async def test_importer_past_the_chat_cap_refuses_the_rest_without_fetching_them(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    urls = serve_feeds(feed_server)
    path = opml_file(tmp_path, [OpmlFeed(urls["greffe"], "Greffe"), OpmlFeed(urls["cnil"], "CNIL")])
    async with console_core(tmp_path) as (app, console):
        chat = await app.storage.chats.upsert("console", "console", "Console")
        for number in range(MAX_SUBSCRIPTIONS_PER_CHAT - 1):
            feed, _ = await app.storage.feeds.add(f"https://f{number}.example.test/rss", f"F{number}")
            await app.storage.chats.subscribe(chat.id, feed.id)
        reply = await console.command(f"/importer {path}")
    assert reply is not None and "1 ajouté, 0 déjà présent, 1 refusé" in reply.text
    limit = f"refusé : limite de {MAX_SUBSCRIPTIONS_PER_CHAT} abonnements par discussion atteinte"
    assert reply.items[1].detail == limit
    assert feed_server.hits("/cnil.xml") == 0


async def test_bad_files_get_a_french_error_and_change_nothing(tmp_path: Path, feed_server: FeedServer) -> None:
    urls = serve_feeds(feed_server)
    not_xml = tmp_path / "notes.opml"
    not_xml.write_text(f"Mes flux : {urls['greffe']}", encoding="utf-8")
    empty = tmp_path / "vide.opml"
    empty.write_text('<opml version="2.0"><body><outline text="Dossier"/></body></opml>', encoding="utf-8")
    huge = tmp_path / "enorme.opml"
    huge.write_bytes(b"<opml>" + b" " * MAX_OPML_BYTES + b"</opml>")
    async with console_core(tmp_path) as (app, console):
        await subscribe_without_fetching(app, urls["cnil"])
        replies = {
            name: await console.command(line)
            for name, line in (
                ("not_xml", f"/importer {not_xml}"),
                ("empty", f"/importer {empty}"),
                ("huge", f"/import {huge}"),
                ("absent", f"/importer {tmp_path / 'absent.opml'}"),
                ("no_path", "/importer"),
            )
        }
        chat = await app.storage.chats.upsert("console", "console", "Console")
        stored = [feed.url for feed in await app.storage.chats.subscriptions(chat.id)]
    texts = {name: reply.text if reply is not None else "" for name, reply in replies.items()}
    assert "n'est pas un document XML lisible" in texts["not_xml"]
    assert "Aucun flux dans ce fichier OPML" in texts["empty"]
    assert "Fichier trop volumineux (512 Ko) : 512 Ko au plus" in texts["huge"]
    assert texts["absent"] == f"Fichier introuvable : {tmp_path / 'absent.opml'}."
    assert texts["no_path"] == "Il manque le fichier OPML : donnez son chemin : /importer ~/abonnements.opml."
    assert stored == [urls["cnil"]]
    assert feed_server.hits("/greffe.xml") == 0


async def test_an_export_imported_in_another_chat_gives_it_the_same_feeds(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    urls = serve_feeds(feed_server)
    async with console_core(tmp_path) as (app, console):
        await console.command(f"/abonner {urls['greffe']}", chat_id="redaction")
        await console.command(f"/abonner {urls['site']}", chat_id="redaction")
        await app.settle()  # the feeds now have digests, which /abonner would post at once
        await console.command("/exporter", chat_id="redaction")
        exported = console.messages_for("redaction")[-1].file
        assert exported is not None
        reply = await console.command(f"/importer {exported}", chat_id="cabinet")
        await app.settle()
        assert len(console.digests_for("redaction")) == 2
        assert console.digests_for("cabinet") == []  # an import starts each feed with its next article
        feeds = {}
        for chat_id in ("redaction", "cabinet"):
            chat = await app.storage.chats.upsert("console", chat_id, "Console")
            feeds[chat_id] = [(f.url, f.title) for f in await app.storage.chats.subscriptions(chat.id)]
    assert reply is not None and "2 ajoutés" in reply.text
    assert feeds["cabinet"] == feeds["redaction"] == [
        (urls["greffe"], "La Gazette du Greffe"),
        (urls["palais"], "Le Palais"),
    ]
