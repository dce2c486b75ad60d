"""The Telegram adapter against a fake Bot API on 127.0.0.1, driven by the real PTB `Application`.

Only the far end is fake (`tests.support.telegram_api.FakeBotAPI`): python-telegram-bot polls
it, the real core answers, and feeds are served by the local `FeedServer`.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import structlog

from adapters.telegram import TelegramAdapter, parse_command
from adapters.telegram_pacing import Limits
from adapters.telegram_render import MAX_MESSAGE, render_digest, render_reply, split_html, utf16_len
from bot.app import Veille
from bot.compose import build
from bot.config import Settings
from bot.errors import ChatGoneError, ConfigError, RejectedError, RetryLaterError, SendError
from bot.models import Button, Reply, ReplyItem
from digests.model import Actor, Digest, LegalItem
from tests.support import sqlite_rows
from tests.support.core import Item, legal_body, make_settings, rss
from tests.support.handlers import NoCommands
from tests.support.http import FeedServer
from tests.support.telegram_api import ADMIN, BOT_ID, OWNER, TOKEN, FakeBotAPI, SentMessage, visible_text

# Telegram's limits, with a short per-chat interval so tests do not wait a second per reply.
FAST = Limits(per_second=30, chat_interval=0.05, group_limit=20, group_period=60.0)
GROUP = -1001234567890
ALICE, BOB, CLAIRE = 1111, 2222, 3333

ESCAPED_STORY = Item(
    "cnil-1",
    "Amende < 5 000 € & mise en demeure : la CNIL sanctionne Datalix",
    legal_body("la société Datalix"),
    date="Mon, 23 Nov 2026 10:00:00 GMT",
)
NEXT_STORY = Item(
    "cnil-2",
    "Fuite de données : le parquet de Paris ouvre une enquête sur Stockix",
    legal_body("la société Stockix"),
    date="Tue, 24 Nov 2026 08:00:00 GMT",
)


def sample_digest(**changes: Any) -> Digest:
    """An invented digest, as the engine would make it, with characters HTML must escape."""
    fields: dict[str, Any] = {
        "title": "Contrats <publics> & favoritisme : le PNF perquisitionne",
        "url": "https://actu-juridique.example/articles/pnf?id=1&src=rss",
        "published": datetime(2026, 3, 7, 9, 30, tzinfo=UTC),
        "source": "Actu & Droit (test)",
        "summary": "Le parquet national financier a perquisitionné la mairie de Villeneuve <b>hier</b>.",
        "actors": (
            Actor("parquet national financier", "organisation", "parquet/accusation"),
            Actor("mairie de Villeneuve", "organisation", "mis en cause"),
        ),
        "legal": (LegalItem("infraction", "favoritisme"), LegalItem("procédure", "perquisition")),
        "text": "Le PNF a perquisitionné la mairie de Villeneuve.",
    }
    fields.update(changes)
    return Digest(**fields)


def settings_for(tmp_path: Path, api: FakeBotAPI) -> Settings:
    return make_settings(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api.api_url)


def adapter_for(settings: Settings, **options: Any) -> TelegramAdapter:
    options.setdefault("limits", FAST)
    return TelegramAdapter.from_settings(settings, poll_timeout=1, **options)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def running(tmp_path: Path, api: FakeBotAPI) -> AsyncIterator[tuple[Veille, TelegramAdapter]]:
    """The real core with the Telegram adapter polling the fake Bot API."""
    settings = settings_for(tmp_path, api)
    adapter = adapter_for(settings)
    async with build(settings, [adapter]) as app:
        yield app, adapter


@pytest.fixture
async def feeds(feed_server: FeedServer) -> FeedServer:
    feed_server.set("/droit.xml", rss([ESCAPED_STORY]), content_type="application/rss+xml")
    return feed_server


async def ask(api: FakeBotAPI, text: str, *, chat_id: int, **options: Any) -> SentMessage:
    """Type a command in a chat and return the bot's (first) answer."""
    before = len(api.sent_to(chat_id))
    api.command(text, chat_id=chat_id, **options)
    return (await api.wait_sent(before + 1, chat_id=chat_id))[before]


async def delivered(app: Veille) -> None:
    """Digest what is pending and send what is due, as the background loops would."""
    await app.settle()


# -- commands --------------------------------------------------------------------------------------


async def test_start_publishes_french_commands_for_fr_and_english_aliases_by_default(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI
) -> None:
    app, _ = running
    french = {c["command"]: c["description"] for c in api.commands["fr"]}
    english = {c["command"]: c["description"] for c in api.commands[None]}
    assert {"start", "aide", "abonner", "desabonner", "abonnements", "reprendre"} <= set(french)
    assert french["abonner"].startswith("S'abonner")
    assert {"help", "subscribe", "unsubscribe", "list", "resume"} <= set(english)
    assert english["subscribe"].startswith("Subscribe")
    # Every command the core knows is in the menu, including those added by other features.
    assert set(french) == {spec.name for spec in app.commands.specs}
    assert api.method_calls("deleteWebhook"), "polling starts by removing any webhook"


async def test_start_welcomes_in_french_and_aide_lists_commands_with_aliases(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI
) -> None:
    welcome = await ask(api, "/start", chat_id=ALICE)
    assert welcome.parse_mode == "HTML"
    assert welcome.text.startswith("Bonjour ! Je suis Veille")
    assert "/abonner" in welcome.text
    help_text = (await ask(api, "/aide", chat_id=ALICE)).text
    assert "/abonner URL" in help_text and "(/subscribe)" in help_text
    assert (await ask(api, "/help", chat_id=ALICE)).text == help_text


async def test_command_with_bot_name_works_and_other_bots_commands_are_left_alone(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI
) -> None:
    reply = await ask(api, "/aide@veille_test_bot", chat_id=GROUP, user_id=ALICE, chat_type="supergroup")
    assert reply.text.startswith("Commandes de Veille")
    assert reply.reply_to is not None, "in a group the answer quotes the command"
    api.command("/aide@autre_bot", chat_id=GROUP, user_id=ALICE, chat_type="supergroup")
    api.command("/meteo Paris", chat_id=GROUP, user_id=ALICE, chat_type="supergroup")
    last = api.command("/abonnements", chat_id=GROUP, user_id=ALICE, chat_type="supergroup")
    await api.wait_sent(2, chat_id=GROUP)
    await api.wait_confirmed(last)
    assert len(api.sent_to(GROUP)) == 2, "commands of other bots get no answer in a group"


async def test_unknown_command_is_explained_in_french(running: tuple[Veille, TelegramAdapter], api: FakeBotAPI) -> None:
    reply = await ask(api, "/inconnue", chat_id=ALICE)
    assert reply.text.startswith("Commande inconnue : /inconnue")
    assert "/aide" in reply.text


async def test_bad_subscription_input_is_explained_in_french_and_nothing_is_stored(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI, feed_server: FeedServer
) -> None:
    app, _ = running
    feed_server.set("/page.html", "<html><body>Pas de flux ici</body></html>", content_type="text/html")
    assert (await ask(api, "/abonner", chat_id=ALICE)).text.startswith("Indiquez l'adresse d'un flux")
    assert "Aucun flux" in (await ask(api, f"/abonner {feed_server.url('/page.html')}", chat_id=ALICE)).text
    chat = await app.storage.chats.get("telegram", str(ALICE))
    assert chat is not None and await app.storage.chats.subscriptions(chat.id) == []


# -- digests ---------------------------------------------------------------------------------------


async def test_subscribe_then_digest_arrives_as_html_with_feed_text_escaped_and_article_preview(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI, feeds: FeedServer
) -> None:
    app, _ = running
    url = feeds.url("/droit.xml")
    confirmation = await ask(api, f"/subscribe {url}", chat_id=ALICE)
    assert confirmation.text.startswith("Abonnement ajouté")
    await delivered(app)
    [_, digest] = await api.wait_sent(2, chat_id=ALICE)
    assert digest.parse_mode == "HTML"
    assert "Amende &lt; 5 000 € &amp; mise en demeure" in digest.text
    assert "< 5" not in digest.text and "& mise" not in digest.text
    article = f"{feeds.base_url}/articles/cnil-1.html"
    assert f'<a href="{article}">' in digest.text
    assert digest.link_preview == {"url": article}
    assert utf16_len(digest.text) <= MAX_MESSAGE
    duplicate = await ask(api, f"/abonner {url}", chat_id=ALICE)
    assert "déjà abonnée" in duplicate.text


async def test_list_has_unsubscribe_buttons_that_route_back_as_commands(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI, feeds: FeedServer
) -> None:
    app, _ = running
    await ask(api, f"/abonner {feeds.url('/droit.xml')}", chat_id=ALICE)
    listing = await ask(api, "/list", chat_id=ALICE)
    assert listing.text.startswith("Abonnements de cette discussion (1)")
    assert listing.buttons == [("Se désabonner du n° 1", "desabonner 1")]
    api.callback("desabonner 1", chat_id=ALICE)
    await api.wait_for(lambda: bool(api.callback_answers), what="callback answer")
    assert api.callback_answers[0]["text"].startswith("Désabonné d")  # de, du, des, d'
    chat = await app.storage.chats.get("telegram", str(ALICE))
    assert chat is not None and await app.storage.chats.subscriptions(chat.id) == []


async def test_digest_render_escapes_every_field_and_fits_one_message() -> None:
    html = render_digest(sample_digest(), note="Suivi : <PNF> & co")
    assert "Contrats &lt;publics&gt; &amp; favoritisme" in html
    assert "Actu &amp; Droit (test) · 7 mars 2026 à 10:30" in html  # Paris time
    assert "&lt;b&gt;hier&lt;/b&gt;" in html
    assert '<a href="https://actu-juridique.example/articles/pnf?id=1&amp;src=rss">' in html
    assert "<i>Suivi : &lt;PNF&gt; &amp; co</i>" in html
    assert "• parquet national financier" in html
    assert "• Infraction : favoritisme" in html
    huge = render_digest(sample_digest(summary="Le juge & le parquet <enquêtent>. " * 500, title="T" * 5000))
    assert utf16_len(huge) <= MAX_MESSAGE
    assert huge.count("<b>") == huge.count("</b>") and "&amp" in huge
    assert render_digest(sample_digest(url="javascript:alert(1)")).count("<a ") == 0


async def test_long_reply_is_split_on_line_boundaries_with_buttons_under_the_last_part(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI
) -> None:
    _, adapter = running
    items = tuple(
        ReplyItem(f"{n}. Flux n° {n} <juridique> & co", f"https://flux.example/{n}.xml") for n in range(1, 201)
    )
    reply = Reply("Abonnements (200) :", items=items, buttons=(Button("Se désabonner du n° 1", "desabonner 1"),))
    chunks = render_reply(reply)
    assert len(chunks) > 1 and all(utf16_len(c) <= MAX_MESSAGE for c in chunks)
    assert "\n".join(chunks).count("\n") == 200, "no line was cut"
    await adapter.send_reply(str(BOB), reply)
    sent = await api.wait_sent(len(chunks), chat_id=BOB)
    assert [m.text for m in sent] == chunks
    assert [bool(m.buttons) for m in sent] == [False] * (len(chunks) - 1) + [True]


# -- groups and channels ---------------------------------------------------------------------------


async def test_only_group_admins_change_subscriptions_others_get_a_polite_french_refusal(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI, feeds: FeedServer
) -> None:
    app, _ = running
    api.set_member(GROUP, ALICE, ADMIN)
    url = feeds.url("/droit.xml")
    refusal = await ask(api, f"/abonner {url}", chat_id=GROUP, user_id=BOB, chat_type="supergroup")
    assert refusal.text.startswith("Désolé, seuls les administrateurs de ce groupe")
    assert refusal.reply_to is not None
    chat = await app.storage.chats.get("telegram", str(GROUP))
    assert chat is None or await app.storage.chats.subscriptions(chat.id) == []
    # Reading is for everyone; no admin check is needed for it.
    listing = await ask(api, "/abonnements", chat_id=GROUP, user_id=BOB, chat_type="supergroup")
    assert listing.text.startswith("Aucun abonnement")
    accepted = await ask(api, f"/abonner {url}", chat_id=GROUP, user_id=ALICE, chat_type="supergroup")
    assert accepted.text.startswith("Abonnement ajouté")
    asked = {(p["chat_id"], p["user_id"]) for p in api.method_calls("getChatMember")}
    assert asked == {(GROUP, BOB), (GROUP, ALICE)}


async def test_non_admin_pressing_an_unsubscribe_button_gets_a_private_toast(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI, feeds: FeedServer
) -> None:
    app, _ = running
    api.set_member(GROUP, ALICE, OWNER)
    await ask(api, f"/abonner {feeds.url('/droit.xml')}", chat_id=GROUP, user_id=ALICE, chat_type="supergroup")
    api.callback("desabonner 1", chat_id=GROUP, user_id=BOB, chat_type="supergroup")
    await api.wait_for(lambda: bool(api.callback_answers), what="callback answer")
    assert api.callback_answers[0]["text"].startswith("Désolé, seuls les administrateurs")
    chat = await app.storage.chats.get("telegram", str(GROUP))
    assert chat is not None and len(await app.storage.chats.subscriptions(chat.id)) == 1


async def test_group_upgraded_to_supergroup_keeps_its_subscriptions(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI, feeds: FeedServer
) -> None:
    app, _ = running
    old, new = -4242, -1009876543210
    api.set_member(old, ALICE, OWNER)
    await ask(api, f"/abonner {feeds.url('/droit.xml')}", chat_id=old, user_id=ALICE, chat_type="group")
    api.migrate(old, new)
    await api.wait_for(lambda: api.confirmed > 0 and not api.updates, what="migration processed")
    moved = await app.storage.chats.get("telegram", str(new))
    assert moved is not None and len(await app.storage.chats.subscriptions(moved.id)) == 1
    assert await app.storage.chats.get("telegram", str(old)) is None


async def test_send_to_a_migrated_group_follows_it_to_the_supergroup(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI
) -> None:
    app, adapter = running
    old, new = -5151, -1005151515151
    await app.storage.chats.upsert("telegram", str(old), "Rédaction")
    api.migrate_on_send(old, new)
    await adapter.send_digest(str(old), sample_digest())
    assert len(api.sent_to(new)) == 1
    assert await app.storage.chats.get("telegram", str(new)) is not None


async def test_channel_is_subscribed_from_a_private_chat_when_user_and_bot_are_its_admins(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI, feeds: FeedServer
) -> None:
    app, _ = running
    channel = -1007777777777
    api.add_chat(channel, "channel", "Veille juridique", username="veillejuridique")
    url = feeds.url("/droit.xml")
    refused = await ask(api, f"/abonner @veillejuridique {url}", chat_id=ALICE)
    assert refused.text.startswith("Seuls les administrateurs du canal @veillejuridique")
    api.set_member(channel, ALICE, OWNER)
    no_bot = await ask(api, f"/abonner @veillejuridique {url}", chat_id=ALICE)
    assert no_bot.text.startswith("Ajoutez d'abord @veille_test_bot comme administrateur")
    api.set_member(channel, BOT_ID, ADMIN)
    done = await ask(api, f"/abonner @veillejuridique {url}", chat_id=ALICE)
    assert done.text.startswith("Canal @veillejuridique — Abonnement ajouté")
    listing = await ask(api, "/abonnements @veillejuridique", chat_id=ALICE)
    assert listing.buttons == [("Se désabonner du n° 1", "desabonner @veillejuridique 1")]
    await delivered(app)
    [digest] = await api.wait_sent(1, chat_id=channel)
    assert "Amende &lt; 5 000 €" in digest.text
    private = await app.storage.chats.get("telegram", str(ALICE))
    assert private is None or await app.storage.chats.subscriptions(private.id) == []
    unknown = await ask(api, f"/abonner @inexistant {url}", chat_id=ALICE)
    assert unknown.text.startswith("Canal @inexistant introuvable")


# -- limits and failures ---------------------------------------------------------------------------


async def test_send_errors_map_to_the_core_errors(running: tuple[Veille, TelegramAdapter], api: FakeBotAPI) -> None:
    _, adapter = running
    api.fail(ALICE, 429, retry_after=7)
    with pytest.raises(RetryLaterError) as wait:
        await adapter.send_digest(str(ALICE), sample_digest())
    assert wait.value.retry_after == 7
    api.block(BOB)
    with pytest.raises(ChatGoneError):
        await adapter.send_digest(str(BOB), sample_digest())
    api.fail(CLAIRE, 400)  # "chat not found"
    with pytest.raises(ChatGoneError):
        await adapter.send_digest(str(CLAIRE), sample_digest())
    api.fail(4444, 500)
    with pytest.raises(SendError) as other:
        await adapter.send_digest("4444", sample_digest())
    assert not isinstance(other.value, ChatGoneError | RetryLaterError | RejectedError), "5xx can succeed later"


async def test_429_on_send_message_delivers_the_digest_exactly_once_after_the_wait(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI, feeds: FeedServer
) -> None:
    app, _ = running
    await ask(api, f"/abonner {feeds.url('/droit.xml')}", chat_id=ALICE)
    api.fail(ALICE, 429, retry_after=1)
    await delivered(app)
    assert len(api.sent_to(ALICE)) == 1, "only the confirmation so far"
    assert api.rejected == [(str(ALICE), 429)]
    assert await app.storage.outbox.pending_count() == 1, "the delivery is kept, not dropped"
    started = time.monotonic()
    while len(api.sent_to(ALICE)) < 2 and time.monotonic() - started < 10:
        await app.dispatcher.run_once()
        await asyncio.sleep(0.2)
    assert time.monotonic() - started >= 0.5, "the retry waited"
    await asyncio.sleep(0.3)
    await app.dispatcher.run_once()
    digests = [m for m in api.sent_to(ALICE) if "Datalix" in m.text]
    assert len(digests) == 1
    assert await app.storage.outbox.pending_count() == 0


async def test_403_marks_the_chat_inactive_others_still_get_digests_and_start_reactivates(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI, feeds: FeedServer
) -> None:
    app, _ = running
    url = feeds.url("/droit.xml")
    await ask(api, f"/abonner {url}", chat_id=ALICE)
    await ask(api, f"/abonner {url}", chat_id=BOB)
    await delivered(app)
    await api.wait_sent(2, chat_id=ALICE)
    await api.wait_sent(2, chat_id=BOB)
    api.block(ALICE)
    feeds.set("/droit.xml", rss([NEXT_STORY, ESCAPED_STORY]), content_type="application/rss+xml")
    await app.storage.feeds.make_all_due()
    await app.poll_once()
    [_, _, fresh] = await api.wait_sent(3, chat_id=BOB)
    assert "Stockix" in fresh.text
    alice = await app.storage.chats.get("telegram", str(ALICE))
    assert alice is not None and not alice.active
    assert len(await app.storage.chats.subscriptions(alice.id)) == 1, "subscriptions are kept"
    api.failures.clear()
    welcome = await ask(api, "/start", chat_id=ALICE)
    assert welcome.text.startswith("Bonjour")
    alice = await app.storage.chats.get("telegram", str(ALICE))
    assert alice is not None and alice.active


async def test_bot_removed_from_a_chat_marks_it_inactive_without_a_failed_send(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI
) -> None:
    app, _ = running
    await ask(api, "/start", chat_id=CLAIRE)
    api.kicked(CLAIRE)
    await api.wait_for(lambda: not api.updates and api.confirmed > 2, what="kick processed")

    async def inactive() -> bool:
        chat = await app.storage.chats.get("telegram", str(CLAIRE))
        return chat is not None and not chat.active

    deadline = time.monotonic() + 5
    while not await inactive() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert await inactive()


async def test_messages_to_one_chat_are_paced_and_a_full_group_window_hands_back_to_the_outbox(
    tmp_path: Path, api: FakeBotAPI
) -> None:
    limits = Limits(per_second=30, chat_interval=0.3, group_limit=2, group_period=30.0)
    settings = settings_for(tmp_path, api)
    adapter = adapter_for(settings, limits=limits)
    async with build(settings, [adapter]):
        for _ in range(3):
            await adapter.send_digest(str(ALICE), sample_digest())
        times = [m.at for m in api.sent_to(ALICE)]
        assert all(b - a >= 0.3 for a, b in zip(times, times[1:], strict=False))
        await adapter.send_digest(str(GROUP), sample_digest())
        await adapter.send_digest(str(GROUP), sample_digest())
        with pytest.raises(RetryLaterError) as wait:
            await adapter.send_digest(str(GROUP), sample_digest())
        assert 25 < wait.value.retry_after <= 30
        assert len(api.sent_to(GROUP)) == 2 and not api.rejected


async def delivery_rows(app: Veille) -> list[tuple[str, int, str | None]]:
    """Return (state, attempts, last_error) of every delivery, oldest first."""
    return [(row.state, row.attempts, row.last_error) for row in await sqlite_rows.delivery_rows(app.storage)]


async def test_html_telegram_cannot_parse_is_sent_once_as_plain_text_and_the_delivery_is_sent(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI, feeds: FeedServer
) -> None:
    app, _ = running
    await ask(api, f"/abonner {feeds.url('/droit.xml')}", chat_id=ALICE)
    refusal = "Bad Request: can't parse entities: Unsupported start tag"
    api.fail(ALICE, 400, description=refusal, times=None, html_only=True)
    await delivered(app)
    [_, digest] = await api.wait_sent(2, chat_id=ALICE)
    assert api.rejected == [(str(ALICE), 400)], "one refused HTML try, then one plain try"
    assert digest.parse_mode is None
    assert "Amende < 5 000 € & mise en demeure" in digest.text, "plain text, unescaped, no tags"
    assert "<b>" not in digest.text and "&amp;" not in digest.text
    assert f"{feeds.base_url}/articles/cnil-1.html" in digest.text, "the link survives as text"
    assert await delivery_rows(app) == [("sent", 1, None)]


async def test_digest_telegram_finds_too_long_is_split_at_item_boundaries(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI
) -> None:
    _, adapter = running
    sentence = "Le tribunal judiciaire de Nanterre a renvoyé l'affaire Datalix & Cie à l'automne. "
    digest = sample_digest(summary=sentence * 40)
    full = render_digest(digest, tz=adapter.tz)
    api.max_length = utf16_len(visible_text(full, "HTML")) - 1  # Telegram counts past what we measured
    await adapter.send_digest(str(ALICE), digest)
    pieces = api.sent_to(ALICE)
    assert api.rejected == [(str(ALICE), 400)], "one refused whole, then the pieces"
    assert len(pieces) >= 2 and all(m.parse_mode == "HTML" for m in pieces)
    assert all(utf16_len(m.text) <= utf16_len(full) // 2 for m in pieces)
    lines = [line for line in full.split("\n") if line.strip()]
    assert pieces[0].text.startswith(lines[0]), "the title comes first"
    assert pieces[-1].text.endswith(lines[-1]), "the legal points come last"
    shown = " ".join(" ".join(visible_text(m.text, "HTML").split()) for m in pieces)
    assert " ".join(visible_text(full, "HTML").split()) == shown, "nothing lost, nothing reordered"


async def test_unprompted_reply_telegram_cannot_parse_is_sent_as_plain_text_with_its_links(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI
) -> None:
    _, adapter = running
    reply = Reply(
        "Quotidien du 1er décembre : <2 articles> & plus",
        items=[ReplyItem("Amende < 10 000 € pour Datalix", url="https://juridique.example/a?x=1&y=2")],
        buttons=[Button("Se désabonner", "desabonner 1")],
    )
    api.fail(ALICE, 400, description="Bad Request: can't parse entities: Unsupported start tag", html_only=True)
    await adapter.send_reply(str(ALICE), reply)
    [message] = api.sent_to(ALICE)
    assert message.parse_mode is None and not message.buttons
    assert message.text.startswith("Quotidien du 1er décembre : <2 articles> & plus")
    assert "Amende < 10 000 € pour Datalix (https://juridique.example/a?x=1&y=2)" in message.text


def test_split_html_breaks_only_between_lines_or_spaces_never_inside_a_tag_or_entity() -> None:
    text = '<b><a href="https://x.example/?a=1&amp;b=2">Titre &amp; suite</a></b>\n' + "&lt;mot&gt;&amp; " * 300
    for limit in (40, 97, 500):
        pieces = split_html(text, limit)
        assert all(utf16_len(piece) <= limit for piece in pieces)
        for piece in pieces:
            visible_text(piece, "HTML")  # every piece parses on its own
            assert not re.search(r"&[a-z]*$", piece) and not re.match(r"^[a-z]*;", piece), "no entity cut"
        rejoined = " ".join(" ".join(visible_text(p, "HTML").split()) for p in pieces).split()
        assert rejoined == visible_text(text, "HTML").split(), "nothing lost, nothing reordered"


async def test_message_refused_in_both_forms_fails_at_once_with_telegrams_answer_logged_once(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI, feeds: FeedServer
) -> None:
    app, _ = running
    await ask(api, f"/abonner {feeds.url('/droit.xml')}", chat_id=ALICE)
    api.fail(ALICE, 400, description="Bad Request: message must be non-empty", times=None)
    with structlog.testing.capture_logs() as logs:
        await delivered(app)
        await asyncio.sleep(0.3)
        await app.dispatcher.run_once()
    assert api.rejected == [(str(ALICE), 400), (str(ALICE), 400)], "the message and its degraded form"
    [(state, _, error)] = await delivery_rows(app)
    assert state == "failed"
    assert error is not None and "message must be non-empty" in error.lower(), "Telegram's answer is stored"
    assert await app.storage.outbox.pending_count() == 0
    failures = [e for e in logs if e["log_level"] in ("warning", "error") and e["event"].startswith("delivery.")]
    assert [e["event"] for e in failures] == ["delivery.rejected"]


async def test_delivery_due_while_a_reply_is_in_flight_arrives_after_it_within_the_chats_budget(
    tmp_path: Path, api: FakeBotAPI, feeds: FeedServer
) -> None:
    limits = Limits(per_second=30, chat_interval=0.3, group_limit=20, group_period=60.0)
    settings = settings_for(tmp_path, api)
    adapter = adapter_for(settings, limits=limits, max_pacing_wait=2.0)
    async with build(settings, [adapter]) as app:
        await ask(api, f"/abonner {feeds.url('/droit.xml')}", chat_id=ALICE)
        await app.pipeline.digest_pending()  # the digest is in the outbox, due now
        api.delay(ALICE, 1.0)  # the reply to the next command takes a second to be answered
        api.command("/aide", chat_id=ALICE)
        await api.wait_for(lambda: api.in_flight[str(ALICE)] == 1, what="the reply in flight")
        with structlog.testing.capture_logs() as logs:
            loop = asyncio.create_task(app.dispatcher.run_forever(idle_seconds=0.1))
            try:
                [_, reply, digest] = await api.wait_sent(3, chat_id=ALICE, timeout=8)
            finally:
                app.dispatcher.request_stop()
                await asyncio.wait_for(loop, timeout=5)
        assert "/abonner" in reply.text
        assert "Datalix" in digest.text
        assert digest.at - reply.at >= 0.3 - 0.02, "the reply and the digest share the chat's pacing"
        assert not [e for e in logs if e["event"] == "dispatch.loop_error"]
        assert await delivery_rows(app) == [("sent", 1, None)]


async def test_restart_sends_nothing_again(tmp_path: Path, api: FakeBotAPI, feeds: FeedServer) -> None:
    settings = settings_for(tmp_path, api)
    async with build(settings, [adapter_for(settings)]) as app:
        subscribe = api.command(f"/abonner {feeds.url('/droit.xml')}", chat_id=ALICE)
        await api.wait_sent(1, chat_id=ALICE)
        await delivered(app)
        await api.wait_sent(2, chat_id=ALICE)
        await api.wait_confirmed(subscribe)
    sent_before = len(api.sent)
    async with build(settings, [adapter_for(settings)]) as app:
        await app.storage.feeds.make_all_due()
        await app.poll_once()
        await app.settle()
        probe = await ask(api, "/abonnements", chat_id=BOB)
    assert probe.text.startswith("Aucun abonnement")
    assert len(api.sent) == sent_before + 1, "only the answer to the new command"


async def test_rejected_token_stops_start_with_a_config_error(tmp_path: Path, api: FakeBotAPI) -> None:
    settings = make_settings(tmp_path, TELEGRAM_BOT_TOKEN="999:wrong", TELEGRAM_API_URL=api.api_url)
    adapter = adapter_for(settings)
    with pytest.raises(ConfigError):
        await adapter.start(NoCommands())
    await adapter.stop()
    assert not api.method_calls("setMyCommands")


def test_parse_command_handles_bot_names_aliases_and_multiline_arguments() -> None:
    assert parse_command("/abonner@Veille_Test_Bot https://a.example/rss", "veille_test_bot") == (
        "abonner",
        "https://a.example/rss",
        True,
    )
    assert parse_command("/Subscribe\nhttps://a.example/rss", "veille_test_bot") == (
        "subscribe",
        "https://a.example/rss",
        False,
    )
    assert parse_command("/aide@autre_bot", "veille_test_bot") is None


# -- webhook and the real entry point --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_mode_registers_the_url_and_refuses_requests_without_the_secret(
    tmp_path: Path, api: FakeBotAPI
) -> None:
    port = free_port()
    settings = make_settings(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=api.api_url,
        TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/veille",
        TELEGRAM_WEBHOOK_PORT=port,
        TELEGRAM_WEBHOOK_SECRET="s3cret-token_for-tests",
    )
    adapter = adapter_for(settings, webhook_listen="127.0.0.1")
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": ALICE, "type": "private", "first_name": "Alice"},
            "from": {"id": ALICE, "is_bot": False, "first_name": "Alice"},
            "text": "/aide",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }
    async with build(settings, [adapter]):
        assert api.webhook is not None
        assert api.webhook["url"] == f"http://127.0.0.1:{port}/telegram/veille"
        assert api.webhook["secret_token"] == "s3cret-token_for-tests"
        assert not api.method_calls("getUpdates")
        url = f"http://127.0.0.1:{port}/telegram/veille"
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json=update) as response:
                assert response.status == 403
            headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token_for-tests"}
            async with session.post(url, json=update, headers=headers) as response:
                assert response.status == 200
        [reply] = await api.wait_sent(1, chat_id=ALICE)
        assert reply.text.startswith("Commandes de Veille")


def veille_command() -> list[str]:
    script = Path(sys.executable).with_name("veille")
    return [str(script), "run"] if script.exists() else [sys.executable, "-m", "bot.cli", "run"]


@pytest.mark.slow
async def test_veille_run_serves_telegram_and_exits_0_on_sigterm(tmp_path: Path, api: FakeBotAPI) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DISCORD_", "VEILLE_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=api.api_url,
        VEILLE_DB=str(tmp_path / "veille.db"),
        VEILLE_ALLOW_PRIVATE_URLS="1",
        VEILLE_LOG_LEVEL="INFO",
    )
    process = await asyncio.create_subprocess_exec(
        *veille_command(),
        cwd=tmp_path,  # no stray .env
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await api.wait_for(lambda: bool(api.method_calls("getUpdates")), timeout=60, what="polling")
        api.command("/start", chat_id=ALICE)
        [welcome] = await api.wait_sent(1, chat_id=ALICE, timeout=30)
        assert welcome.text.startswith("Bonjour")
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert TOKEN not in stderr.decode(), "the token never reaches the logs"


# -- daily digests through the outbox ----------------------------------------------------------------


async def daily_due_now(app: Veille, api: FakeBotAPI, chat_id: int) -> Any:
    """Give a chat a daily digest whose occurrence of today was missed; return its scheduler job."""
    await ask(api, "/mode quotidien", chat_id=chat_id)
    chat = await app.storage.chats.get("telegram", str(chat_id))
    assert chat is not None
    await app.storage.daily.mark_due(chat.id, datetime.now(UTC) - timedelta(days=2))
    job = app.scheduler.get_job(f"daily:{chat.id}")
    assert job is not None
    return job


async def test_the_daily_job_does_not_sleep_on_a_429_the_outbox_keeps_the_digest(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI
) -> None:
    app, _ = running
    job = await daily_due_now(app, api, ALICE)
    api.fail(ALICE, 429, retry_after=30)
    started = time.monotonic()
    await asyncio.wait_for(job.func(*job.args), timeout=5)
    assert time.monotonic() - started < 2, "a scheduler job never waits out a flood limit"
    assert api.rejected == [(str(ALICE), 429)]
    [row] = await sqlite_rows.delivery_rows(app.storage)
    assert (row.kind, row.state) == ("daily", "pending")
    assert row.next_attempt_at is not None and row.next_attempt_at >= datetime.now(UTC) + timedelta(seconds=25)


@pytest.mark.parametrize("code", [429, 500])
async def test_a_daily_digest_refused_by_telegram_is_retried_from_the_outbox_and_sent_once(
    running: tuple[Veille, TelegramAdapter], api: FakeBotAPI, code: int
) -> None:
    app, _ = running
    job = await daily_due_now(app, api, ALICE)
    api.fail(ALICE, code, retry_after=1)
    await job.func(*job.args)
    assert api.rejected == [(str(ALICE), code)] or code != 429
    assert not [m for m in api.sent_to(ALICE) if m.text.startswith("Digest quotidien")]
    [row] = [r for r in await sqlite_rows.delivery_rows(app.storage) if r.kind == "daily"]
    assert row.state == "pending" and row.last_error, "kept, not lost"
    started = time.monotonic()
    while time.monotonic() - started < 10:  # later: the retry falls due
        await sqlite_rows.make_deliveries_due(app.storage)
        await app.dispatcher.run_once()
        if [m for m in api.sent_to(ALICE) if m.text.startswith("Digest quotidien")]:
            break
        await asyncio.sleep(0.2)
    await job.func(*job.args)  # the same occurrence again: nothing more
    await app.dispatcher.run_once()
    daily = [m for m in api.sent_to(ALICE) if m.text.startswith("Digest quotidien")]
    assert len(daily) == 1
    assert await app.storage.outbox.pending_count() == 0
