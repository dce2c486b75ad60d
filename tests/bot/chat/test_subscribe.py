"""Subscribing and unsubscribing through the console chat, with a running core."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from bot.french import of_name
from tests.support.core import Item, legal_body, rss, running_core
from tests.support.http import FeedServer


async def test_the_first_digest_after_abonner_arrives_within_seconds_not_at_the_next_tick(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    url = feed_server.set(
        "/feed.xml", rss([Item("a1", "Fuite chez Assurix", legal_body("la société Assurix"))]),
        content_type="application/rss+xml",
    )
    async with running_core(tmp_path) as (app, console):
        assert app.tick.total_seconds() >= 60
        app.start_background()
        await asyncio.sleep(0.5)  # the first tick has run: the next one is a minute away
        reply = await console.command(f"/abonner {url}")
        assert reply is not None and "Abonnement ajouté" in reply.text
        start = time.monotonic()
        while not console.digests_for("console") and time.monotonic() - start < 30:
            await asyncio.sleep(0.1)
        assert [d.title for d in console.digests_for("console")] == ["Fuite chez Assurix"]


async def test_unsubscribing_names_the_feed_with_french_contractions(tmp_path: Path) -> None:
    async with running_core(tmp_path) as (app, console):
        chat = await app.storage.chats.upsert("console", "console", "Console")
        for title in ("Le Quotidien du Droit", "Les Échos du Palais", "Actu Juridique"):
            feed, _ = await app.storage.feeds.add(f"https://{len(title)}.example.test/rss", title)
            await app.storage.chats.subscribe(chat.id, feed.id)
        replies = [await console.command("/desabonner 1") for _ in range(3)]
    assert [r.text for r in replies if r is not None] == [
        "Désabonné du Quotidien du Droit.",
        "Désabonné des Échos du Palais.",
        "Désabonné d'Actu Juridique.",
    ]


@pytest.mark.parametrize(
    ("name", "phrase"),
    [
        ("Le Monde", "du Monde"),
        ("Les Échos", "des Échos"),
        ("La Croix", "de La Croix"),
        ("L'Express", "de L'Express"),
        ("Actu Juridique", "d'Actu Juridique"),
        ("Écho du Palais", "d'Écho du Palais"),
        ("Dalloz Actualité", "de Dalloz Actualité"),
        ("https://journal.example.test/rss", "de https://journal.example.test/rss"),
        ("Lequotidien", "de Lequotidien"),
    ],
)
def test_of_name_contracts_de_with_the_article_of_a_name(name: str, phrase: str) -> None:
    assert of_name(name) == phrase
