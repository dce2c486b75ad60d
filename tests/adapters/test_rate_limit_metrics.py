"""The 429s Telegram and Discord answer are counted in veille_rate_limited_total{source}."""

from __future__ import annotations

from functools import partial

import pytest

from adapters.discord import DiscordAdapter
from adapters.telegram import TelegramAdapter
from adapters.telegram_pacing import Limits
from bot.errors import RetryLaterError
from bot.models import Reply
from bot.ops.metrics import Metrics
from tests.support.discord_fake import CHANNEL_ID, FakeDiscord
from tests.support.discord_fake import TOKEN as DISCORD_TOKEN
from tests.support.handlers import NoCommands
from tests.support.telegram_api import TOKEN, FakeBotAPI

FAST = Limits(per_second=30, chat_interval=0.05, group_limit=20, group_period=60.0)


def counted(metrics: Metrics, source: str) -> float:
    return metrics.registry.get_sample_value("veille_rate_limited_total", {"source": source}) or 0.0


async def test_a_telegram_429_is_counted_and_the_message_goes_back_to_the_outbox() -> None:
    metrics = Metrics()
    async with FakeBotAPI() as api:
        adapter = TelegramAdapter(
            TOKEN, api_url=api.api_url, poll_timeout=1, limits=FAST,
            on_rate_limited=partial(metrics.count_rate_limit, "telegram"),
        )
        await adapter.start(NoCommands())
        try:
            api.fail(4242, 429, retry_after=3)
            with pytest.raises(RetryLaterError):
                await adapter.send_reply("4242", Reply("Bonjour"))
        finally:
            await adapter.stop()
    assert counted(metrics, "telegram") == 1
    assert counted(metrics, "discord") == 0


async def test_a_discord_429_that_discord_py_waits_out_itself_is_still_counted() -> None:
    metrics = Metrics()
    async with FakeDiscord() as fake:
        adapter = DiscordAdapter(
            DISCORD_TOKEN, api_url=fake.api_url, gateway_url=fake.gateway_url, guild_ready_timeout=0.05,
            ready_timeout=10.0, on_rate_limited=partial(metrics.count_rate_limit, "discord"),
        )
        await adapter.start(NoCommands())
        try:
            fake.fail_next_message(CHANNEL_ID, status=429, retry_after=0.05)
            await adapter.send_reply(str(CHANNEL_ID), Reply("Bonjour"))  # retried by discord.py: sent
        finally:
            await adapter.stop()
    assert [m["content"] for m in fake.messages[CHANNEL_ID]] == ["Bonjour"]
    assert counted(metrics, "discord") == 1
