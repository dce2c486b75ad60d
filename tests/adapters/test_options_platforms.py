"""Filters, intervals and /stats through the Telegram and Discord fakes, as a user would type them."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.discord import DiscordAdapter
from adapters.telegram import TelegramAdapter
from adapters.telegram_pacing import Limits
from bot.app import Veille
from bot.compose import build
from tests.support.core import make_settings
from tests.support.discord_fake import ADMIN_ID, CHANNEL_ID, MEMBER_ID, FakeDiscord
from tests.support.discord_fake import TOKEN as DISCORD_TOKEN
from tests.support.newsroom import add_feed, make_digest, publish, subscribe
from tests.support.telegram_api import TOKEN as TELEGRAM_TOKEN
from tests.support.telegram_api import FakeBotAPI

FAST = Limits(per_second=30, chat_interval=0.05, group_limit=20, group_period=60.0)
ALICE, BOB = 1111, 2222
EPHEMERAL = 1 << 6
REFUSAL = "Désolé, /stats est réservé aux opérateurs de Veille (réglage VEILLE_ADMINS)."


async def say(api: FakeBotAPI, text: str, *, chat_id: int = ALICE) -> str:
    """Type one command and return the bot's answer (commands are handled concurrently: one at a time)."""
    before = len(api.sent_to(chat_id))
    api.command(text, chat_id=chat_id)
    return (await api.wait_sent(before + 1, chat_id=chat_id))[before].text


@pytest.fixture
async def telegram(tmp_path: Path) -> AsyncIterator[tuple[Veille, FakeBotAPI]]:
    async with FakeBotAPI() as api:
        settings = make_settings(
            tmp_path, TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN, TELEGRAM_API_URL=api.api_url, VEILLE_ADMINS=f"telegram:{ALICE}"
        )
        adapter = TelegramAdapter.from_settings(settings, poll_timeout=1, limits=FAST)
        async with build(settings, [adapter]) as app:
            yield app, api


async def test_a_telegram_filter_keeps_only_matching_articles(telegram: tuple[Veille, FakeBotAPI]) -> None:
    app, api = telegram
    api.command("/abonnements", chat_id=ALICE)  # creates the chat
    await api.wait_sent(1, chat_id=ALICE)
    chat = await app.storage.chats.get("telegram", str(ALICE))
    assert chat is not None
    await subscribe(app, chat, await add_feed(app, "journal"))
    assert (await say(api, "/filtre 1 +rançongiciel -sport")).startswith(
        "Filtre posé sur journal : +rançongiciel -sport"
    )
    assert await say(api, "/filtre 9 +cnil") == "Pas d'abonnement n° 9 : seul le n° 1 existe. Voir /abonnements."
    malformed = await say(api, '/filter 1 +"mise en examen')
    assert malformed.startswith("Filtre non compris : il manque un guillemet fermant.")
    feed = (await app.storage.chats.subscriptions(chat.id))[0]
    await publish(app, feed, make_digest("Un rançongiciel frappe Hospitalix"))
    await publish(app, feed, make_digest("Fuite de données chez Datalix"))
    await app.dispatcher.run_once()
    sent = await api.wait_sent(5, chat_id=ALICE)
    assert "Hospitalix" in sent[4].text
    assert "filtre : +rançongiciel -sport" in await say(api, "/abonnements")
    assert not any("Datalix" in m.text for m in api.sent_to(ALICE))


async def test_a_telegram_interval_and_its_errors(telegram: tuple[Veille, FakeBotAPI]) -> None:
    app, api = telegram
    api.command("/abonnements", chat_id=ALICE)
    await api.wait_sent(1, chat_id=ALICE)
    chat = await app.storage.chats.get("telegram", str(ALICE))
    assert chat is not None
    await subscribe(app, chat, await add_feed(app, "journal"))
    assert (await say(api, "/intervalle 1 30min")).startswith("journal sera relevé toutes les 30 min.")
    assert (
        await say(api, "/interval 1 1min") == "Intervalle hors limites : entre 5 min et 24 h (vous avez demandé 1 min)."
    )
    assert (await say(api, "/intervalle 2 2h")).startswith("Pas d'abonnement n° 2")
    [feed] = await app.storage.chats.subscriptions(chat.id)
    assert (await app.storage.options.of_chat(chat.id))[feed.id].interval == timedelta(minutes=30)


async def test_telegram_stats_for_the_operator_only(telegram: tuple[Veille, FakeBotAPI]) -> None:
    _, api = telegram
    assert await say(api, "/stats", chat_id=BOB) == REFUSAL
    report = await say(api, "/stats")
    assert report.startswith("Statistiques de Veille")
    assert "Discussions : 2 actives (telegram 2)" in report
    assert "File d'attente : " in report and "Dernier cycle de relève" in report


async def test_telegram_publishes_the_new_commands(telegram: tuple[Veille, FakeBotAPI]) -> None:
    _, api = telegram
    published = json.dumps(api.method_calls("setMyCommands"), ensure_ascii=False)
    assert '"filtre"' in published and '"intervalle"' in published and '"filter"' in published


@pytest.fixture
async def discord(tmp_path: Path) -> AsyncIterator[tuple[Veille, FakeDiscord]]:
    async with FakeDiscord() as fake:
        adapter = DiscordAdapter(
            DISCORD_TOKEN,
            api_url=fake.api_url,
            gateway_url=fake.gateway_url,
            guild_ready_timeout=0.05,
            ready_timeout=10.0,
        )
        async with build(make_settings(tmp_path, VEILLE_ADMINS=f"discord:{ADMIN_ID}"), [adapter]) as app:
            yield app, fake


def content(answer: dict[str, object]) -> str:
    """Return an interaction answer's text as members read it (Discord markdown escapes removed)."""
    data = answer["data"]
    assert isinstance(data, dict)
    return re.sub(r"\\([^\sA-Za-z0-9])", r"\1", str(data.get("content", "")))


async def test_discord_filter_and_interval_are_slash_commands_with_two_options(
    discord: tuple[Veille, FakeDiscord],
) -> None:
    _, fake = discord
    by_name = {c["name"]: c for c in fake.syncs[-1][1]}
    for name, second, english in (("filtre", "filtre", "filter"), ("intervalle", "intervalle", "interval")):
        command = by_name[name]
        assert command["name_localizations"]["en-US"] == english
        flux, other = command["options"]
        assert (flux["name"], flux["required"], flux["autocomplete"]) == ("flux", True, True)
        assert other["name"] == second and not other.get("required")
    assert "stats" in by_name


async def test_discord_filter_with_autocomplete_applies_to_deliveries(discord: tuple[Veille, FakeDiscord]) -> None:
    app, fake = discord
    await fake.wait_for_callback(await fake.slash("abonnements"))  # creates the channel's chat
    chat = await app.storage.chats.get("discord", str(CHANNEL_ID))
    assert chat is not None
    feed = await add_feed(app, "Droit et Cyber")
    await subscribe(app, chat, feed)
    choices = await fake.wait_for_callback(await fake.autocomplete("filtre", "flux", "cyber"))
    assert choices["data"]["choices"] == [{"name": "1. Droit et Cyber", "value": "1"}]
    answer = await fake.wait_for_callback(await fake.slash("filtre", {"flux": "1", "filtre": "acteur:CNIL"}))
    assert content(answer).startswith("Filtre posé sur Droit et Cyber : acteur:CNIL")
    assert answer["data"]["flags"] & EPHEMERAL
    shown = await fake.wait_for_callback(await fake.slash("filtre", {"flux": "1"}))
    assert content(shown).startswith("Filtre sur Droit et Cyber : acteur:CNIL")
    bad = await fake.wait_for_callback(await fake.slash("filtre", {"flux": "3", "filtre": "+cnil"}))
    assert content(bad).startswith("Pas d'abonnement n° 3")
    malformed = await fake.wait_for_callback(await fake.slash("filtre", {"flux": "1", "filtre": "pays:FR"}))
    assert content(malformed).startswith("Filtre non compris : « pays: » est inconnu")
    await publish(app, feed, make_digest("La CNIL met en demeure Logix", actors=[("CNIL",)]))
    await publish(app, feed, make_digest("Le tribunal condamne Fraudix"))
    await app.dispatcher.run_once()
    [posted] = await fake.wait_for_messages(CHANNEL_ID, 1)
    assert "Logix" in json.dumps(posted, ensure_ascii=False)
    interval = await fake.wait_for_callback(await fake.slash("intervalle", {"flux": "1", "intervalle": "2h"}))
    assert content(interval).startswith("Droit et Cyber sera relevé toutes les 2 h.")
    out_of_range = await fake.wait_for_callback(await fake.slash("intervalle", {"flux": "1", "intervalle": "48h"}))
    assert content(out_of_range).startswith("Intervalle hors limites")
    member = await fake.wait_for_callback(await fake.slash("filtre", {"flux": "1", "filtre": "off"}, user_id=MEMBER_ID))
    assert content(member) == "Désolé, seuls les administrateurs de ce groupe peuvent modifier ses réglages."
    listed = await fake.wait_for_callback(await fake.slash("abonnements"))
    assert "filtre : acteur:CNIL · relevé toutes les 2 h" in json.dumps(listed["data"], ensure_ascii=False)


async def test_discord_stats_for_the_operator_only(discord: tuple[Veille, FakeDiscord]) -> None:
    _, fake = discord
    refused = await fake.wait_for_callback(await fake.slash("stats", user_id=MEMBER_ID))
    assert content(refused) == REFUSAL
    report = await fake.wait_for_callback(await fake.slash("stats", user_id=ADMIN_ID))
    assert content(report).startswith("Statistiques de Veille")
    assert report["data"]["flags"] & EPHEMERAL
