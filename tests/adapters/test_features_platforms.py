"""Search, follows and daily digests through the Telegram and Discord fakes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.discord import DiscordAdapter
from adapters.telegram import TelegramAdapter
from adapters.telegram_pacing import Limits
from bot.app import Veille
from bot.compose import build
from tests.support.core import make_settings
from tests.support.discord_fake import CHANNEL_ID, FakeDiscord
from tests.support.discord_fake import TOKEN as DISCORD_TOKEN
from tests.support.newsroom import add_feed, make_digest, publish, subscribe
from tests.support.telegram_api import TOKEN as TELEGRAM_TOKEN
from tests.support.telegram_api import FakeBotAPI

FAST = Limits(per_second=30, chat_interval=0.05, group_limit=20, group_period=60.0)
ALICE = 1111


async def seven_cnil_digests(app: Veille) -> None:
    feed = await add_feed(app, "journal")
    for n in range(7):
        # One company each: seven stories (search shows a story once), all found by "cnil".
        await publish(app, feed, make_digest(f"La CNIL sanctionne Datalix n° {n}", actors=[(f"Datalix {n}",)]))


@pytest.fixture
async def telegram(tmp_path: Path) -> AsyncIterator[tuple[Veille, FakeBotAPI]]:
    async with FakeBotAPI() as api:
        settings = make_settings(tmp_path, TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN, TELEGRAM_API_URL=api.api_url)
        adapter = TelegramAdapter.from_settings(settings, poll_timeout=1, limits=FAST)
        async with build(settings, [adapter]) as app:
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
        async with build(make_settings(tmp_path), [adapter]) as app:
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


async def fire_daily_digest(app: Veille, platform: str, chat_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the chat's daily job as the scheduler would at its next fire time."""
    chat = await app.storage.chats.get(platform, chat_id)
    assert chat is not None
    job = app.scheduler.get_job(f"daily:{chat.id}")
    assert job is not None
    fire = job.trigger.get_next_fire_time(None, datetime.now(UTC))
    monkeypatch.setattr("bot.delivery.daily.utcnow", lambda: fire.astimezone(UTC) + timedelta(seconds=2))
    await job.func(*job.args)


async def test_follow_alert_and_daily_digest_through_telegram(
    telegram: tuple[Veille, FakeBotAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, api = telegram
    api.command("/suivre CNIL", chat_id=ALICE)
    api.command("/quotidien 07:30", chat_id=ALICE)
    replies = await api.wait_sent(2, chat_id=ALICE)
    assert "CNIL" in replies[0].text and "07:30" in replies[1].text
    watched = await add_feed(app, "veille-cnil")
    mine = await add_feed(app, "mon-flux")
    chat = await app.storage.chats.get("telegram", str(ALICE))
    assert chat is not None
    await subscribe(app, chat, mine)
    await publish(app, watched, make_digest("La CNIL met en demeure Logix", actors=[("CNIL",)]))
    await publish(app, mine, make_digest("Rançongiciel : <Hospitalix> & la justice", published=datetime.now(UTC)))
    await app.dispatcher.run_once()
    sent = await api.wait_sent(4, chat_id=ALICE)
    alert = next(m for m in sent[2:] if "Logix" in m.text)
    assert alert.text.startswith("<i>Suivi : CNIL</i>")
    await fire_daily_digest(app, "telegram", str(ALICE), monkeypatch)
    daily = (await api.wait_sent(5, chat_id=ALICE))[4]
    assert "Digest quotidien du" in daily.text
    assert "&lt;Hospitalix&gt; &amp;" in daily.text and daily.parse_mode == "HTML"


async def test_follow_alert_and_daily_digest_through_discord(
    discord: tuple[Veille, FakeDiscord], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, fake = discord
    await fake.wait_for_callback(await fake.slash("suivre", {"sujet": "CNIL"}))
    await fake.wait_for_callback(await fake.slash("quotidien", {"heure": "07:30"}))
    watched = await add_feed(app, "veille-cnil")
    mine = await add_feed(app, "mon-flux")
    chat = await app.storage.chats.get("discord", str(CHANNEL_ID))
    assert chat is not None
    await subscribe(app, chat, mine)
    await publish(app, watched, make_digest("La CNIL met en demeure Logix", actors=[("CNIL",)]))
    await publish(app, mine, make_digest("Rançongiciel chez Hospitalix @everyone", published=datetime.now(UTC)))
    await app.dispatcher.run_once()
    posted = await fake.wait_for_messages(CHANNEL_ID, 2)
    alert = next(m for m in posted if "Logix" in json.dumps(m, ensure_ascii=False))
    assert "Suivi : CNIL" in json.dumps(alert, ensure_ascii=False)
    assert all(m.get("allowed_mentions") == {"parse": []} for m in posted)
    await fire_daily_digest(app, "discord", str(CHANNEL_ID), monkeypatch)
    everything = await fake.wait_for_messages(CHANNEL_ID, 3)
    daily = json.dumps(everything[-1], ensure_ascii=False)
    assert "Digest quotidien du" in daily and "Hospitalix" in daily
    assert everything[-1].get("allowed_mentions") == {"parse": []}


async def test_telegram_and_discord_run_side_by_side_in_one_core(tmp_path: Path) -> None:
    async with FakeBotAPI() as api, FakeDiscord() as fake:
        settings = make_settings(tmp_path, TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN, TELEGRAM_API_URL=api.api_url)
        telegram = TelegramAdapter.from_settings(settings, poll_timeout=1, limits=FAST)
        discord = DiscordAdapter(
            DISCORD_TOKEN,
            api_url=fake.api_url,
            gateway_url=fake.gateway_url,
            guild_ready_timeout=0.05,
            ready_timeout=10.0,
        )
        async with build(settings, [telegram, discord]) as app:
            feed = await add_feed(app, "commun")
            api.command("/abonnements", chat_id=ALICE)  # creates the Telegram chat
            await api.wait_sent(1, chat_id=ALICE)
            await fake.wait_for_callback(await fake.slash("abonnements"))
            for platform, chat_id in (("telegram", str(ALICE)), ("discord", str(CHANNEL_ID))):
                chat = await app.storage.chats.get(platform, chat_id)
                assert chat is not None
                await subscribe(app, chat, feed)
            await publish(app, feed, make_digest("Le tribunal condamne Fraudix pour escroquerie"))
            await app.dispatcher.run_once()
            telegram_sent = await api.wait_sent(2, chat_id=ALICE)
            discord_sent = await fake.wait_for_messages(CHANNEL_ID, 1)
    assert "Fraudix" in telegram_sent[-1].text
    assert "Fraudix" in json.dumps(discord_sent[-1], ensure_ascii=False)
