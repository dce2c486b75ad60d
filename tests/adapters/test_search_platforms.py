"""`/recherche` through the Telegram and Discord fakes, pagination buttons included."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.discord import DiscordAdapter
from adapters.telegram import TelegramAdapter
from adapters.telegram_pacing import Limits
from bot.app import Veille
from tests.support.core import make_settings
from tests.support.discord_fake import CHANNEL_ID, FakeDiscord
from tests.support.discord_fake import TOKEN as DISCORD_TOKEN
from tests.support.newsroom import add_feed, make_digest, publish
from tests.support.telegram_api import TOKEN as TELEGRAM_TOKEN
from tests.support.telegram_api import FakeBotAPI

FAST = Limits(per_second=30, chat_interval=0.05, group_limit=20, group_period=60.0)
ALICE = 1111


async def seven_cnil_digests(app: Veille) -> None:
    feed = await add_feed(app, "journal")
    for n in range(7):
        await publish(app, feed, make_digest(f"La CNIL sanctionne Datalix n° {n}", actors=[("CNIL",)]))


@pytest.fixture
async def telegram(tmp_path: Path) -> AsyncIterator[tuple[Veille, FakeBotAPI]]:
    async with FakeBotAPI() as api:
        settings = make_settings(tmp_path, TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN, TELEGRAM_API_URL=api.api_url)
        adapter = TelegramAdapter.from_settings(settings, poll_timeout=1, limits=FAST)
        async with Veille(settings, [adapter]) as app:
            yield app, api


async def test_search_pages_through_telegram_inline_buttons(telegram: tuple[Veille, FakeBotAPI]) -> None:
    app, api = telegram
    await seven_cnil_digests(app)
    api.command("/recherche cnil", chat_id=ALICE)
    (first,) = await api.wait_sent(1, chat_id=ALICE)
    assert first.text.startswith("Résultats 1–5 pour « cnil »")
    [(label, data)] = first.buttons
    assert label == "Suivants ▶" and data.startswith("recherche #") and len(data.encode()) <= 64
    api.callback(data, chat_id=ALICE)
    second = (await api.wait_sent(2, chat_id=ALICE))[1]
    assert second.text.startswith("Résultats 6–7 pour « cnil »")
    assert [b[0] for b in second.buttons] == ["◀ Précédents"]


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
        async with Veille(make_settings(tmp_path), [adapter]) as app:
            yield app, fake


async def test_search_pages_through_discord_buttons(discord: tuple[Veille, FakeDiscord]) -> None:
    app, fake = discord
    await seven_cnil_digests(app)
    answer = await fake.wait_for_callback(await fake.slash("recherche", {"requete": "cnil"}))
    assert "Résultats 1–5 pour « cnil »" in json.dumps(answer["data"], ensure_ascii=False)
    [row] = answer["data"]["components"]
    [button] = row["components"]
    assert button["label"] == "Suivants ▶" and button["custom_id"].startswith("veille:recherche #")
    message = fake.message(CHANNEL_ID, answer["data"])
    page2 = await fake.wait_for_callback(await fake.click(message, button["custom_id"]))
    text = json.dumps(page2["data"], ensure_ascii=False)
    assert "Résultats 6–7 pour « cnil »" in text and "La CNIL sanctionne Datalix n° 0" in text
